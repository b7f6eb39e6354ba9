import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

/// Runs the OpenSSF reference CLI (`model_signing` 1.1.1).
@discardableResult
func modelSigningCLI(_ arguments: [String], in work: Workspace) throws -> ProcessResult {
    try run(TestTools.modelSigning, arguments, currentDirectory: work.path, timeout: 300)
}

extension Workspace {
    /// Makes an ECDSA key pair `NAME.key`/`NAME.pub` with the openssl CLI on `curve`.
    func opensslKey(_ name: String, curve: String = "prime256v1") throws {
        let made = try shell(
            "openssl ecparam -name \(curve) -genkey -noout -out \(name).key && openssl ec -in \(name).key -pubout -out \(name).pub 2>/dev/null",
            currentDirectory: path)
        #expect(made.status == 0, "\(made)")
    }

    /// Rewrites the OMS bundle at `relative` the way an older signer wrote it: `edit` changes
    /// the bundle's JSON and its Statement's, then the payload is signed again with the key
    /// file `keyName` (standard DSSE PAE) and the signature's `keyid` field is left as `edit`
    /// set it (the signature object is passed as `signature`).
    func reshape(
        _ relative: String, key keyName: String,
        _ edit: (_ bundle: inout [String: Any], _ statement: inout [String: Any], _ signature: inout [String: Any]) throws -> Void
    ) throws {
        var bundle = try JSONSerialization.jsonObject(with: read(relative)) as! [String: Any]
        var envelope = bundle["dsseEnvelope"] as! [String: Any]
        var statement = try JSONSerialization.jsonObject(with: Data(base64Encoded: envelope["payload"] as! String)!) as! [String: Any]
        var signature = (envelope["signatures"] as! [[String: Any]])[0]
        try edit(&bundle, &statement, &signature)
        let payload = Array(try JSONSerialization.data(withJSONObject: statement, options: [.sortedKeys]))
        let key = try PrivateKey(pem: Array(try read(keyName)))
        signature["sig"] = base64Encode(try key.sign(Envelope.pae(payloadType: MediaTypes.inToto, payload: payload)))
        envelope["payload"] = base64Encode(payload)
        envelope["signatures"] = [signature]
        bundle["dsseEnvelope"] = envelope
        try folder.write(relative, try JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys]))
    }
}

/// OMS v1.0 §11: bundles in every shape real signers have written verify.
@Suite struct OMSHistoricalBundles {
    /// A model signed by model_signing 1.1.1 with a P-256 key, `oms.key`/`oms.pub`.
    private func signedModel() throws -> Workspace {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/sub/weights.bin", pseudoRandomBytes(1 << 20, seed: 4))
        try work.opensslKey("oms")
        let signed = try modelSigningCLI(["sign", "key", "model", "--private_key", "oms.key", "--signature", "model.sig"], in: work)
        #expect(signed.status == 0, "\(signed)")
        return work
    }

    private func verify(_ work: Workspace) throws -> ProcessResult {
        try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub"])
    }

