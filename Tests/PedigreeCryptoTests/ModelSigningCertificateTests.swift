import Foundation
import PedigreeCrypto
import Testing
import TestSupport

/// The DSSE pre-authentication encoding (DSSE v1 protocol).
private func pae(_ type: String, _ payload: [UInt8]) -> [UInt8] {
    Array("DSSEv1 \(type.utf8.count) \(type) \(payload.count) ".utf8) + payload
}

/// `model_signing sign certificate` bundles against this layer, both ways: its
/// `x509CertificateChain` parses and validates against the test root and its signature
/// verifies with the leaf key we extract; a signature made with `CertificateSigningKey` put in
/// its place passes `model_signing verify certificate`.
@Suite(.tags(.tool))
struct ModelSigningCertificates {
    @Test(arguments: [TestPKI.KeyType.p256, .p384, .p521])
    func bundlesOfModelSigningValidateAndOurSignaturesPassIt(_ type: TestPKI.KeyType) throws {
        let tool = try TestTools.modelSigning
        let pki = try TestPKI.threeLevel(leafType: type)
        try pki.folder.write("model/config.json", "{\"layers\": 2}\n")
        try pki.folder.write("model/weights.bin", pseudoRandomBytes(10_000, seed: 5))
        func modelSigning(_ arguments: [String]) throws -> ProcessResult {
            try run(tool, arguments, currentDirectory: pki.path, timeout: 300)
        }
        let signed = try modelSigning([
            "sign", "certificate", "model", "--signature", "bundle.sig", "--private_key", "leaf.key",
            "--signing_certificate", "leaf.pem", "--certificate_chain", "inter.pem",
        ])
        #expect(signed.status == 0, "\(signed)")
        let verify = ["verify", "certificate", "model", "--certificate_chain", "root.pem", "--signature"]
        let theirs = try modelSigning(verify + ["bundle.sig"])
        #expect(theirs.status == 0, "\(theirs)")

        // The chain in the bundle: leaf first, Base64 DER.
        var bundle = try #require(try JSONSerialization.jsonObject(with: Data(pki.bytes("bundle.sig"))) as? [String: Any])
        let material = try #require(bundle["verificationMaterial"] as? [String: Any])
        let entries = try #require((material["x509CertificateChain"] as? [String: Any])?["certificates"] as? [[String: Any]])
        let der = try entries.map { entry in
            let text = try #require(entry["rawBytes"] as? String)
            return try #require(base64Decode(text))
        }
        let chain = try CertificateChain(derEncoded: der)
        #expect(chain.leaf == (try pki.certificate("leaf")))
        #expect(chain.intermediates == [try pki.certificate("inter")])
        let root = try pki.certificate("root")
        let validated = try chain.validate(anchors: [root])
        #expect(validated.path.count == 3)
        #expect(validated.identity.subject == "CN=Model Signer Ünïcode,O=Pedigree Tests")
        #expect(validated.publicKey == (try pki.privateKey("leaf").publicKey))
        // model_signing's own time rule gives the same verdict on this fresh PKI.
        #expect(try chain.validate(anchors: [root], policy: ChainValidationPolicy(time: .leafNotBefore)).path.count == 3)
        // …and no other root vouches for it.
        try pki.selfSigned("stranger", subject: "/CN=Stranger Root")
        #expect(throws: CertificateValidationError.self) { try chain.validate(anchors: [try pki.certificate("stranger")]) }
        let strangerVerdict = try modelSigning(["verify", "certificate", "model", "--certificate_chain", "stranger.pem", "--signature", "bundle.sig"])
        #expect(strangerVerdict.status != 0)

        // Its DSSE signature verifies with the key the chain vouches for.
        var envelope = try #require(bundle["dsseEnvelope"] as? [String: Any])
        let payloadType = try #require(envelope["payloadType"] as? String)
        let payloadText = try #require(envelope["payload"] as? String)
        let payload = try #require(base64Decode(payloadText))
        var signatures = try #require(envelope["signatures"] as? [[String: Any]])
        let signatureText = try #require(signatures.first?["sig"] as? String)
        let signature = try #require(base64Decode(signatureText))
        #expect(validated.publicKey.isValidSignature(signature, for: pae(payloadType, payload)))
        #expect(!validated.publicKey.isValidSignature(signature, for: pae(payloadType, payload + [0x20])))

        // The reverse: our signature with the certificate's key, in the same bundle, passes model_signing.
        let signer = try CertificateSigningKey(privateKey: try pki.privateKey("leaf"), chain: chain)
        signatures[0]["sig"] = base64Encode(try signer.sign(pae(payloadType, payload)))
        envelope["signatures"] = signatures
        bundle["dsseEnvelope"] = envelope
        try pki.folder.write("ours.sig", try JSONSerialization.data(withJSONObject: bundle))
        let ours = try modelSigning(verify + ["ours.sig"])
        #expect(ours.status == 0, "\(ours)")
        // A signature by a key of the same curve the certificate does not certify is refused.
        try pki.key("other", type)
        signatures[0]["sig"] = base64Encode(try pki.privateKey("other").sign(pae(payloadType, payload)))
        envelope["signatures"] = signatures
        bundle["dsseEnvelope"] = envelope
        try pki.folder.write("forged.sig", try JSONSerialization.data(withJSONObject: bundle))
        let forged = try modelSigning(verify + ["forged.sig"])
        #expect(forged.status != 0)
    }
}
