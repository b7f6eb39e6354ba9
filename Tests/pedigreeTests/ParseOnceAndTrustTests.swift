import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

// Issue 9, library side, seen from the command line: each case exits with its status, says
// exactly what is wrong, and writes nothing.

extension Workspace {
    /// The example model signed by `signer.key`.
    fileprivate func signedModel() throws {
        try exampleModel()
        try keygen("signer")
        let signed = try run(["sign", "model", "--key", "signer.key"])
        #expect(signed.status == 0, "\(signed)")
    }

    /// Signs the Statement `payload` (raw bytes, so it may hold what no JSON library writes)
    /// with the key file `keyName` into a bundle at `relative`.
    fileprivate func forge(payload: [UInt8], key keyName: String, to relative: String) throws {
        let key = try PrivateKey(pem: Array(try read(keyName)))
        var envelope = Envelope(payloadType: MediaTypes.inToto, payload: payload, signatures: [])
        try envelope.addSignature(key: key)
        try folder.write(relative, Data(try ManifestBundle(kind: .pedigree, dsseEnvelope: envelope).encoded()))
    }

    /// The signed Statement bytes of the bundle at `relative`, as text.
    fileprivate func payloadText(_ relative: String) throws -> String {
        String(decoding: try bundle(relative).dsseEnvelope.payload, as: UTF8.self)
    }
}

/// `text` with the first match of `pattern` (a regular expression) replaced by `template`.
private func replacingFirst(_ pattern: String, in text: String, with template: String) throws -> String {
    let expression = try NSRegularExpression(pattern: pattern)
    let range = try #require(expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))?.range)
    let match = String(text[try #require(Range(range, in: text))])
    return text.replacingCharacters(
        in: try #require(Range(range, in: text)),
        with: expression.stringByReplacingMatches(in: match, range: NSRange(match.startIndex..., in: match), withTemplate: template))
}

@Suite struct ParsedOnce {
    @Test func aFileNamedThreeDotsIsSignedAndVerified() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/...", "dots")
        try work.keygen("signer")
        let signed = try work.run(["sign", "model", "--key", "signer.key"])
        #expect(signed.status == 0, "\(signed)")
        let verified = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("\n...: OK\n"))
    }

    @Test func anEmptyParentListIsRefusedByVerifyAndByExport() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try work.derive("child", key: "child", name: "acme/child", ["--parent", "base", "--relation", "finetune", "--method", "m"])
        var statement = try work.statement("child/pedigree.json")
        var predicate = statement["predicate"] as! [String: Any]
        var lineage = predicate["lineage"] as! [String: Any]
        lineage["parents"] = [Any]()
        predicate["lineage"] = lineage
        statement["predicate"] = predicate
        try work.forge(statement, key: "child.key", to: "child/pedigree.json")
        let message = "child/pedigree.json: the signed payload is not an in-toto Statement v1: "
            + "predicate.lineage.parents is empty; a lineage names at least one parent"
        let verified = try work.run(["verify", "child", "--trusted-key", "child.pub"])
        #expect(verified.status == 1)
        #expect(verified.stderr == "pedigree: \(message)\n")
        let card = try work.run(["export", "child", "--format", "model-card"])
        #expect(card.status == 65)
        #expect(card.stderr == "pedigree: \(message)\n")
        #expect(card.stdout.isEmpty)
    }

    @Test func aKeyGivenTwiceInTheSignedPayloadIsRefusedNamingIt() throws {
        let work = try Workspace()
        try work.signedModel()
        let text = try work.payloadText("model/pedigree.json")
        // A second digest in front of the first: Python and jq would read the last, a
        // first-wins parser the first. Signed by the trusted key, so only parsing can refuse it.
        let doubled = try replacingFirst(
            "\"resources\":\\[\\{\"algorithm\":\"sha256\",\"digest\":", in: text,
            with: "\"resources\":[{\"algorithm\":\"sha256\",\"digest\":\"\(String(repeating: "0", count: 64))\",\"digest\":")
        #expect(doubled != text)
        try work.forge(payload: Array(doubled.utf8), key: "signer.key", to: "model/pedigree.json")
        let before = try work.read("model/pedigree.json")
        let result = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix(
            "pedigree: model/pedigree.json: the signed payload is not an in-toto Statement v1: not valid JSON "
                + "(predicate.resources[0]: the key 'digest' appears twice in one object; a key may be given once (offset "))
        #expect(!result.stdout.contains(": OK"))
        // Countersigning it is refused too, and the file is left as it was.
        try work.keygen("auditor")
        let appended = try work.run(["sign", "model", "--key", "auditor.key", "--append"])
        #expect(appended.status == 65)
        #expect(appended.stderr.contains("the key 'digest' appears twice"))
        #expect(try work.read("model/pedigree.json") == before)
    }

    @Test func twoEnvelopesInOneBundleAreRefused() throws {
        let work = try Workspace()
        try work.signedModel()
        let object = try JSONSerialization.jsonObject(with: work.read("model/pedigree.json")) as! [String: Any]
        let envelope = String(decoding: try JSONSerialization.data(withJSONObject: object["dsseEnvelope"]!), as: UTF8.self)
        try work.folder.write(
            "model/pedigree.json",
            "{\"mediaType\": \"\(MediaTypes.bundle)\", \"dsseEnvelope\": \(envelope), \"dsseEnvelope\": \(envelope)}")
        let result = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix(
            "pedigree: model/pedigree.json: not valid JSON (the key 'dsseEnvelope' appears twice in one object; a key may be given once (offset "))
    }

    @Test(arguments: [
        ("1208.0", "is not an integer (1208.0)"), ("1.208e3", "is not an integer (1.208e3)"),
        ("9223372036854775808", "is out of range (9223372036854775808; expected 0…9223372036854775807)"),
        ("-1", "is out of range (-1; expected 0…9223372036854775807)"),
        ("\"12\"", "is a string, not an integer"),
    ])
    func aSizeMustBeAnIntegerInRange(_ spelling: String, _ problem: String) throws {
        let work = try Workspace()
        try work.signedModel()
        let text = try work.payloadText("model/pedigree.json")
        let edited = try replacingFirst("\"size\":[0-9]+", in: text, with: "\"size\":\(spelling)")
        #expect(edited != text)
        try work.forge(payload: Array(edited.utf8), key: "signer.key", to: "model/pedigree.json")
        let result = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: model/pedigree.json: the signed payload is not an in-toto Statement v1: predicate.resources[0].size \(problem)\n")
    }
}

