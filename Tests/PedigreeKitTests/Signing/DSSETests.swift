import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

@Suite struct PreAuthenticationEncoding {
    /// The example from the DSSE v1 protocol specification (protocol.md, "Test vectors").
    @Test func matchesTheSpecificationsVector() {
        let pae = Envelope.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    @Test func countsBytesNotCharacters() {
        let pae = Envelope.pae(payloadType: "tÿpe", payload: Array("é".utf8))
        #expect(pae == Array("DSSEv1 5 tÿpe 2 é".utf8))
        #expect(Envelope.pae(payloadType: "", payload: []) == Array("DSSEv1 0  0 ".utf8))
    }

    @Test func signaturesAreOverThePAE() throws {
        let key = try PrivateKey.generate(.ed25519)
        let payload = Array("{\"a\":1}".utf8)
        let envelope = try Envelope.sign(payload: payload, payloadType: MediaTypes.inToto, key: key)
        let signature = envelope.signatures[0].sig
        let publicKey = try key.publicKey
        #expect(publicKey.isValidSignature(signature, for: Envelope.pae(payloadType: MediaTypes.inToto, payload: payload)))
        #expect(!publicKey.isValidSignature(signature, for: payload))
        #expect(envelope.signatures[0].keyid == publicKey.keyID)
    }

    /// A list long enough to be encoded on two threads, and a payload digested on one while the
    /// other signs it (ECDSA) or digested first (Ed25519, in place): the payload is the
    /// encoder's, the manifest digest is its SHA-256, and the signature holds over the PAE.
    @Test(arguments: [KeyAlgorithm.ecdsaP256, .ed25519])
    func aLargeManifestSignedOnTwoThreadsIsTheOneSignedOnOne(_ algorithm: KeyAlgorithm) throws {
        let count = StatementCodec.parallelResources + 3
        let resources = try (0..<count).map { index in
            Resource(name: try ResourceName("d\(index % 7)/f\(index).bin"), digest: SHA256.hash(Array(String(index).utf8)),
                     size: Int64(index), role: .other)
        }
        let predicate = ModelPredicate(
            model: ModelInfo(name: "m", version: nil), resources: resources,
            serialization: Serialization(allowSymlinks: false, ignorePaths: []), license: nil,
            notices: Notices(added: [], additionalTerms: nil), lineage: nil, modifications: [], distribution: .files,
            generator: Generator(), createdAt: "2026-01-01T00:00:00Z")
        let key = try PrivateKey.generate(algorithm)
        let result = try ModelSigner().sign(predicate, key: key)
        let payload = result.bundle.dsseEnvelope.payload
        #expect(payload.count >= ModelSigner.parallelDigestBytes)
        #expect(result.rootDigest == RootDigest.compute(resources))
        #expect(payload == (try StatementCodec.encodeWhole(predicate, root: result.rootDigest)))
        #expect(result.manifestDigest == SHA256.hash(payload))
        #expect(try key.publicKey.isValidSignature(
            result.bundle.dsseEnvelope.signatures[0].sig, for: Envelope.pae(payloadType: MediaTypes.inToto, payload: payload)))
    }

    /// A folder large enough that its roles are found on a second thread while it is hashed:
    /// every file has the role the classifier gives its name, in the walk's order.
    @Test func rolesFoundBesideTheHashingAreEachFilesRole() throws {
        let folder = try TemporaryFolder()
        let kinds = ["LICENSE", "config.json", "model.safetensors", "README.md", "notes.txt", "tokenizer.json"]
        for index in 0..<(ModelSigner.parallelRoles + 5) {
            try folder.write("d\(index % 9)/\(index)-\(kinds[index % kinds.count])", "\(index)")
        }
        let request = SignRequest(folder: folder.path, createdAt: "2026-01-01T00:00:00Z")
        let predicate = try ModelSigner(engine: HashEngine(jobs: 2)).describe(request)
        #expect(predicate.resources.count == ModelSigner.parallelRoles + 5)
        #expect(predicate.resources.allSatisfy { $0.role == request.roles.role(of: $0.name.string) })
        #expect(Set(predicate.resources.map(\.role)).count > 2)
    }

    @Test func signatureChecksSayTrustedUnknownOrInvalid() throws {
        let signer = try PrivateKey.generate(.ecdsaP256)
        let stranger = try PrivateKey.generate(.ed25519)
        let payload = Array("payload".utf8)
        var envelope = try Envelope.sign(payload: payload, payloadType: MediaTypes.inToto, key: signer)
        try envelope.addSignature(key: stranger)
        let trusted = [TrustedKey(key: try signer.publicKey, label: "signer.pub")]
        let results = envelope.checkSignatures(keys: trusted)
        #expect(results.map(\.status) == [.trusted, .unknownKey])
        #expect(results[0].key == "signer.pub")
        #expect(results.isTrusted)
        // The same signatures over a changed payload: the trusted key's signature is invalid.
        var changed = envelope
        changed.payload = Array("payloaD".utf8)
        let altered = changed.checkSignatures(keys: trusted)
        #expect(altered.map(\.status) == [.invalid, .unknownKey])
        #expect(!altered.isTrusted)
        // A signature without a key id (as model_signing writes) is tried with every key.
        var anonymous = envelope
        anonymous.signatures[0].keyid = ""
        #expect(anonymous.checkSignatures(keys: trusted).map(\.status) == [.trusted, .unknownKey])
    }
}