    /// model_signing 0.3.1–1.0 (§11, §11.2 items 1–3): `rawBytes` + `keyDetails` instead of
    /// `hint`, `keyid` null, no `ignore_paths`, no `tlogEntries`, the subject named `model`.
    @Test func aPre11BundleVerifies() throws {
        let work = try signedModel()
        let pem = try work.read("oms.pub")
        try work.reshape("model.sig", key: "oms.key") { bundle, statement, signature in
            bundle["verificationMaterial"] = [
                "publicKey": ["rawBytes": pem.base64EncodedString(), "keyDetails": "PKIX_ECDSA_P256_SHA_256"],
            ]
            signature["keyid"] = NSNull()
            var predicate = statement["predicate"] as! [String: Any]
            var serialization = predicate["serialization"] as! [String: Any]
            serialization.removeValue(forKey: "ignore_paths")
            predicate["serialization"] = serialization
            statement["predicate"] = predicate
            var subject = (statement["subject"] as! [[String: Any]])[0]
            subject["name"] = "model"
            statement["subject"] = [subject]
        }
        let text = String(decoding: try work.read("model.sig"), as: UTF8.self)
        #expect(text.contains("\"keyid\":null") && text.contains("rawBytes") && !text.contains("ignore_paths") && !text.contains("hint"))
        let verified = try verify(work)
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.hasSuffix("verified: 8 files OK, signed by a trusted key\n"))
        // Tampered, it fails file by file.
        try work.folder.write("model/sub/weights.bin", pseudoRandomBytes(1 << 20, seed: 5))
        let tampered = try verify(work)
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("sub/weights.bin: MODIFIED\n"))
    }

    /// §4.1, §11.2 item 2: a key id absent, empty or null; `tlogEntries` absent or empty.
    @Test(arguments: ["absent", "empty", "null"])
    func anyKeyIDShapeVerifies(_ shape: String) throws {
        let work = try signedModel()
        try work.reshape("model.sig", key: "oms.key") { bundle, _, signature in
            switch shape {
            case "absent": signature.removeValue(forKey: "keyid")
            case "empty": signature["keyid"] = ""
            default: signature["keyid"] = NSNull()
            }
            var material = bundle["verificationMaterial"] as! [String: Any]
            material.removeValue(forKey: "tlogEntries")
            bundle["verificationMaterial"] = material
        }
        let verified = try verify(work)
        #expect(verified.status == 0, "\(verified)")
        let theirs = try modelSigningCLI(["verify", "key", "model", "--signature", "model.sig", "--public_key", "oms.pub"], in: work)
        #expect(theirs.status == 0, "\(theirs)")
    }

    /// §11 v0.2.0, §11.2 item 4: the `Digests/v0.1` predicate, every file a subject, verifies
    /// (model_signing 1.1.1 reads it too); pedigree never writes it.
    @Test func aV02BundleVerifiesWithBothTools() throws {
        let work = try signedModel()
        try work.reshape("model.sig", key: "oms.key") { _, statement, _ in
            let resources = (statement["predicate"] as! [String: Any])["resources"] as! [[String: Any]]
            statement["subject"] = resources.map { ["name": $0["name"]!, "digest": ["sha256": $0["digest"]!]] }
            statement["predicateType"] = "https://model_signing/Digests/v0.1"
            statement["predicate"] = [String: Any]()
        }
        let verified = try verify(work)
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("manifest model.sig: model (oms), root "))
        #expect(verified.stdout.hasSuffix("verified: 8 files OK, signed by a trusted key\n"))
        let theirs = try modelSigningCLI(["verify", "key", "model", "--signature", "model.sig", "--public_key", "oms.pub"], in: work)
        #expect(theirs.status == 0, "\(theirs)")
        try work.folder.write("model/extra.txt", "not signed")
        let extra = try verify(work)
        #expect(extra.status == 1)
        #expect(extra.stdout.contains("extra.txt: UNEXPECTED\n"))
    }

    @Test func materialThatNamesNoMethodIsRefusedWithTheReason() throws {
        let work = try signedModel()
        try work.reshape("model.sig", key: "oms.key") { bundle, _, _ in
            bundle["verificationMaterial"] = ["publicKey": ["keyDetails": "PKIX_ECDSA_P256_SHA_256"], "tlogEntries": []]
        }
        let noKey = try verify(work)
        #expect(noKey.status == 1)
        #expect(noKey.stderr == "pedigree: model.sig: verificationMaterial.publicKey has neither 'hint' nor 'rawBytes'; one names the key\n")
        try work.reshape("model.sig", key: "oms.key") { bundle, _, _ in bundle.removeValue(forKey: "verificationMaterial") }
        let bare = try verify(work)
        #expect(bare.status == 1)
        #expect(bare.stderr == "pedigree: model.sig: verificationMaterial is missing; an OMS bundle says how it was signed (OMS v1.0 §4.1)\n")
        try work.reshape("model.sig", key: "oms.key") { bundle, _, signature in
            bundle["verificationMaterial"] = ["publicKey": ["hint": "00"]]
            signature["keyid"] = 7
        }
        let numericKeyID = try verify(work)
        #expect(numericKeyID.status == 1)
        #expect(numericKeyID.stderr == "pedigree: model.sig: dsseEnvelope.signatures[0].keyid is a number, not a string\n")
    }
}

/// OMS v1.0 §4.1: a Sigstore keyless bundle is named for what it is, never "an unknown key".
@Suite struct OMSSigstoreBundles {
    @Test(.needsOMSSpec) func theSpecsSigstoreExampleIsRecognised() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("any", "ecdsa-p256")
        let example = try Reference.omsSpecFolder() + "/test-vectors/valid/sigstore.bundle.json"
        try work.folder.write("sigstore.sig", try Data(contentsOf: URL(fileURLWithPath: example)))
        for json in [false, true] {
            let result = try work.run(["verify", "model", "--manifest", "sigstore.sig", "--trusted-key", "any.pub"] + (json ? ["--json"] : []))
            #expect(result.status == 1)
            let message = "Sigstore keyless bundle (Fulcio certificate for stefanb@us.ibm.com); pedigree verifies key and certificate bundles"
            if json {
                let report = try JSONSerialization.jsonObject(with: result.stdoutData) as! [String: Any]
                #expect(report["problems"] as? [String] == [message])
                #expect((report["files"] as? [Any])?.isEmpty == true)
            } else {
                #expect(result.stderr == "pedigree: \(message)\n")
                #expect(!result.stderr.contains("trusted key"))
                #expect(result.stdout == "FAILED: 1 problem with the manifest\n")
            }
        }
    }
}

/// The verifier options of OMS v1.0 §6.2, §8.5 and single-file models (§6.1), each cross-checked
/// with model_signing 1.1.1 on the same folder.
@Suite struct OMSVerifierOptions {
    private func signedModel() throws -> Workspace {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/sub/weights.bin", pseudoRandomBytes(1 << 20, seed: 6))
        try work.opensslKey("oms", curve: "secp384r1")
        let signed = try modelSigningCLI(["sign", "key", "model", "--private_key", "oms.key", "--signature", "model.sig"], in: work)
        #expect(signed.status == 0, "\(signed)")
        return work
    }

    private func theirs(_ work: Workspace, _ extra: [String] = [], model: String = "model", signature: String = "model.sig", key: String = "oms.pub") throws -> ProcessResult {
        try modelSigningCLI(["verify", "key", model, "--signature", signature, "--public_key", key] + extra, in: work)
    }