@Suite struct WritersKeepTheReadersLimits {
    @Test func aSixtyFifthSignatureIsRefusedBeforeAnythingIsWritten() throws {
        let work = try Workspace()
        try work.signedModel()
        var bundle = try work.bundle("model/pedigree.json")
        for _ in 1..<Limits.signaturesPerEnvelope { try bundle.dsseEnvelope.addSignature(key: try PrivateKey.generate(.ed25519)) }
        try work.folder.write("model/pedigree.json", Data(try bundle.encoded()))
        let before = try work.read("model/pedigree.json")
        #expect(try work.run(["verify", "model", "--trusted-key", "signer.pub"]).status == 0)
        try work.keygen("auditor")
        let result = try work.run(["sign", "model", "--key", "auditor.key", "--append"])
        #expect(result.status == 65)
        #expect(result.stderr == "pedigree: model/pedigree.json: already holds 64 signatures, the most an envelope may carry (verify refuses more); not countersigned\n")
        #expect(try work.read("model/pedigree.json") == before)
    }

    @Test func aParentWhoseChainIsFullIsRefused() throws {
        let work = try Workspace()
        // A merge of 1,024 signed models: its bundle embeds 1,024 ancestors, the most a bundle may.
        let signer = ModelSigner()
        let key = try PrivateKey.generate(.ed25519)
        var references: [ParentReference] = []
        var ancestors: [AncestorEntry] = []
        func predicate(_ name: String, _ seed: String, lineage: Lineage? = nil) throws -> ModelPredicate {
            ModelPredicate(
                model: ModelInfo(name: name),
                resources: [Resource(name: try ResourceName("model.safetensors"), digest: SHA256.hash(Array(seed.utf8)), size: 1, role: .weights)],
                serialization: Serialization(allowSymlinks: false, ignorePaths: ModelFolder.defaultIgnores), license: nil,
                notices: Notices(), lineage: lineage, modifications: [], distribution: .hosted, generator: Generator(),
                createdAt: "2026-01-01T00:00:00Z")
        }
        for index in 0..<Limits.ancestors {
            let base = try signer.sign(try predicate("base-\(index)", "weights \(index)"), key: key)
            references.append(ParentReference(
                name: "base-\(index)", manifestDigest: base.manifestDigest, rootDigest: base.rootDigest, relation: .merge,
                role: .base, signers: [base.keyID], trusted: false, format: .pedigree))
            ancestors.append(AncestorEntry(dsseEnvelope: base.bundle.dsseEnvelope))
        }
        let lineage = Lineage(parents: try #require(NonEmptyArray(references)), derivation: Derivation(method: "merge"), changes: [])
        let merged = try signer.sign(try predicate("merged", "merged weights", lineage: lineage), key: key, ancestors: ancestors)
        try work.folder.write("merged.json", Data(try merged.bundle.encoded()))
        try work.exampleModel("child")
        try work.keygen("child")
        let result = try work.run([
            "sign", "child", "--key", "child.key", "--parent", "merged.json", "--relation", "finetune", "--method", "m",
            "--distribution", "hosted",
        ], timeout: 300)
        #expect(result.status == 65)
        #expect(result.stderr.hasSuffix(
            "): no trusted keys given; recorded as untrusted\n"
                + "pedigree: the parents and the ancestors they embed are 1025 manifests; a bundle may embed at most 1024, so this one is not written\n"))
        #expect(!work.exists("child/pedigree.json"))
    }

    @Test func ignorePatternsPastTheBudgetAreRefusedAtSigning() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        let pattern = String(repeating: "x", count: Limits.ignorePatternBytes)
        let bytes = ModelFolder.defaultIgnores.reduce(0) { $0 + $1.utf8.count } + pattern.utf8.count
        let result = try work.run(["sign", "model", "--key", "signer.key", "--ignore", pattern])
        #expect(result.status == 65)
        #expect(result.stderr == "pedigree: the ignore patterns come to \(bytes) bytes; a manifest may carry at most 16384 (verify would not use them), so nothing is signed\n")
        #expect(!work.exists("model/pedigree.json"))
    }
}

