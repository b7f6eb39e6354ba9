import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

extension Workspace {
    /// The example model with a stand-in OpenAtom license text (the genuine one when `genuine`),
    /// signed by `base.key` as acme/base with the notices of its NOTICE file.
    func signedBase(_ folder: String = "base", name: String = "acme/base", key: String = "base", genuine: Bool = false) throws {
        try exampleModel(folder)
        try self.folder.write("\(folder)/LICENSE", genuine ? try Reference.openAtomText() : Data(Reference.standInOpenAtomText.utf8))
        if !exists("\(key).key") { try keygen(key) }
        let result = try run(["sign", folder, "--key", "\(key).key", "--name", name, "--notice-file", "\(folder)/NOTICE"])
        #expect(result.status == 0, "\(result)")
    }

    /// The example model under a stand-in Apache License 2.0 text (its identifying phrases),
    /// signed by `base.key` with the notices of its NOTICE file, and a fine-tuned child of it.
    func apacheBaseAndChild() throws {
        try exampleModel("base")
        try self.folder.write("base/LICENSE", "Apache License\nVersion 2.0, January 2004\n\n4. Redistribution. ...\n")
        try keygen("base")
        #expect(try run(["sign", "base", "--key", "base.key", "--notice-file", "base/NOTICE"]).status == 0)
        try copyModel("base", to: "child", modified: ["model.safetensors"])
        try derive("child", key: "child", name: "child", ["--parent", "base", "--relation", "finetune", "--method", "m"])
    }

    /// Copies `from` (without its manifest) to `to` and changes `modified` (appending a byte)
    /// and adds the files `added`.
    func copyModel(_ from: String, to: String, modified: [String] = [], added: [String] = []) throws {
        try shell("cp -R '\(from)' '\(to)' && rm -f '\(to)/pedigree.json'", currentDirectory: path)
        for name in modified {
            let handle = try #require(FileHandle(forWritingAtPath: self.folder.url("\(to)/\(name)")))
            handle.seekToEndOfFile()
            handle.write(Data("+".utf8))
            handle.closeFile()
        }
        for name in added { try self.folder.write("\(to)/\(name)", "new \(name)") }
    }