    /// §6.2.1: a verification-time ignore path is an exact path from the model root.
    @Test func ignoreAtVerificationLeavesOutExactPathsOnly() throws {
        let work = try signedModel()
        try work.folder.write("model/scratch/notes.txt", "later")
        try work.folder.write("model/sub/scratch/notes.txt", "deeper")
        let plain = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub"])
        #expect(plain.status == 1)
        #expect(plain.stdout.contains("scratch/notes.txt: UNEXPECTED\n"))
        let top = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub", "--ignore", "scratch"])
        #expect(top.status == 1)
        #expect(!top.stdout.contains("\nscratch/notes.txt"))
        #expect(top.stdout.contains("sub/scratch/notes.txt: UNEXPECTED\n"))
        let both = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub",
                                 "--ignore", "scratch", "--ignore", "sub/scratch"])
        #expect(both.status == 0, "\(both)")
        #expect(try theirs(work, ["--ignore-paths", "model/scratch", "--ignore-paths", "model/sub/scratch"]).status == 0)
        // A glob character is a literal for an OMS bundle: '*' leaves nothing out.
        let star = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub", "--ignore", "*"])
        #expect(star.status == 1)
        // Leaving out a signed file makes it missing, for both tools.
        try FileManager.default.removeItem(atPath: work.folder.url("model/scratch"))
        try FileManager.default.removeItem(atPath: work.folder.url("model/sub/scratch"))
        let signedLeftOut = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub", "--ignore", "sub"])
        #expect(signedLeftOut.status == 1)
        #expect(signedLeftOut.stdout.contains("sub/weights.bin: MISSING\n"))
        let theirsLeftOut = try theirs(work, ["--ignore-paths", "model/sub"])
        #expect(theirsLeftOut.status == 1)
        #expect(theirsLeftOut.stderr.contains("Missing files in model 'model': sub/weights.bin"))
    }

    /// A pedigree manifest takes patterns at verification time, as `sign --ignore` does.
    @Test func ignoreAtVerificationTakesPatternsForPedigreeManifests() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("publisher")
        #expect(try work.run(["sign", "model", "--key", "publisher.key"]).status == 0)
        try work.folder.write("model/a.log", "1")
        try work.folder.write("model/logs/b.log", "2")
        let result = try work.run(["verify", "model", "--trusted-key", "publisher.pub", "--ignore", "*.log", "--ignore", "logs"])
        #expect(result.status == 0, "\(result)")
    }

    /// §8.5: unsigned files pass with --ignore-unsigned-files; signed files are still checked.
    @Test func unsignedFilesPassOnlyWhenAsked() throws {
        let work = try signedModel()
        try work.folder.write("model/README.extra", "added later")
        let strict = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("README.extra: UNEXPECTED\n"))
        #expect(try theirs(work).status == 1)
        let lenient = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub", "--ignore-unsigned-files"])
        #expect(lenient.status == 0, "\(lenient)")
        #expect(lenient.stdout.contains("unsigned files (--ignore-unsigned-files): 1 file not in the manifest, not checked\n"))
        #expect(!lenient.stdout.contains("README.extra"))
        #expect(try theirs(work, ["--ignore_unsigned_files"]).status == 0)
        let json = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub", "--ignore-unsigned-files", "--json"])
        let report = try JSONSerialization.jsonObject(with: json.stdoutData) as! [String: Any]
        #expect(report["unsignedIgnored"] as? Int == 1)
        try work.folder.write("model/verify.json", json.stdoutData)
        let schema = try TestTools.validate("validate-report.py", [work.folder.url("model/verify.json")])
        #expect(schema.status == 0, "\(schema)")
        try FileManager.default.removeItem(atPath: work.folder.url("model/verify.json"))
        // A signed file changed still fails.
        try work.folder.write("model/sub/weights.bin", pseudoRandomBytes(1 << 20, seed: 7))
        let tampered = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub", "--ignore-unsigned-files"])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("sub/weights.bin: MODIFIED\n"))
        #expect(try theirs(work, ["--ignore_unsigned_files"]).status == 1)
    }

    /// model_signing compares the bundle's public-key hint with the key; so does pedigree.
    @Test func aHintNamingAnotherKeyIsAKeyMismatch() throws {
        let work = try signedModel()
        try work.opensslKey("other", curve: "secp384r1")
        let mismatch = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "other.pub"])
        #expect(mismatch.status == 1)
        let hint = try work.bundle("model.sig").verificationMaterial?.publicKeyHint ?? ""
        #expect(mismatch.stderr == "pedigree: Key mismatch: the bundle's public-key hint \(hint.prefix(16))… names none of the trusted keys; it was signed with another key\n")
        #expect(try theirs(work, key: "other.pub").stderr.contains("Key mismatch"))
        // Among several trusted keys the hint picks the signer.
        let both = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "other.pub", "--trusted-key", "oms.pub"])
        #expect(both.status == 0, "\(both)")
        #expect(both.stdout.contains("signature 1: trusted (ECDSA P-384, oms.pub)\n"))
    }

    /// §6.1 item 1, §6.1.2 item 5: a single file is a model.
    @Test func aSingleFileModelIsSignedAndVerifiedByBothTools() throws {
        let work = try Workspace()
        try work.folder.write("weights.bin", pseudoRandomBytes(2 << 20, seed: 9))
        try work.opensslKey("oms", curve: "secp521r1")
        // model_signing signs the file; pedigree finds FILE.sig beside it.
        #expect(try modelSigningCLI(["sign", "key", "weights.bin", "--private_key", "oms.key", "--signature", "weights.bin.sig"], in: work).status == 0)
        let verified = try work.run(["verify", "weights.bin", "--trusted-key", "oms.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("manifest weights.bin.sig: weights.bin (oms), root "))
        #expect(verified.stdout.contains("weights.bin: OK\n"))
        // pedigree signs the file (manifest FILE.pedigree.json) and exports FILE.sig.
        try FileManager.default.removeItem(atPath: work.folder.url("weights.bin.sig"))
        try work.keygen("publisher")
        let signed = try work.run(["sign", "weights.bin", "--key", "publisher.key"])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stdout.hasSuffix("wrote weights.bin.pedigree.json\n"))
        #expect(try work.run(["verify", "weights.bin", "--trusted-key", "publisher.pub"]).status == 0)
        let exported = try work.run(["export", "weights.bin", "--format", "oms", "--key", "oms.key"])
        #expect(exported.status == 0, "\(exported)")
        #expect(exported.stderr == "wrote weights.bin.sig\n")
        let resources = (try work.statement("weights.bin.sig")["predicate"] as! [String: Any])["resources"] as! [[String: Any]]
        #expect(resources.map { $0["name"] as? String } == ["weights.bin"])
        #expect(resources.first?["digest"] as? String == (try systemSHA256(work.folder.url("weights.bin"))))
        let ours = try work.run(["verify", "weights.bin", "--manifest", "weights.bin.sig", "--trusted-key", "oms.pub"])
        #expect(ours.status == 0, "\(ours)")
        // model_signing 1.1.1 names the resource "." instead of the basename §6.1.2 item 5 gives,
        // so it does not accept the spec's name (recorded in the README).
        let theirs = try modelSigningCLI(["verify", "key", "weights.bin", "--signature", "weights.bin.sig", "--public_key", "oms.pub"], in: work)
        #expect(theirs.status == 1)
        #expect(theirs.stderr.contains("Extra files found in model 'weights.bin': ."))
        // Tampered, both manifests fail.
        try work.folder.write("weights.bin", pseudoRandomBytes(2 << 20, seed: 10))
        let tampered = try work.run(["verify", "weights.bin", "--manifest", "weights.bin.sig", "--trusted-key", "oms.pub"])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("weights.bin: MODIFIED\n"))
        #expect(try work.run(["verify", "weights.bin", "--trusted-key", "publisher.pub"]).status == 1)
        // Neither a folder nor a regular file.
        let fifo = try work.run(["verify", "nothing-here", "--trusted-key", "publisher.pub"])
        #expect(fifo.status == 66)
        #expect(fifo.stderr == "pedigree: nothing-here: neither a folder nor a regular file\n")
    }
}

