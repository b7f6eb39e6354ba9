import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

/// Runs the OpenSSF reference CLI (`model_signing` 1.1.1, installed by `Scripts/bootstrap.sh --tests`).
@discardableResult
private func modelSigning(_ arguments: [String], in work: Workspace) throws -> ProcessResult {
    try run(TestTools.modelSigning, arguments, currentDirectory: work.path, timeout: 300)
}

/// Runs a validator from Scripts/ on files of the workspace.
private func validate(_ script: String, _ files: [String], in work: Workspace) throws -> ProcessResult {
    try TestTools.validate(script, files.map(work.folder.url))
}

@Suite struct OMSInterop {
    @Test(arguments: ["ecdsa-p256", "ecdsa-p384", "ecdsa-p521"])
    func anExportedBundleVerifiesWithModelSigningUntilAByteChanges(_ algorithm: String) throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/big.bin", pseudoRandomBytes(9 << 20, seed: 3))
        // Files pedigree leaves out must be left out by model_signing too.
        try work.folder.write("model/.cache/huggingface/download/x.lock", "")
        try work.folder.write("model/logs/run.txt", "loss")
        try work.keygen("publisher")
        try work.keygen("oms", algorithm)
        #expect(try work.run(["sign", "model", "--key", "publisher.key", "--ignore", "logs"]).status == 0)
        let exported = try work.run(["export", "model", "--format", "oms", "--key", "oms.key"])
        #expect(exported.status == 0, "\(exported)")
        #expect(exported.stderr == "wrote model/model.sig\n")
        let verified = try modelSigning(["verify", "key", "model", "--signature", "model/model.sig", "--public_key", "oms.pub"], in: work)
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("Verification succeeded"))
        // Both tools name the model by the same root digest.
        let ours = ((try work.statement("model/pedigree.json")["subject"] as! [[String: Any]])[0]["digest"] as! [String: String])["sha256"]
        let bundle = try work.bundle("model/model.sig")
        #expect(bundle.kind == .sigstore)
        let payload = try JSONSerialization.jsonObject(with: Data(bundle.dsseEnvelope.payload)) as! [String: Any]
        #expect(((payload["subject"] as! [[String: Any]])[0]["digest"] as! [String: String])["sha256"] == ours)
        #expect(payload["predicateType"] as? String == "https://model_signing/signature/v1.0")
        // The public-key hint is the SHA-256 of the key's PEM, as model_signing computes it.
        #expect(bundle.verificationMaterial?.publicKeyHint == (try systemSHA256(work.folder.url("oms.pub"))))
        // One byte changed in a large file: model_signing refuses the folder.
        let fd = open(work.folder.url("model/big.bin"), O_WRONLY)
        #expect(pwrite(fd, "?", 1, 5 << 20) == 1)
        close(fd)
        let tampered = try modelSigning(["verify", "key", "model", "--signature", "model/model.sig", "--public_key", "oms.pub"], in: work)
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("Verification failed with error: Signature mismatch"))
        #expect(tampered.stderr.contains("Hash mismatch for"))
        #expect(tampered.stderr.contains("big.bin"))
        // And pedigree refuses to export a folder that no longer matches its manifest.
        let stale = try work.run(["export", "model", "--format", "oms", "--key", "oms.key", "--force"])
        #expect(stale.status == 1)
        #expect(stale.stderr == "pedigree: model: the folder does not match its manifest; not exported:\n  big.bin: MODIFIED\n")
    }

    /// Every key type of the OMS algorithm registry ("Signing Key Types"): model_signing signs, pedigree verifies.
    @Test(arguments: [("prime256v1", "P-256"), ("secp384r1", "P-384"), ("secp521r1", "P-521")])
    func aBundleSignedByModelSigningVerifiesWithPedigreeUntilTampered(_ curve: String, _ display: String) throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/sub/weights.bin", pseudoRandomBytes(3 << 20, seed: 8))
        try shell("openssl ecparam -name \(curve) -genkey -noout -out oms.key && openssl ec -in oms.key -pubout -out oms.pub 2>/dev/null",
                  currentDirectory: work.path)
        let signed = try modelSigning(["sign", "key", "model", "--private_key", "oms.key", "--signature", "model/model.sig"], in: work)
        #expect(signed.status == 0, "\(signed)")
        let verified = try work.run(["verify", "model", "--manifest", "model/model.sig", "--trusted-key", "oms.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("(oms)"))
        #expect(verified.stdout.contains("signature 1: trusted (ECDSA \(display), oms.pub)"))
        #expect(verified.stdout.hasSuffix("verified: 8 files OK, signed by a trusted key\n"))
        // pedigree computes the same root digest for the folder.
        try work.keygen("publisher")
        #expect(try work.run(["sign", "model", "--key", "publisher.key"]).status == 0)
        let theirs = ((try work.statement("model/model.sig")["subject"] as! [[String: Any]])[0]["digest"] as! [String: String])["sha256"]
        let ours = ((try work.statement("model/pedigree.json")["subject"] as! [[String: Any]])[0]["digest"] as! [String: String])["sha256"]
        #expect(ours == theirs)
        // Tampering is reported file by file, with the same report as a pedigree manifest.
        try work.folder.write("model/sub/weights.bin", pseudoRandomBytes(3 << 20, seed: 20))
        try work.folder.write("model/injected.py", "import os")
        let tampered = try work.run(["verify", "model", "--manifest", "model/model.sig", "--trusted-key", "oms.pub"])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("sub/weights.bin: MODIFIED\n"))
        #expect(tampered.stdout.contains("injected.py: UNEXPECTED\n"))
        // A bundle by another key is not trusted.
        try shell("openssl ecparam -name prime256v1 -genkey -noout -out other.key && openssl ec -in other.key -pubout -out other.pub 2>/dev/null",
                  currentDirectory: work.path)
        let wrongKey = try work.run(["verify", "model", "--manifest", "model/model.sig", "--trusted-key", "other.pub", "--only", "config.json"])
        #expect(wrongKey.status == 1)
        // Its hint names another key: model_signing's "Key mismatch".
        #expect(wrongKey.stderr.contains("Key mismatch: the bundle's public-key hint "))
    }

    @Test func anOMSBundleStartsAPedigreeChain() throws {
        let work = try Workspace()
        try work.exampleModel("base")
        try shell("openssl ecparam -name prime256v1 -genkey -noout -out oms.key && openssl ec -in oms.key -pubout -out oms.pub 2>/dev/null",
                  currentDirectory: work.path)
        #expect(try modelSigning(["sign", "key", "base", "--private_key", "oms.key", "--signature", "base/model.sig"], in: work).status == 0)
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try FileManager.default.removeItem(atPath: work.folder.url("child/model.sig"))
        try work.keygen("tuner")
        let signed = try work.run([
            "sign", "child", "--key", "tuner.key", "--parent", "base/model.sig", "--relation", "finetune",
            "--method", "full fine-tune", "--trusted-key", "oms.pub", "--license", "openatom",
        ])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stderr.contains("): signed by a trusted key\n"))
        let parent = (((try work.statement("child/pedigree.json")["predicate"] as! [String: Any])["lineage"] as! [String: Any])["parents"] as! [[String: Any]])[0]
        #expect(parent["format"] as? String == "oms")
        #expect(parent["trusted"] as? Bool == true)
        let omsKeyID = try PublicKey(pem: Array(work.read("oms.pub"))).keyID
        #expect(parent["signers"] as? [String] == [omsKeyID])
        // The child's bundle carries the OMS bundle's envelope and hint; verify walks it.
        let bundle = try work.bundle("child/pedigree.json")
        #expect(bundle.ancestors.first?.verificationMaterial?.publicKeyHint == (try systemSHA256(work.folder.url("oms.pub"))))
        let verified = try work.run(["verify", "child", "--trusted-key", "tuner.pub", "--trusted-key", "oms.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("ancestor base (manifest "))
        #expect(verified.stdout.contains("): trusted (ECDSA P-256, oms.pub)\n"))
        let tree = try work.run(["lineage", "child"])
        #expect(tree.stdout.contains("└── finetune: full fine-tune ← base [root "))
        #expect(try work.schemaProblems(["child/pedigree.json"]) == "")
    }

    @Test func exportRefusesWhatOMSCannotCarry() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("publisher")
        #expect(try work.run(["sign", "model", "--key", "publisher.key"]).status == 0)
        let ed25519 = try work.run(["export", "model", "--format", "oms", "--key", "publisher.key"])
        #expect(ed25519.status == 65)
        #expect(ed25519.stderr == "pedigree: publisher.key: OMS key signing uses ECDSA (P-256, P-384 or P-521), as the OMS algorithm registry lists; this key is Ed25519 (make one with 'pedigree keygen --algorithm ecdsa-p256')\n")
        #expect(!work.exists("model/model.sig"))
        let noKey = try work.run(["export", "model", "--format", "oms"])
        #expect(noKey.status == 64)
        try work.keygen("oms", "ecdsa-p256")
        #expect(try work.run(["export", "model", "--format", "oms", "--key", "oms.key"]).status == 0)
        let again = try work.run(["export", "model", "--format", "oms", "--key", "oms.key"])
        #expect(again.status == 73)
        #expect(again.stderr == "pedigree: model/model.sig: already exists; not overwritten (use --force to replace it)\n")
        // A bundle beside the manifest is ignored by pedigree's own scans.
        #expect(try work.run(["verify", "model", "--trusted-key", "publisher.pub"]).status == 0)
    }
}