    /// Writes the derivative's notices, then signs it; both with the same derivation options.
    @discardableResult
    func derive(_ folder: String, key: String, name: String, _ derivation: [String], expectSuccess: Bool = true) throws -> ProcessResult {
        if !exists("\(key).key") { try keygen(key) }
        let notices = try run(["notices", folder, "--force"] + derivation)
        if expectSuccess { #expect(notices.status == 0, "\(notices)") }
        let signed = try run(["sign", folder, "--key", "\(key).key", "--name", name, "--force"] + derivation)
        if expectSuccess { #expect(signed.status == 0, "\(signed)") }
        return signed
    }

    /// base → sft (finetune) → q4 (quantization), each signed by its own key; the base carries
    /// the genuine license text when `genuine`.
    func threeGenerations(genuine: Bool = false) throws {
        try signedBase(genuine: genuine)
        try copyModel("base", to: "sft", modified: ["model.safetensors"], added: ["adapter_config.json"])
        try derive("sft", key: "tuner", name: "acme/sft", [
            "--parent", "base", "--relation", "finetune", "--method", "LoRA r=16, merged",
            "--param", "lr=2e-5", "--dataset", "open-instruct@sha256:0123", "--tool", "axolotl@0.4.0",
            "--trusted-key", "base.pub",
        ])
        try copyModel("sft", to: "q4", modified: ["model.safetensors", "config.json"])
        try derive("q4", key: "quantizer", name: "acme/q4", [
            "--parent", "sft", "--relation", "quantization", "--method", "GPTQ 4-bit, group size 128",
            "--trusted-key", "tuner.pub",
        ])
    }

    func statement(ofBundleAt relative: String) throws -> [String: Any] { try statement(relative) }
}

@Suite struct Derivatives {
    @Test(.needsOpenAtomText) func aThreeGenerationChainVerifiesAndChecks() throws {
        let work = try Workspace()
        try work.threeGenerations(genuine: true)
        let verified = try work.run(["verify", "q4", "--trusted-key", "quantizer.pub", "--trusted-key", "tuner.pub", "--trusted-key", "base.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("ancestor acme/sft (manifest "))
        #expect(verified.stdout.contains("  ancestor acme/base (manifest "))
        #expect(verified.stdout.contains("): trusted (Ed25519, base.pub)\n"))
        // One file carries the whole chain: the grandparent is embedded in the grandchild.
        let bundle = try work.bundle("q4/pedigree.json")
        #expect(bundle.ancestors.count == 2)
        #expect(try work.schemaProblems(["base/pedigree.json", "sft/pedigree.json", "q4/pedigree.json"]) == "")
        for model in ["base", "sft", "q4"] {
            let check = try work.run(["check", model])
            #expect(check.status == 0, "\(model): \(check)")
        }
        let check = try work.run(["check", "q4"])
        #expect(check.stdout.contains("PASS      OpenAtom-1.0 §3.1(1) a copy of the license: LICENSE sha256:3631212b7c59 (the published text of the OpenAtom Model License 1.0; the same file acme/sft, acme/base carried)"))
        #expect(check.stdout.contains("PASS      OpenAtom-1.0 §3.1(2) notices retained: 2 of 2 notices of 1 ancestor retained in the manifest"))
        #expect(check.stdout.contains("PASS      OpenAtom-1.0 §3.1(3) notices of modification: 2 changed files against 1 parent, named in MODIFICATIONS.md sha256:"))
        #expect(check.stdout.contains("DECLARED  OpenAtom-1.0 §3.1(4) lawful use"))
    }

    @Test func theManifestRecordsTheDerivation() throws {
        let work = try Workspace()
        try work.threeGenerations()
        let base = try work.bundle("base/pedigree.json")
        let basePayload = base.dsseEnvelope.payload
        let predicate = try work.statement("sft/pedigree.json")["predicate"] as! [String: Any]
        let lineage = predicate["lineage"] as! [String: Any]
        let parent = (lineage["parents"] as! [[String: Any]])[0]
        #expect(parent["name"] as? String == "acme/base")
        #expect(parent["manifestDigest"] as? String == SHA256.hash(basePayload).hex)
        #expect(parent["relation"] as? String == "finetune")
        #expect(parent["role"] as? String == "base")
        #expect(parent["trusted"] as? Bool == true)
        #expect(parent["format"] as? String == "pedigree")
        #expect(parent["signers"] as? [String] == [base.dsseEnvelope.signatures[0].keyid])
        let derivation = lineage["derivation"] as! [String: Any]
        #expect(derivation["method"] as? String == "LoRA r=16, merged")
        #expect(derivation["parameters"] as? [String: String] == ["lr": "2e-5"])
        #expect(derivation["datasets"] as? [[String: String]] == [["name": "open-instruct", "digest": "sha256:0123"]])
        #expect(derivation["tool"] as? [String: String] == ["name": "axolotl", "version": "0.4.0"])
        let changes = (lineage["changes"] as! [[String: Any]])[0]
        // NOTICE was rewritten by `pedigree notices` with the same notices: unchanged.
        #expect(changes["modified"] as? [String] == ["model.safetensors"])
        #expect(changes["unchanged"] as? [String] == ["LICENSE", "NOTICE", "README.md", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"])
        #expect(changes["added"] as? [String] == ["MODIFICATIONS.md", "adapter_config.json"])
        #expect(changes["removed"] as? [String] == [])
        let modifications = predicate["modifications"] as! [[String: Any]]
        #expect(modifications.count == 1)
        #expect(modifications[0]["files"] as? [String] == ["adapter_config.json", "model.safetensors"])
        #expect(modifications[0]["description"] as? String == "Fine-tuned from acme/base: LoRA r=16, merged")
        let notices = predicate["notices"] as! [String: Any]
        let retained = notices["retained"] as! [[String: Any]]
        #expect(retained.map { $0["kind"] as! String } == ["copyright", "attribution"])
        #expect((retained[0]["origin"] as! [String: String])["model"] == "acme/base")
        // The grandchild keeps the base's notices, still credited to the base.
        let q4 = try work.statement("q4/pedigree.json")["predicate"] as! [String: Any]
        let q4Retained = (q4["notices"] as! [String: Any])["retained"] as! [[String: Any]]
        #expect(q4Retained.map { ($0["origin"] as! [String: String])["model"]! } == ["acme/base", "acme/base"])
        // The notice files that ship say the same.
        let notice = String(decoding: try work.read("sft/NOTICE"), as: UTF8.self)
        #expect(notice == "tiny-model\nCopyright 2026 Example Labs.\n\nThis product includes a tokenizer vocabulary prepared by Example Labs.\n")
        let modificationsFile = String(decoding: try work.read("sft/MODIFICATIONS.md"), as: UTF8.self)
        #expect(modificationsFile.contains("- `model.safetensors` (modified): Fine-tuned from acme/base: LoRA r=16, merged\n"))
        #expect(modificationsFile.contains("- `adapter_config.json` (added): Fine-tuned from acme/base: LoRA r=16, merged\n"))
    }

    @Test(arguments: Relation.allCases)
    func everyRelationRoundTrips(_ relation: Relation) throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try work.derive("child", key: "child", name: "acme/child", ["--parent", "base", "--relation", relation.rawValue, "--method", "m"])
        let parent = ((try work.statement("child/pedigree.json")["predicate"] as! [String: Any])["lineage"] as! [String: Any])["parents"] as! [[String: Any]]
        #expect(parent[0]["relation"] as? String == relation.rawValue)
        let graph = try work.run(["lineage", "child", "--format", "json"])
        let edges = (try JSONSerialization.jsonObject(with: graph.stdoutData) as! [String: Any])["edges"] as! [[String: Any]]
        #expect(edges[0]["relation"] as? String == relation.rawValue)
        #expect(try work.run(["verify", "child", "--trusted-key", "child.pub"]).status == 0)
    }

    @Test func aMergeOfTwoParents() throws {
        let work = try Workspace()
        try work.signedBase("a", name: "acme/a", key: "a")
        try work.exampleModel("b")
        try work.folder.write("b/NOTICE", "Copyright 2025 Other Lab.\n")
        try work.keygen("b")
        #expect(try work.run(["sign", "b", "--key", "b.key", "--name", "other/b", "--notice-file", "b/NOTICE", "--license", "openatom"]).status == 0)
        try work.copyModel("a", to: "merged", modified: ["model.safetensors"])
        try work.derive("merged", key: "merger", name: "acme/merged", [
            "--parent", "a", "--parent", "b", "--relation", "merge", "--method", "SLERP t=0.5", "--trusted-key", "a.pub",
        ])
        let predicate = try work.statement("merged/pedigree.json")["predicate"] as! [String: Any]
        let parents = (predicate["lineage"] as! [String: Any])["parents"] as! [[String: Any]]
        #expect(parents.map { $0["name"] as! String } == ["acme/a", "other/b"])
        #expect(parents.map { $0["trusted"] as! Bool } == [true, false])
        let retained = (predicate["notices"] as! [String: Any])["retained"] as! [[String: Any]]
        #expect(Set(retained.map { ($0["origin"] as! [String: String])["model"]! }) == ["acme/a", "other/b"])
        #expect(try work.run(["check", "merged"]).status == 0)
        let tree = try work.run(["lineage", "merged"])
        #expect(tree.stdout.contains("├── merge: SLERP t=0.5 ← acme/a [root "))
        #expect(tree.stdout.contains("└── merge: SLERP t=0.5 ← other/b [root "))
        #expect(try work.run(["verify", "merged", "--trusted-key", "merger.pub"]).status == 0)
    }

    @Test func aDistillationNamesItsTeacher() throws {
        let work = try Workspace()
        try work.signedBase("student-base", name: "acme/small", key: "small")
        try work.signedBase("teacher", name: "acme/large", key: "large")
        try work.copyModel("student-base", to: "student", modified: ["model.safetensors"])
        try work.derive("student", key: "distiller", name: "acme/small-distilled", [
            "--parent", "student-base", "--teacher", "teacher", "--relation", "distillation",
            "--method", "logit distillation, T=2",
        ])
        let parents = ((try work.statement("student/pedigree.json")["predicate"] as! [String: Any])["lineage"] as! [String: Any])["parents"] as! [[String: Any]]
        #expect(parents.map { $0["role"] as! String } == ["base", "teacher"])
        let card = try work.run(["export", "student", "--format", "model-card"])
        // The teacher is a parent of the manifest, not a base model of the weights (issue 8).
        #expect(card.stdout.contains("base_model:\n- acme/small\n"))
        #expect(!card.stdout.contains("- acme/large"))
        #expect(!card.stdout.contains("base_model_relation:"))
        #expect(card.stdout.contains("Derived by distillation (a relation the Hub's `base_model_relation` has no value for): logit distillation, T=2"))
        let tree = try work.run(["lineage", "student"])
        #expect(tree.stdout.contains("└── distillation, teacher: logit distillation, T=2 ← acme/large [root "))
    }
}

@Suite struct LicenseObligations {
    @Test func aChangedFileWithoutANoticeMakesSignRefuse() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors", "config.json"])
        try work.keygen("child")
        let refused = try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune"])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasSuffix("""
            pedigree: 2 changed files have no modification notice (§3.1(3)): config.json, model.safetensors
              say how they were modified with --method TEXT or --modification 'GLOB: TEXT'

            """))
        #expect(!work.exists("child/pedigree.json"))
        // A notice for one file is not enough.
        let partial = try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune",
                                    "--modification", "*.safetensors: retrained on new data"])
        #expect(partial.status == 1)
        #expect(partial.stderr.contains("1 changed file has no modification notice (§3.1(3)): config.json"))
        // A hosted service owes no modification notices (§3.1, last paragraph).
        let hosted = try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune", "--distribution", "hosted"])
        #expect(hosted.status == 0, "\(hosted)")
    }

    @Test func aDroppedNoticeFailsCheck() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        let options = ["--parent", "base", "--relation", "finetune", "--method", "m",
                       "--drop-notice", "tokenizer vocabulary: the tokenizer was replaced"]
        try work.derive("child", key: "child", name: "acme/child", options)
        let dropped = ((try work.statement("child/pedigree.json")["predicate"] as! [String: Any])["notices"] as! [String: Any])["dropped"] as! [[String: Any]]
        #expect(dropped.count == 1)
        #expect(dropped[0]["reason"] as? String == "the tokenizer was replaced")
        let check = try work.run(["check", "child"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("FAIL      OpenAtom-1.0 §3.1(2) notices retained: 1 of 2 notices of 1 ancestor retained in the manifest"))
        #expect(check.stdout.contains(
            "          - dropped: \"This product includes a tokenizer vocabulary prepared by Example Labs.\" (attribution, from acme/base); reason given: the tokenizer was replaced\n"))
        // The drop must name exactly one notice.
        let nothing = try work.run(["sign", "child", "--key", "child.key", "--force", "--parent", "base", "--relation", "finetune",
                                    "--method", "m", "--drop-notice", "no such text: why"])
        #expect(nothing.status == 65)
        #expect(nothing.stderr.contains("--drop-notice 'no such text' matches no inherited notice"))
        let ambiguous = try work.run(["sign", "child", "--key", "child.key", "--force", "--parent", "base", "--relation", "finetune",
                                      "--method", "m", "--drop-notice", "Example Labs: why"])
        #expect(ambiguous.status == 65)
        #expect(ambiguous.stderr.contains("matches 2 inherited notices"))
    }

    @Test func hostedModeWaivesOneAndThreeOnly() throws {
        let work = try Workspace()
        try work.signedBase()
        // No license copy, no notice files, a changed file: fails as files, and only (2) and (4) apply hosted.
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try FileManager.default.removeItem(atPath: work.folder.url("child/LICENSE"))
        try work.keygen("child")
        #expect(try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune",
                              "--distribution", "hosted", "--license", "openatom"]).status == 0)
        let hosted = try work.run(["check", "child"])
        #expect(hosted.status == 0, "\(hosted)")
        #expect(hosted.stdout.contains("N/A       OpenAtom-1.0 §3.1(1) a copy of the license: a hosted service: item (1) does not apply"))
        #expect(hosted.stdout.contains("PASS      OpenAtom-1.0 §3.1(2) notices retained"))
        #expect(hosted.stdout.contains("N/A       OpenAtom-1.0 §3.1(3) notices of modification: a hosted service: item (3) does not apply"))
        #expect(hosted.stdout.contains("DECLARED  OpenAtom-1.0 §3.1(4) lawful use"))
        // The same folder distributed as files fails (1) and (3).
        let files = try work.run(["check", "child", "--distribution", "files"])
        #expect(files.status == 1)
        #expect(files.stdout.contains("FAIL      OpenAtom-1.0 §3.1(1) a copy of the license"))
        #expect(files.stdout.contains("          - no copy of the OpenAtom Model License 1.0 is among the files"))
        #expect(files.stdout.contains("FAIL      OpenAtom-1.0 §3.1(3) notices of modification"))
        #expect(files.stdout.contains("          - model.safetensors: changed, and the manifest has no modification notice for it"))
        // Hosted still owes (2): a dropped notice fails there too.
        try work.copyModel("base", to: "child2", modified: ["model.safetensors"])
        #expect(try work.run(["sign", "child2", "--key", "child.key", "--parent", "base", "--relation", "finetune",
                              "--distribution", "hosted", "--drop-notice", "Copyright 2026: not ours"]).status == 0)
        let owed = try work.run(["check", "child2"])
        #expect(owed.status == 1)
        #expect(owed.stdout.contains("FAIL      OpenAtom-1.0 §3.1(2) notices retained"))
    }

    @Test(.needsOpenAtomText) func anAlteredOrMissingLicenseFails() throws {
        let work = try Workspace()
        try work.signedBase(genuine: true)
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        let text = String(decoding: try Reference.openAtomText(), as: UTF8.self).replacingOccurrences(of: "solely responsible", with: "partly responsible")
        try work.folder.write("child/LICENSE", text)
        try work.derive("child", key: "child", name: "acme/child", ["--parent", "base", "--relation", "finetune", "--method", "m"])
        let check = try work.run(["check", "child"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("names the OpenAtom Model License 1.0 but is not its published text"))
        #expect(check.stdout.contains("          - the license file acme/base carried (sha256:3631212b7c59) is not among the files\n"))
    }

    @Test func aNoticeFileThatDoesNotCarryTheNoticesFails() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try work.keygen("child")
        // Signed without running `pedigree notices`: the old NOTICE lacks nothing, but no file names the change.
        #expect(try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune", "--method", "m"]).status == 0)
        let check = try work.run(["check", "child"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("          - model.safetensors: changed, and no notice file that ships names it with how it was modified\n"))
        // A NOTICE emptied after signing no longer matches the manifest.
        try work.folder.write("child/NOTICE", "")
        let emptied = try work.run(["check", "child"])
        #expect(emptied.stdout.contains("          - NOTICE differs from the signed manifest\n"))
    }

    @Test func aStaleModificationNoticeFromTheParentDoesNotCount() throws {
        let work = try Workspace()
        try work.threeGenerations()
        // q5 copies q4 with its MODIFICATIONS.md, which names model.safetensors, but for q4's change.
        try work.copyModel("q4", to: "q5", modified: ["model.safetensors"])
        try work.keygen("q5")
        #expect(try work.run(["sign", "q5", "--key", "q5.key", "--parent", "q4", "--relation", "quantization", "--method", "AWQ 3-bit"]).status == 0)
        let check = try work.run(["check", "q5"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("          - model.safetensors: changed, and no notice file that ships names it with how it was modified\n"))
    }

    @Test func anUnknownLicenseIsUncheckedNeverPassing() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--license", "LicenseRef-Custom"]).status == 0)
        let check = try work.run(["check", "model"])
        #expect(check.status == 2)
        #expect(check.stdout.contains("UNCHECKED LicenseRef-Custom distribution conditions"))
        #expect(!check.stdout.contains("PASS"))
        // Without --license, a license file or front matter naming one: no license at all.
        try work.folder.write("model/README.md", "# tiny-model\n")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--force"]).status == 0)
        let none = try work.run(["check", "model"])
        #expect(none.status == 2)
        #expect(none.stdout.contains("the manifest names no license"))
    }

    @Test func apacheTwoIsCheckedWithItsOwnClauses() throws {
        let work = try Workspace()
        try work.apacheBaseAndChild()
        let check = try work.run(["check", "child"])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("PASS      Apache-2.0 §4(a) a copy of the license"))
        #expect(check.stdout.contains("PASS      Apache-2.0 §4(c) notices retained"))
        #expect(check.stdout.contains("PASS      Apache-2.0 §4(b) notices of modification"))
        #expect(check.stdout.contains("PASS      Apache-2.0 §4(d) the NOTICE file: NOTICE sha256:"))
        // Without a NOTICE file, 4(d) fails: the base shipped one.
        try FileManager.default.removeItem(atPath: work.folder.url("child/NOTICE"))
        #expect(try work.run(["sign", "child", "--key", "child.key", "--force", "--parent", "base", "--relation", "finetune", "--method", "m"]).status == 0)
        let without = try work.run(["check", "child"])
        #expect(without.status == 1)
        #expect(without.stdout.contains("FAIL      Apache-2.0 §4(d) the NOTICE file"))
        #expect(without.stdout.contains("          - base shipped a NOTICE file; none ships here\n"))
    }

    @Test func checkWarnsWhenTheReadmeDisagreesWithTheLineage() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try work.derive("child", key: "child", name: "acme/child", ["--parent", "base", "--relation", "quantization", "--method", "int8"])
        let before = try work.run(["check", "child"])
        #expect(before.status == 0)
        #expect(before.stderr.contains("pedigree: warning: README.md front matter says base_model: (none); the signed lineage says acme/base\n"))
        #expect(before.stderr.contains("pedigree: warning: README.md front matter says base_model_relation: (none); the signed lineage gives quantized\n"))
        // Put the exported front matter into the README, re-sign: no warning.
        let card = try work.run(["export", "child", "--format", "model-card"])
        try work.folder.write("child/README.md", card.stdout)
        try work.derive("child", key: "child", name: "acme/child", ["--parent", "base", "--relation", "quantization", "--method", "int8"])
        let after = try work.run(["check", "child"])
        #expect(after.status == 0, "\(after)")
        #expect(after.stderr == "")
    }
}