/// The root digest is computed over the resources in the order the signed bundle lists them.
@Suite struct OMSRootDigestOrder {
    /// `a-b` and `a/x`: sorted as strings `a-b` comes first (OMS v1.0 §6.4), by path components
    /// `a/x` does (model_signing). Each tool's bundle verifies with the other.
    @Test func namesTheTwoSortsDisagreeOnVerifyBothWays() throws {
        let work = try Workspace()
        try work.folder.write("model/a-b", "dash")
        try work.folder.write("model/a/x", "slash")
        try work.folder.write("model/a.c", "dot")
        try work.keygen("publisher")
        try work.opensslKey("oms")
        #expect(try work.run(["sign", "model", "--key", "publisher.key"]).status == 0)
        let exported = try work.run(["export", "model", "--format", "oms", "--key", "oms.key", "--output", "ours.sig"])
        #expect(exported.status == 0, "\(exported)")
        let names = ((try work.statement("ours.sig")["predicate"] as! [String: Any])["resources"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(names == ["a/x", "a-b", "a.c"])
        let theirs = try modelSigningCLI(["verify", "key", "model", "--signature", "ours.sig", "--public_key", "oms.pub",
                                          "--ignore-paths", "model/pedigree.json"], in: work)
        #expect(theirs.status == 0, "\(theirs)")
        #expect(try modelSigningCLI(["sign", "key", "model", "--private_key", "oms.key", "--signature", "theirs.sig",
                                     "--ignore-paths", "model/pedigree.json"], in: work).status == 0)
        let theirNames = ((try work.statement("theirs.sig")["predicate"] as! [String: Any])["resources"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(theirNames == names)
        #expect(try work.run(["verify", "model", "--manifest", "theirs.sig", "--trusted-key", "oms.pub"]).status == 0)
        // A signer that lists them sorted as strings, with the root over that order, verifies too.
        try work.reshape("theirs.sig", key: "oms.key") { _, statement, _ in
            var predicate = statement["predicate"] as! [String: Any]
            let resources = (predicate["resources"] as! [[String: Any]]).sorted { ($0["name"] as! String) < ($1["name"] as! String) }
            predicate["resources"] = resources
            statement["predicate"] = predicate
            let root = SHA256.hash(resources.flatMap { Array(SHA256Digest(hex: $0["digest"] as! String)!.bytes) }).hex
            statement["subject"] = [["name": "model", "digest": ["sha256": root]]]
        }
        let stringOrder = try work.run(["verify", "model", "--manifest", "theirs.sig", "--trusted-key", "oms.pub"])
        #expect(stringOrder.status == 0, "\(stringOrder)")
        #expect(try modelSigningCLI(["verify", "key", "model", "--signature", "theirs.sig", "--public_key", "oms.pub",
                                     "--ignore-paths", "model/pedigree.json"], in: work).status == 0)
    }
}