@Suite struct BOMExports {
    @Test func cycloneDXAndSPDXOfAThreeGenerationChainValidateAndCarryTheAncestors() throws {
        let work = try Workspace()
        try work.threeGenerations()
        for format in ["cyclonedx", "spdx", "slsa"] {
            let result = try work.run(["export", "q4", "--format", format, "--output", "q4.\(format).json"])
            #expect(result.status == 0, "\(result)")
        }
        let cyclonedx = try validate("validate-cyclonedx.py", ["q4.cyclonedx.json"], in: work)
        #expect(cyclonedx.status == 0, "\(cyclonedx)")
        let spdx = try validate("validate-spdx.py", ["q4.spdx.json"], in: work)
        #expect(spdx.status == 0, "\(spdx)")
        let slsa = try validate("validate-slsa.py", ["q4.slsa.json"], in: work)
        #expect(slsa.status == 0, "\(slsa)")

        let roots = try ["q4", "sft", "base"].map {
            ((try work.statement("\($0)/pedigree.json")["subject"] as! [[String: Any]])[0]["digest"] as! [String: String])["sha256"]!
        }
        // CycloneDX: the model, and its ancestors in pedigree.ancestors with their root digests.
        let bom = try JSONSerialization.jsonObject(with: work.read("q4.cyclonedx.json")) as! [String: Any]
        let model = (bom["metadata"] as! [String: Any])["component"] as! [String: Any]
        #expect(model["type"] as? String == "machine-learning-model")
        #expect(model["name"] as? String == "acme/q4")
        #expect((model["hashes"] as! [[String: String]]).first?["content"] == roots[0])
        let ancestors = (model["pedigree"] as! [String: Any])["ancestors"] as! [[String: Any]]
        #expect(ancestors.map { $0["name"] as! String } == ["acme/sft", "acme/base"])
        #expect(ancestors.map { ($0["hashes"] as! [[String: String]])[0]["content"]! } == Array(roots.dropFirst()))
        #expect(((model["pedigree"] as! [String: Any])["notes"] as? String)?.contains("GPTQ 4-bit") == true)
        let files = (bom["components"] as! [[String: Any]]).filter { $0["type"] as? String == "file" }
        #expect(files.count == 10)
        let weights = files.first { $0["name"] as? String == "model.safetensors" }!
        #expect((weights["hashes"] as! [[String: String]])[0]["content"] == (try systemSHA256(work.folder.url("q4/model.safetensors"))))
        // SPDX: one AI package per generation, linked by descendantOf.
        let graph = (try JSONSerialization.jsonObject(with: work.read("q4.spdx.json")) as! [String: Any])["@graph"] as! [[String: Any]]
        let packages = graph.filter { $0["type"] as? String == "ai_AIPackage" }
        #expect(Set(packages.map { $0["name"] as! String }) == ["acme/q4", "acme/sft", "acme/base"])
        let idOf = Dictionary(uniqueKeysWithValues: packages.map { ($0["name"] as! String, $0["spdxId"] as! String) })
        let descent = graph.filter { $0["type"] as? String == "Relationship" && $0["relationshipType"] as? String == "descendantOf" }
        let pairs = Set(descent.flatMap { relationship in (relationship["to"] as! [String]).map { "\(relationship["from"]!)>\($0)" } })
        #expect(pairs == ["\(idOf["acme/q4"]!)>\(idOf["acme/sft"]!)", "\(idOf["acme/sft"]!)>\(idOf["acme/base"]!)"])
        let attribution = packages.first { $0["name"] as? String == "acme/q4" }!["software_attributionText"] as! [String]
        #expect(attribution.contains("tiny-model\nCopyright 2026 Example Labs."))
        // SLSA: the parent as a resolved dependency, pinned by its root digest.
        let provenance = try JSONSerialization.jsonObject(with: work.read("q4.slsa.json")) as! [String: Any]
        let definition = (provenance["predicate"] as! [String: Any])["buildDefinition"] as! [String: Any]
        let dependencies = definition["resolvedDependencies"] as! [[String: Any]]
        #expect((dependencies[0]["digest"] as! [String: String])["sha256"] == roots[1])
        #expect((definition["externalParameters"] as! [String: Any])["relation"] as? String == "quantization")
        // Exports are deterministic.
        let again = try work.run(["export", "q4", "--format", "cyclonedx"])
        #expect(again.stdoutData == (try work.read("q4.cyclonedx.json")))
    }

    @Test func theValidatorsCatchABrokenExport() throws {
        let work = try Workspace()
        try work.threeGenerations()
        let bom = try work.run(["export", "q4", "--format", "cyclonedx"])
        try work.folder.write("bad.cdx.json", bom.stdout.replacingOccurrences(of: "\"machine-learning-model\"", with: "\"neural-net\""))
        let cyclonedx = try validate("validate-cyclonedx.py", ["bad.cdx.json"], in: work)
        #expect(cyclonedx.status == 1)
        #expect(cyclonedx.stdout.contains("schema:"))
        let spdx = try work.run(["export", "q4", "--format", "spdx"])
        try work.folder.write("bad.spdx.json", spdx.stdout.replacingOccurrences(of: "\"descendantOf\"", with: "\"childOf\""))
        #expect(try validate("validate-spdx.py", ["bad.spdx.json"], in: work).status == 1)
    }
}