@Suite struct TrustIsStated {
    /// A stranger's manifest that leaves `*.py` out, over a folder holding an unlisted `evil.py`.
    private func strangersManifest() throws -> Workspace {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/evil.py", "import os; os.system('rm -rf ~')")
        try work.keygen("stranger")
        try work.keygen("auditor")
        #expect(try work.run(["sign", "model", "--key", "stranger.key", "--ignore", "*.py"]).status == 0)
        return work
    }

    @Test func countersigningAStrangersPatternsIsRefusedNamingThem() throws {
        let work = try strangersManifest()
        let before = try work.read("model/pedigree.json")
        let result = try work.run(["sign", "model", "--key", "auditor.key", "--append"])
        #expect(result.status == 65)
        #expect(result.stderr == """
            pedigree: model/pedigree.json: no trusted key signed it, and it walks the folder its own way (it leaves out '*.py'); \
            not countersigned. Give its signer's key with --trusted-key, or pass --accept-manifest-serialization to check the folder its way

            """)
        #expect(try work.read("model/pedigree.json") == before)
    }

    @Test func aTrustedSignerOrAnExplicitFlagLetsThePatternsBeUsedAndSaysSo() throws {
        let work = try strangersManifest()
        let trusted = try work.run(["sign", "model", "--key", "auditor.key", "--append", "--trusted-key", "stranger.pub"])
        #expect(trusted.status == 0, "\(trusted)")
        #expect(trusted.stdout.contains("countersigned model: 7 files checked, signature 2 added\n"))
        #expect(trusted.stdout.contains("  walked as       the manifest says (its signer is trusted): leaving out '*.py'\n"))

        let other = try strangersManifest()
        let accepted = try other.run(["sign", "model", "--key", "auditor.key", "--append", "--accept-manifest-serialization"])
        #expect(accepted.status == 0, "\(accepted)")
        #expect(accepted.stdout.contains("  walked as       the manifest says (accepted with --accept-manifest-serialization): leaving out '*.py'\n"))
        #expect(try other.bundle("model/pedigree.json").dsseEnvelope.signatures.count == 2)
    }

    @Test func aStrangersDefaultManifestIsCheckedAndAnUnlistedFileFound() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("stranger")
        try work.keygen("auditor")
        #expect(try work.run(["sign", "model", "--key", "stranger.key"]).status == 0)
        try work.folder.write("model/evil.py", "import os")
        let before = try work.read("model/pedigree.json")
        let result = try work.run(["sign", "model", "--key", "auditor.key", "--append"])
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: model/pedigree.json: the folder does not match the manifest; not countersigned:\n  evil.py: UNEXPECTED\n")
        #expect(try work.read("model/pedigree.json") == before)
    }

    @Test func anAncestorEmbeddedTwiceIsRefused() throws {
        let work = try Workspace()
        try work.threeGenerations()
        var object = try JSONSerialization.jsonObject(with: work.read("q4/pedigree.json")) as! [String: Any]
        let ancestors = object["ancestors"] as! [Any]
        object["ancestors"] = ancestors + [ancestors[1]]
        try work.folder.write("q4/pedigree.json", try JSONSerialization.data(withJSONObject: object))
        let digest = SHA256.hash(try work.bundle("base/pedigree.json").dsseEnvelope.payload).hex
        let message = "ancestors 2 and 3 are the same manifest (\(digest.prefix(12))…); each ancestor is embedded once"
        let result = try work.run(["verify", "q4", "--trusted-key", "quantizer.pub"])
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: q4/pedigree.json: \(message)\n")
        try work.copyModel("q4", to: "next", modified: ["config.json"])
        let derived = try work.run(["sign", "next", "--key", "quantizer.key", "--parent", "q4", "--relation", "other", "--method", "m"])
        #expect(derived.status == 65)
        #expect(derived.stderr == "pedigree: parent q4: \(message)\n")
        #expect(!work.exists("next/pedigree.json"))
    }

    @Test func aKeyFileWithTwoKeysIsRefusedNamingIt() throws {
        let work = try Workspace()
        try work.signedModel()
        try work.keygen("other")
        try work.folder.write("both.pub", try work.read("other.pub") + work.read("signer.pub"))
        let result = try work.run(["verify", "model", "--trusted-key", "both.pub"])
        #expect(result.status == 65)
        #expect(result.stderr == "pedigree: both.pub: holds 2 keys (PUBLIC KEY, PUBLIC KEY); a key file must hold exactly one, so which is meant is not guessed\n")
        #expect(result.stdout.isEmpty)
        try work.folder.write("both.key", try work.read("other.key") + work.read("signer.key"))
        let before = try work.read("model/pedigree.json")
        let sign = try work.run(["sign", "model", "--key", "both.key", "--force"])
        #expect(sign.status == 65)
        #expect(sign.stderr == "pedigree: both.key: holds 2 keys (PRIVATE KEY, PRIVATE KEY); a key file must hold exactly one, so which is meant is not guessed\n")
        #expect(try work.read("model/pedigree.json") == before)
    }

    @Test func requireTrustedChainFailsOnAnUntrustedAncestor() throws {
        let work = try Workspace()
        try work.threeGenerations()
        let partial = try work.run(["verify", "q4", "--trusted-key", "quantizer.pub", "--trusted-key", "base.pub", "--require-trusted-chain"])
        #expect(partial.status == 1)
        let sft = SHA256.hash(try work.bundle("sft/pedigree.json").dsseEnvelope.payload).hex
        #expect(partial.stderr == "pedigree: ancestor acme/sft (manifest \(sft.prefix(12))…): not signed by a trusted key, and --require-trusted-chain asks every ancestor to be\n")
        // Without the flag the same keys verify, the ancestor reported untrusted.
        #expect(try work.run(["verify", "q4", "--trusted-key", "quantizer.pub", "--trusted-key", "base.pub"]).status == 0)
        let full = try work.run(["verify", "q4", "--trusted-key", "quantizer.pub", "--trusted-key", "tuner.pub", "--trusted-key", "base.pub", "--require-trusted-chain"])
        #expect(full.status == 0, "\(full)")
    }

    @Test func signRefusesANameVerifyWouldRefuse() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/a\\b.bin", "backslash")
        try work.keygen("signer")
        let refused = try work.run(["sign", "model", "--key", "signer.key"])
        #expect(refused.status == 65)
        #expect(refused.stderr == """
            pedigree: cannot sign, 1 problem in the folder:
              a\\b.bin: the name contains a backslash, which a manifest cannot hold ('/' is the only separator in a manifest's names); rename the file or leave it out with --ignore 'a\\\\b.bin'

            """)
        #expect(!work.exists("model/pedigree.json"))
        // The suggested pattern works, and what sign writes, verify accepts.
        let signed = try work.run(["sign", "model", "--key", "signer.key", "--ignore", "a\\\\b.bin"])
        #expect(signed.status == 0, "\(signed)")
        let verified = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
    }
}

@Suite struct UncheckedSignaturesAreShown {
    /// The example model signed by `first.key` then `second.key`, the first signature forged:
    /// once it fails, the envelope is proved altered and the second is not checked.
    private func forgedFirstOfTwo() throws -> Workspace {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("first")
        try work.keygen("second")
        let signed = try work.run(["sign", "model", "--key", "first.key", "--key", "second.key"])
        #expect(signed.status == 0, "\(signed)")
        var bundle = try work.bundle("model/pedigree.json")
        bundle.dsseEnvelope.signatures[0].sig[0] ^= 0x01
        try work.folder.write("model/pedigree.json", Data(try bundle.encoded()))
        return work
    }

    @Test func verifySaysNotCheckedInTextAndJSON() throws {
        let work = try forgedFirstOfTwo()
        let keys = ["--trusted-key", "first.pub", "--trusted-key", "second.pub"]
        let text = try work.run(["verify", "model"] + keys)
        #expect(text.status == 1)
        #expect(text.stdout.contains("signature 1: INVALID for first.pub\n"))
        let second = try work.bundle("model/pedigree.json").dsseEnvelope.signatures[1].keyid
        #expect(text.stdout.contains("signature 2: not checked (\(second.prefix(12))…)\n"), "\(text)")
        let report = try work.jsonReport(["verify", "model", "--json"] + keys, status: 1)
        let statuses = (report["signatures"] as? [[String: Any]])?.map { $0["status"] as? String }
        #expect(statuses == ["invalid", "unchecked"])
    }

    @Test func showSaysNotCheckedInTextAndJSON() throws {
        let work = try forgedFirstOfTwo()
        let keys = ["--trusted-key", "first.pub", "--trusted-key", "second.pub"]
        let text = try work.run(["show", "model"] + keys)
        #expect(text.stdout.contains("INVALID for first.pub\n"), "\(text)")
        #expect(text.stdout.contains(" not checked\n"), "\(text)")
        let report = try work.jsonReport(["show", "model", "--json"] + keys, status: text.status)
        let statuses = (report["signatures"] as? [[String: Any]])?.map { $0["status"] as? String }
        #expect(statuses == ["invalid", "unchecked"])
    }
}