/// The OMS certificate method (§4.1, §8.2) both ways, against model_signing 1.1.1, with a
/// 3-level PKI made by openssl (root P-521 → intermediate P-384 → leaf).
@Suite(.tags(.tool)) struct OMSCertificateMethod {
    /// A model in `pki`'s folder and its pedigree manifest signed by `publisher`.
    private func model(in pki: TestPKI) throws -> Workspace {
        let work = Workspace(folder: pki.folder)
        try work.exampleModel()
        try work.folder.write("model/sub/weights.bin", pseudoRandomBytes(1 << 20, seed: 11))
        return work
    }

    private func verify(_ work: Workspace, _ bundle: String, _ extra: [String] = ["--trusted-ca", "root.pem"]) throws -> ProcessResult {
        try work.run(["verify", "model", "--manifest", bundle] + extra)
    }

    @Test(arguments: [TestPKI.KeyType.p256, .p384, .p521])
    func modelSigningSignsPedigreeVerifiesAgainstTheCA(_ leafType: TestPKI.KeyType) throws {
        let pki = try TestPKI.threeLevel(leafType: leafType)
        let work = try model(in: pki)
        let signed = try modelSigningCLI([
            "sign", "certificate", "model", "--signature", "theirs.sig", "--private_key", "leaf.key",
            "--signing_certificate", "leaf.pem", "--certificate_chain", "inter.pem",
        ], in: work)
        #expect(signed.status == 0, "\(signed)")
        let verified = try verify(work, "theirs.sig")
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains(
            "certificate: CN=Model Signer Ünïcode,O=Pedigree Tests (email:signer@example.com, URI:https://example.com/signer, "
                + "DNS:signer.example.com, IP Address:192.0.2.7), issued by CN=Test Intermediate CA,O=Pedigree Tests, "
                + "chains to CN=Test Root CA,O=Pedigree Tests, valid "))
        #expect(verified.stdout.hasSuffix("verified: 8 files OK, signed by a trusted key\n"))
        let json = try work.run(["verify", "model", "--manifest", "theirs.sig", "--trusted-ca", "root.pem", "--json"])
        let report = try JSONSerialization.jsonObject(with: json.stdoutData) as! [String: Any]
        let signer = report["certificateSigner"] as! [String: Any]
        #expect(signer["subject"] as? String == "CN=Model Signer Ünïcode,O=Pedigree Tests")
        #expect((signer["subjectAlternativeNames"] as? [String])?.first == "email:signer@example.com")
        try work.folder.write("verify.json", json.stdoutData)
        let schema = try TestTools.validate("validate-report.py", [work.folder.url("verify.json")])
        #expect(schema.status == 0, "\(schema)")
        // Tampered, missing and extra files are reported.
        try work.folder.write("model/sub/weights.bin", pseudoRandomBytes(1 << 20, seed: 12))
        try FileManager.default.removeItem(atPath: work.folder.url("model/config.json"))
        try work.folder.write("model/extra.bin", "x")
        let tampered = try verify(work, "theirs.sig")
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("sub/weights.bin: MODIFIED\n"))
        #expect(tampered.stdout.contains("config.json: MISSING\n"))
        #expect(tampered.stdout.contains("extra.bin: UNEXPECTED\n"))
    }

    @Test func pedigreeSignsWithACertificateModelSigningVerifies() throws {
        let pki = try TestPKI.threeLevel(leafType: .p384)
        let work = try model(in: pki)
        try work.keygen("publisher")
        #expect(try work.run(["sign", "model", "--key", "publisher.key"]).status == 0)
        let exported = try work.run([
            "export", "model", "--format", "oms", "--key", "leaf.key", "--signing-cert", "leaf.pem", "--cert-chain", "inter.pem",
            "--output", "ours.sig",
        ])
        #expect(exported.status == 0, "\(exported)")
        let bundle = try work.bundle("ours.sig")
        #expect(bundle.verificationMaterial?.method == .certificate)
        #expect(bundle.verificationMaterial?.certificateChain == [try pki.certificate("leaf").derEncoded, try pki.certificate("inter").derEncoded])
        let theirs = try modelSigningCLI(["verify", "certificate", "model", "--signature", "ours.sig", "--certificate_chain", "root.pem",
                                          "--ignore-paths", "model/pedigree.json"], in: work)
        #expect(theirs.status == 0, "\(theirs)")
        #expect(try verify(work, "ours.sig").status == 0)
        // A key the certificate does not certify is refused before anything is written.
        try pki.key("stranger", .p384)
        let wrongKey = try work.run(["export", "model", "--format", "oms", "--key", "stranger.key", "--signing-cert", "leaf.pem",
                                     "--output", "wrong.sig"])
        #expect(wrongKey.status == 65)
        #expect(wrongKey.stderr.hasPrefix("pedigree: stranger.key: "))
        #expect(!work.exists("wrong.sig"))
    }

    /// pedigree's own manifest carries the chain too, and verifies against the CA.
    @Test func aPedigreeManifestSignedWithACertificateVerifiesAgainstTheCA() throws {
        let pki = try TestPKI.threeLevel(leafType: .p521)
        let work = try model(in: pki)
        let signed = try work.run(["sign", "model", "--key", "leaf.key", "--signing-cert", "leaf.pem", "--cert-chain", "inter.pem"])
        #expect(signed.status == 0, "\(signed)")
        #expect(try work.bundle("model/pedigree.json").verificationMaterial?.certificateChain?.count == 2)
        #expect(try work.schemaProblems(["model/pedigree.json"]) == "")
        let verified = try work.run(["verify", "model", "--trusted-ca", "root.pem"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("signature 1: trusted (ECDSA P-521, certificate CN=Model Signer Ünïcode,O=Pedigree Tests (email:signer@example.com"))
        try work.folder.write("model/config.json", "{}")
        let tampered = try work.run(["verify", "model", "--trusted-ca", "root.pem"])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("config.json: MODIFIED\n"))
        // A certificate for another key is refused before anything is written.
        try pki.key("other", .p256)
        let mismatch = try work.run(["sign", "model", "--key", "other.key", "--signing-cert", "leaf.pem", "--output", "other.json"])
        #expect(mismatch.status == 65)
        #expect(mismatch.stderr.hasPrefix("pedigree: other.key: "))
        #expect(!work.exists("other.json"))
    }

    @Test func eachMethodIsRefusedByTheOthersTrustWithTheMethodNamed() throws {
        let pki = try TestPKI.threeLevel()
        let work = try model(in: pki)
        #expect(try modelSigningCLI([
            "sign", "certificate", "model", "--signature", "cert.sig", "--private_key", "leaf.key",
            "--signing_certificate", "leaf.pem", "--certificate_chain", "inter.pem",
        ], in: work).status == 0)
        try shell("openssl pkey -in leaf.key -pubout -out leaf.pub", currentDirectory: work.path)
        let asKey = try verify(work, "cert.sig", ["--trusted-key", "leaf.pub"])
        #expect(asKey.status == 1)
        #expect(asKey.stderr == "pedigree: the bundle is signed with a certificate (method certificate) for CN=Model Signer Ünïcode,O=Pedigree Tests "
            + "(email:signer@example.com, URI:https://example.com/signer, DNS:signer.example.com, IP Address:192.0.2.7); "
            + "verify it against its CA with --trusted-ca FILE\n")
        try work.opensslKey("bare")
        #expect(try modelSigningCLI(["sign", "key", "model", "--private_key", "bare.key", "--signature", "key.sig"], in: work).status == 0)
        let asCertificate = try verify(work, "key.sig")
        #expect(asCertificate.status == 1)
        #expect(asCertificate.stderr == "pedigree: the bundle is signed with a bare key (method key), not a certificate: --trusted-ca "
            + "cannot verify it; give the signer's public key with --trusted-key FILE\n")
    }

    @Test func aWrongCAASelfSignedLeafAndAnExpiredLeafAreRefused() throws {
        let pki = try TestPKI.threeLevel()
        let work = try model(in: pki)
        try pki.selfSigned("stranger", subject: "/O=Elsewhere/CN=Stranger Root CA")
        #expect(try modelSigningCLI([
            "sign", "certificate", "model", "--signature", "cert.sig", "--private_key", "leaf.key",
            "--signing_certificate", "leaf.pem", "--certificate_chain", "inter.pem",
        ], in: work).status == 0)
        let wrongCA = try verify(work, "cert.sig", ["--trusted-ca", "stranger.pem"])
        #expect(wrongCA.status == 1)
        #expect(wrongCA.stderr.hasPrefix("pedigree: the signing certificate CN=Model Signer Ünïcode,O=Pedigree Tests "))
        #expect(wrongCA.stderr.contains(" is not trusted: "))
        #expect(try modelSigningCLI(["verify", "certificate", "model", "--signature", "cert.sig", "--certificate_chain", "stranger.pem"],
                                    in: work).status == 1)
        // A self-signed leaf is not a CA of itself.
        try pki.selfSigned("self", subject: "/CN=Self Signer", profile: .selfSignedLeaf, type: .p256)
        try work.keygen("publisher")
        #expect(try work.run(["sign", "model", "--key", "publisher.key"]).status == 0)
        let selfExport = try work.run(["export", "model", "--format", "oms", "--key", "self.key", "--signing-cert", "self.pem", "--output", "self.sig"])
        #expect(selfExport.status == 0, "\(selfExport)")
        let selfSigned = try verify(work, "self.sig", ["--trusted-ca", "root.pem"])
        #expect(selfSigned.status == 1)
        #expect(selfSigned.stderr.hasPrefix("pedigree: the signing certificate CN=Self Signer (email:self@example.com) is not trusted: "))
        // An expired leaf: refused now (§8.2), accepted at its notBefore as model_signing judges.
        try pki.issue("old", subject: "/CN=Expired Signer", by: "inter", profile: .leaf, start: "20200101000000Z", end: "20210101000000Z")
        #expect(try modelSigningCLI(["sign", "certificate", "model", "--signature", "old.sig", "--private_key", "old.key",
                                     "--signing_certificate", "old.pem", "--certificate_chain", "inter.pem"], in: work).status == 0)
        let expired = try verify(work, "old.sig")
        #expect(expired.status == 1)
        #expect(expired.stderr.contains("expired"))
        let atIssue = try verify(work, "old.sig", ["--trusted-ca", "root.pem", "--certificate-time", "leaf-not-before"])
        #expect(atIssue.status == 1)  // the intermediate did not exist in 2020: no path then
        #expect(try modelSigningCLI(["verify", "certificate", "model", "--signature", "old.sig", "--certificate_chain", "root.pem"],
                                    in: work).status == atIssue.status)
    }
}

/// `Scripts/oms-conformance-adapter`: the OMS conformance command-line protocol over pedigree,
/// end to end, cross-checked with model_signing 1.1.1.
@Suite(.tags(.tool)) struct OMSConformanceAdapter {
    private func adapter(_ arguments: [String], in work: Workspace) throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["PEDIGREE"] = pedigreeExecutable
        return try run(packageRoot + "/Scripts/oms-conformance-adapter", arguments, environment: environment,
                       currentDirectory: work.path, timeout: 300)
    }

    @Test func keyMethodOnAFolderAndASingleFile() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/cache/tmp.bin", "scratch")
        try work.opensslKey("oms", curve: "secp384r1")
        let model = work.folder.url("model")
        let bundle = work.folder.url("model.sig")
        let signed = try adapter(["sign-model", "--method", "key", "--model-path", model, "--output-bundle", bundle,
                                  "--private-key", work.folder.url("oms.key"), "--ignore-paths", work.folder.url("model/cache")], in: work)
        #expect(signed.status == 0, "\(signed)")
        let verify = ["verify-model", "--method", "key", "--model-path", model, "--bundle", bundle, "--public-key", work.folder.url("oms.pub")]
        #expect(try adapter(verify, in: work).status == 0)
        #expect(try modelSigningCLI(["verify", "key", "model", "--signature", "model.sig", "--public_key", "oms.pub"], in: work).status == 0)
        // An extra file fails unless unsigned files are let pass or the path is ignored.
        try work.folder.write("model/later.txt", "added")
        #expect(try adapter(verify, in: work).status == 1)
        #expect(try adapter(verify + ["--ignore-unsigned-files"], in: work).status == 0)
        #expect(try adapter(verify + ["--ignore-paths", work.folder.url("model/later.txt")], in: work).status == 0)
        // Tampered, it fails.
        try work.folder.write("model/config.json", "{}")
        let tampered = try adapter(verify + ["--ignore-unsigned-files"], in: work)
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("config.json: MODIFIED\n"))
        // A single file.
        try work.folder.write("weights.bin", pseudoRandomBytes(1 << 20, seed: 13))
        let file = work.folder.url("weights.bin")
        let fileBundle = work.folder.url("weights.sig")
        #expect(try adapter(["sign-model", "--method", "key", "--model-path", file, "--output-bundle", fileBundle,
                             "--private-key", work.folder.url("oms.key")], in: work).status == 0)
        let fileVerify = ["verify-model", "--method", "key", "--model-path", file, "--bundle", fileBundle, "--public-key", work.folder.url("oms.pub")]
        #expect(try adapter(fileVerify, in: work).status == 0)
        // model_signing's own bundle of the file verifies through the adapter too.
        #expect(try modelSigningCLI(["sign", "key", "weights.bin", "--private_key", "oms.key", "--signature", "theirs.sig"], in: work).status == 0)
        #expect(try adapter(["verify-model", "--method", "key", "--model-path", file, "--bundle", work.folder.url("theirs.sig"),
                             "--public-key", work.folder.url("oms.pub")], in: work).status == 0)
        try work.folder.write("weights.bin", pseudoRandomBytes(1 << 20, seed: 14))
        #expect(try adapter(fileVerify, in: work).status == 1)
    }

    @Test func certificateMethodAndSigstore() throws {
        let pki = try TestPKI.threeLevel()
        let work = Workspace(folder: pki.folder)
        try work.exampleModel()
        let model = work.folder.url("model")
        let bundle = work.folder.url("cert.sig")
        let signed = try adapter(["sign-model", "--method", "certificate", "--model-path", model, "--output-bundle", bundle,
                                  "--private-key", work.folder.url("leaf.key"), "--signing-cert", work.folder.url("leaf.pem"),
                                  "--cert-chain", work.folder.url("inter.pem")], in: work)
        #expect(signed.status == 0, "\(signed)")
        let verify = ["verify-model", "--method", "certificate", "--model-path", model, "--bundle", bundle,
                      "--cert-chain", work.folder.url("root.pem")]
        #expect(try adapter(verify, in: work).status == 0)
        #expect(try modelSigningCLI(["verify", "certificate", "model", "--signature", "cert.sig", "--certificate_chain", "root.pem"], in: work).status == 0)
        // Verified as a key bundle, it fails naming the method.
        try shell("openssl pkey -in leaf.key -pubout -out leaf.pub", currentDirectory: work.path)
        let asKey = try adapter(["verify-model", "--method", "key", "--model-path", model, "--bundle", bundle,
                                 "--public-key", work.folder.url("leaf.pub")], in: work)
        #expect(asKey.status == 1)
        #expect(asKey.stderr.contains("the bundle is signed with a certificate (method certificate)"))
        try work.folder.write("model/config.json", "{}")
        #expect(try adapter(verify, in: work).status == 1)
        let sigstore = try adapter(["sign-model", "--method", "sigstore", "--model-path", model, "--output-bundle", bundle], in: work)
        #expect(sigstore.status == 3)
        #expect(sigstore.stderr == "oms-conformance-adapter: the sigstore method is not supported; pedigree signs and verifies key and certificate bundles\n")
    }
}

/// OMS v1.0 §6.1.1 with `allow_symlinks: true`, against what model_signing 1.1.1 does.
@Suite struct OMSLinkEnumeration {
    @Test func folderLinksAndCyclesAreNotPartOfTheModelFileLinksAre() throws {
        let work = try Workspace()
        try work.folder.write("model/a.txt", "a")
        try work.folder.write("model/sub/b.txt", "b")
        try FileManager.default.createSymbolicLink(atPath: work.folder.url("model/link-file"), withDestinationPath: "a.txt")
        try FileManager.default.createSymbolicLink(atPath: work.folder.url("model/link-dir"), withDestinationPath: "sub")
        try FileManager.default.createSymbolicLink(atPath: work.folder.url("model/sub/loop"), withDestinationPath: "..")
        try work.opensslKey("oms")
        let signed = try modelSigningCLI(["sign", "key", "model", "--private_key", "oms.key", "--signature", "model.sig", "--allow_symlinks"], in: work)
        #expect(signed.status == 0, "\(signed)")
        let names = ((try work.statement("model.sig")["predicate"] as! [String: Any])["resources"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(names == ["a.txt", "link-file", "sub/b.txt"])
        let verified = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.hasSuffix("verified: 3 files OK, signed by a trusted key\n"))
        #expect(!verified.stdout.contains("link-dir"))
        // The linked file changed: the link's resource is MODIFIED.
        try work.folder.write("model/a.txt", "changed")
        let tampered = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub"])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("link-file: MODIFIED\n"))
        // A file linked from outside the model: model_signing hashes it, pedigree refuses to read
        // outside the folder (stricter than §6.1.1's warning).
        try work.folder.write("model/a.txt", "a")
        try work.folder.write("outside.txt", "o")
        try FileManager.default.createSymbolicLink(atPath: work.folder.url("model/link-out"), withDestinationPath: "../outside.txt")
        #expect(try modelSigningCLI(["sign", "key", "model", "--private_key", "oms.key", "--signature", "model.sig", "--allow_symlinks"], in: work).status == 0)
        let outside = try work.run(["verify", "model", "--manifest", "model.sig", "--trusted-key", "oms.pub"])
        #expect(outside.status == 1)
        #expect(outside.stdout.contains("link-out: UNREADABLE (is a symbolic link to '../outside.txt', outside the folder; refused)\n"))
    }

    /// A pedigree manifest signed following links lists the files beneath a folder link; its OMS
    /// export leaves them out (§6.1.1), so model_signing verifies it and lists the same files.
    @Test func anExportLeavesOutWhatLiesBeneathAFolderLink() throws {
        let work = try Workspace()
        try work.folder.write("model/a.txt", "a")
        try work.folder.write("model/sub/b.txt", "b")
        try FileManager.default.createSymbolicLink(atPath: work.folder.url("model/link-file"), withDestinationPath: "a.txt")
        try FileManager.default.createSymbolicLink(atPath: work.folder.url("model/link-dir"), withDestinationPath: "sub")
        try work.keygen("publisher")
        try work.opensslKey("oms")
        let signed = try work.run(["sign", "model", "--key", "publisher.key", "--follow-symlinks", "--license", "MIT"])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stdout.hasPrefix("signed model: 4 files"), "\(signed)")
        let exported = try work.run(["export", "model", "--format", "oms", "--key", "oms.key", "--output", "ours.sig"])
        #expect(exported.status == 0, "\(exported)")
        let names = ((try work.statement("ours.sig")["predicate"] as! [String: Any])["resources"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(names == ["a.txt", "link-file", "sub/b.txt"])
        let theirs = try modelSigningCLI(["verify", "key", "model", "--signature", "ours.sig", "--public_key", "oms.pub",
                                          "--allow_symlinks", "--ignore-paths", "model/pedigree.json"], in: work)
        #expect(theirs.status == 0, "\(theirs)")
        #expect(try modelSigningCLI(["sign", "key", "model", "--private_key", "oms.key", "--signature", "theirs.sig",
                                     "--allow_symlinks", "--ignore-paths", "model/pedigree.json"], in: work).status == 0)
        let theirSubject = try work.statement("theirs.sig")["subject"] as! [[String: Any]]
        let ourSubject = try work.statement("ours.sig")["subject"] as! [[String: Any]]
        #expect((theirSubject[0]["digest"] as! [String: String]) == (ourSubject[0]["digest"] as! [String: String]))
        let verified = try work.run(["verify", "model", "--manifest", "ours.sig", "--trusted-key", "oms.pub"])
        #expect(verified.status == 0, "\(verified)")
    }
}
