import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

/// Rewrites the JSON of the bundle at `relative`.
private func editBundle(_ work: Workspace, _ relative: String, _ edit: (inout [String: Any]) throws -> Void) throws {
    var object = try JSONSerialization.jsonObject(with: work.read(relative)) as! [String: Any]
    try edit(&object)
    try work.folder.write(relative, try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

private func verifyQ4(_ work: Workspace) throws -> ProcessResult {
    try work.run(["verify", "q4", "--trusted-key", "quantizer.pub", "--trusted-key", "tuner.pub", "--trusted-key", "base.pub"])
}

@Suite struct TamperedChains {
    @Test func oneByteOfAnEmbeddedAncestorEdited() throws {
        let work = try Workspace()
        try work.threeGenerations()
        try editBundle(work, "q4/pedigree.json") { object in
            var ancestors = object["ancestors"] as! [[String: Any]]
            var envelope = ancestors[1]["dsseEnvelope"] as! [String: Any]
            var payload = base64Decode(envelope["payload"] as! String)!
            // One hex digit of the first file digest: still valid JSON, a different manifest.
            let marker = Array("\"digest\":\"".utf8)
            let at = (0..<(payload.count - marker.count)).first { Array(payload[$0..<($0 + marker.count)]) == marker }! + marker.count
            payload[at] = payload[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            envelope["payload"] = base64Encode(payload)
            ancestors[1]["dsseEnvelope"] = envelope
            object["ancestors"] = ancestors
        }
        let result = try verifyQ4(work)
        #expect(result.status == 1)
        #expect(result.stderr.contains("pedigree: acme/sft's parent acme/base (manifest "))
        #expect(result.stderr.contains("is not among the embedded ancestors: it was removed, altered or swapped\n"))
        #expect(result.stderr.contains("is not referenced by any parent in the chain\n"))
        // The model's own files and signature are fine, and are reported as such.
        #expect(result.stdout.contains("signature 1: trusted (Ed25519, quantizer.pub)"))
        #expect(result.stdout.contains("model.safetensors: OK"))
    }

    @Test func anAncestorsSignatureAltered() throws {
        let work = try Workspace()
        try work.threeGenerations()
        try editBundle(work, "q4/pedigree.json") { object in
            var ancestors = object["ancestors"] as! [[String: Any]]
            var envelope = ancestors[1]["dsseEnvelope"] as! [String: Any]
            var signatures = envelope["signatures"] as! [[String: Any]]
            var sig = base64Decode(signatures[0]["sig"] as! String)!
            sig[5] ^= 0x01
            signatures[0]["sig"] = base64Encode(sig)
            envelope["signatures"] = signatures
            ancestors[1]["dsseEnvelope"] = envelope
            object["ancestors"] = ancestors
        }
        let result = try verifyQ4(work)
        #expect(result.status == 1)
        #expect(result.stdout.contains("  ancestor acme/base (manifest "))
        #expect(result.stdout.contains("): INVALID signature for base.pub\n"))
        #expect(result.stderr.contains("pedigree: ancestor acme/base (manifest "))
        #expect(result.stderr.contains("a signature does not verify with the trusted key it names\n"))
    }

    @Test func anotherAncestorSwappedIn() throws {
        let work = try Workspace()
        try work.threeGenerations()
        // A different, validly signed base put where the real one was.
        try work.exampleModel("impostor")
        try work.folder.write("impostor/LICENSE", Reference.standInOpenAtomText)
        try work.folder.write("impostor/backdoor.py", "import os")
        #expect(try work.run(["sign", "impostor", "--key", "base.key", "--name", "acme/base"]).status == 0)
        let impostor = try JSONSerialization.jsonObject(with: work.read("impostor/pedigree.json")) as! [String: Any]
        try editBundle(work, "q4/pedigree.json") { object in
            var ancestors = object["ancestors"] as! [[String: Any]]
            ancestors[1] = ["dsseEnvelope": impostor["dsseEnvelope"]!]
            object["ancestors"] = ancestors
        }
        let result = try verifyQ4(work)
        #expect(result.status == 1)
        #expect(result.stderr.contains("is not among the embedded ancestors: it was removed, altered or swapped"))
        #expect(result.stderr.contains("pedigree: embedded ancestor acme/base (manifest "))
    }

    @Test func theSameAncestorPayloadResignedByAnotherKey() throws {
        let work = try Workspace()
        try work.threeGenerations()
        try work.keygen("mallory")
        let mallory = try PrivateKey(pem: Array(work.read("mallory.key")))
        try editBundle(work, "q4/pedigree.json") { object in
            var ancestors = object["ancestors"] as! [[String: Any]]
            var envelope = ancestors[1]["dsseEnvelope"] as! [String: Any]
            let payload = base64Decode(envelope["payload"] as! String)!
            let resigned = try Envelope.sign(payload: payload, payloadType: MediaTypes.inToto, key: mallory)
            envelope["signatures"] = resigned.signatures.map { ["keyid": $0.keyid, "sig": base64Encode($0.sig)] }
            ancestors[1]["dsseEnvelope"] = envelope
            object["ancestors"] = ancestors
        }
        let result = try verifyQ4(work)
        #expect(result.status == 1)
        #expect(result.stderr.contains("acme/sft's parent acme/base (manifest "))
        #expect(result.stderr.contains("when it was referenced; the embedded manifest carries no signature by that key\n"))
    }

    @Test func aParentReferencePointedAtADifferentManifest() throws {
        let work = try Workspace()
        try work.threeGenerations()
        // The quantizer re-signs a statement whose parent reference names another model's digest
        // while keeping the real ancestors: the signature is valid, the reference is not.
        try work.signedBase("other", name: "acme/other", key: "other")
        let other = try work.bundle("other/pedigree.json")
        let otherDigest = SHA256.hash(other.dsseEnvelope.payload).hex
        var statement = try work.statement("q4/pedigree.json")
        var predicate = statement["predicate"] as! [String: Any]
        var lineage = predicate["lineage"] as! [String: Any]
        var parents = lineage["parents"] as! [[String: Any]]
        parents[0]["manifestDigest"] = otherDigest
        lineage["parents"] = parents
        predicate["lineage"] = lineage
        statement["predicate"] = predicate
        let ancestors = (try JSONSerialization.jsonObject(with: work.read("q4/pedigree.json")) as! [String: Any])["ancestors"]!
        try work.forge(statement, key: "quantizer.key", to: "q4/pedigree.json")
        try editBundle(work, "q4/pedigree.json") { object in
            object["ancestors"] = ancestors
        }
        let result = try verifyQ4(work)
        #expect(result.status == 1)
        #expect(result.stderr.contains("pedigree: acme/q4's parent acme/sft (manifest \(otherDigest.prefix(12))…) is not among the embedded ancestors"))
        // And pointing it at an embedded manifest of another name is named too.
        let baseDigest = SHA256.hash(try work.bundle("base/pedigree.json").dsseEnvelope.payload).hex
        parents[0]["manifestDigest"] = baseDigest
        lineage["parents"] = parents
        predicate["lineage"] = lineage
        statement["predicate"] = predicate
        try work.forge(statement, key: "quantizer.key", to: "q4/pedigree.json")
        try editBundle(work, "q4/pedigree.json") { object in
            object["ancestors"] = ancestors
        }
        let misnamed = try verifyQ4(work)
        #expect(misnamed.status == 1)
        #expect(misnamed.stderr.contains("the embedded manifest names the model 'acme/base'"))
        #expect(misnamed.stderr.contains("the embedded manifest's root digest is "))
    }

    @Test func aParentSignedByAnUnknownKeyIsUntrustedNotValid() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try work.keygen("stranger")
        try work.keygen("child")
        try work.run(["notices", "child", "--force", "--parent", "base", "--relation", "finetune", "--method", "m"])
        let signed = try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune",
                                   "--method", "m", "--trusted-key", "stranger.pub"])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stderr.contains("parent acme/base (manifest "))
        #expect(signed.stderr.contains("): signed by an unknown key; recorded as untrusted\n"))
        let parent = (((try work.statement("child/pedigree.json")["predicate"] as! [String: Any])["lineage"] as! [String: Any])["parents"] as! [[String: Any]])[0]
        #expect(parent["trusted"] as? Bool == false)
        let verified = try work.run(["verify", "child", "--trusted-key", "child.pub"])
        #expect(verified.status == 0)
        #expect(verified.stdout.contains("ancestor acme/base (manifest "))
        #expect(verified.stdout.contains("): untrusted: signed by an unknown key\n"))
        let graph = try work.run(["lineage", "child", "--format", "json", "--trusted-key", "child.pub"])
        let nodes = (try JSONSerialization.jsonObject(with: graph.stdoutData) as! [String: Any])["nodes"] as! [[String: Any]]
        #expect(nodes.map { $0["trust"] as! String } == ["trusted", "untrusted"])
    }

    @Test func aTamperedParentIsRefusedAtSigning() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try work.keygen("child")
        try editBundle(work, "base/pedigree.json") { object in
            var envelope = object["dsseEnvelope"] as! [String: Any]
            var signatures = envelope["signatures"] as! [[String: Any]]
            var sig = base64Decode(signatures[0]["sig"] as! String)!
            sig[0] ^= 0x80
            signatures[0]["sig"] = base64Encode(sig)
            envelope["signatures"] = signatures
            object["dsseEnvelope"] = envelope
        }
        let refused = try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune",
                                    "--method", "m", "--trusted-key", "base.pub"])
        #expect(refused.status == 65)
        #expect(refused.stderr == "pedigree: parent base: signature 1 does not verify with the trusted key it names; refusing to build on it\n")
        #expect(!work.exists("child/pedigree.json"))
        // A parent whose subject does not match its files is refused whatever the keys.
        try work.signedBase("base2", name: "acme/base2", key: "base")
        var statement = try work.statement("base2/pedigree.json")
        statement["subject"] = [["name": "acme/base2", "digest": ["sha256": String(repeating: "a", count: 64)]]]
        try work.forge(statement, key: "base.key", to: "base2/pedigree.json")
        let inconsistent = try work.run(["sign", "child", "--key", "child.key", "--parent", "base2", "--relation", "finetune", "--method", "m"])
        #expect(inconsistent.status == 65)
        #expect(inconsistent.stderr.hasPrefix("pedigree: parent base2 is not consistent:\n  the subject digest aaaaaaaaaaaa… does not match the resources"))
        let missing = try work.run(["sign", "child", "--key", "child.key", "--parent", "nowhere", "--relation", "finetune", "--method", "m"])
        #expect(missing.status == 66)
        #expect(missing.stderr == "pedigree: parent nowhere: No such file or directory\n")
    }
}

@Suite struct LineageOutput {
    @Test func jsonIsCheckedFieldByField() throws {
        let work = try Workspace()
        try work.threeGenerations()
        let result = try work.run(["lineage", "q4", "--format", "json", "--trusted-key", "quantizer.pub", "--trusted-key", "base.pub"])
        #expect(result.status == 0, "\(result)")
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as! [String: Any]
        let nodes = object["nodes"] as! [[String: Any]]
        let digests = try ["q4", "sft", "base"].map { SHA256.hash(try work.bundle("\($0)/pedigree.json").dsseEnvelope.payload).hex }
        let roots = try ["q4", "sft", "base"].map {
            ((try work.statement("\($0)/pedigree.json")["subject"] as! [[String: Any]])[0]["digest"] as! [String: String])["sha256"]!
        }
        #expect(nodes.map { $0["name"] as! String } == ["acme/q4", "acme/sft", "acme/base"])
        #expect(nodes.map { $0["manifestDigest"] as! String } == digests)
        #expect(nodes.map { $0["rootDigest"] as! String } == roots)
        #expect(nodes.map { $0["depth"] as! Int } == [0, 1, 2])
        #expect(nodes.map { $0["trust"] as! String } == ["trusted", "untrusted", "trusted"])
        #expect(nodes.map { $0["format"] as! String } == ["pedigree", "pedigree", "pedigree"])
        #expect(nodes.map { $0["relation"] as? String } == ["quantization", "finetune", nil])
        #expect(nodes.map { $0["method"] as? String } == ["GPTQ 4-bit, group size 128", "LoRA r=16, merged", nil])
        #expect(nodes.map { $0["license"] as? String } == Array(repeating: "LicenseRef-OpenAtom-Model-License-1.0", count: 3))
        let keyids = try ["quantizer", "tuner", "base"].map { try String(decoding: work.read("\($0).pub"), as: UTF8.self) }
            .map { try PublicKey(pem: Array($0.utf8)).keyID }
        #expect(nodes.map { ($0["signers"] as! [String]) } == keyids.map { [$0] })
        let edges = object["edges"] as! [[String: Any]]
        #expect(edges.count == 2)
        #expect(edges[0]["child"] as? String == digests[0])
        #expect(edges[0]["parent"] as? String == digests[1])
        #expect(edges[0]["relation"] as? String == "quantization")
        #expect(edges[0]["role"] as? String == "base")
        #expect(edges[0]["resolved"] as? Bool == true)
        #expect(edges[1]["child"] as? String == digests[1])
        #expect(edges[1]["parent"] as? String == digests[2])
        #expect(edges[1]["relation"] as? String == "finetune")
    }

    @Test func theTreeShowsEachGeneration() throws {
        let work = try Workspace()
        try work.threeGenerations()
        let result = try work.run(["lineage", "q4", "--trusted-keys", "."])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("acme/q4 [root "))
        #expect(lines[0].hasSuffix("(trusted)"))
        #expect(lines[1].hasPrefix("└── quantization: GPTQ 4-bit, group size 128 ← acme/sft [root "))
        #expect(lines[2].hasPrefix("    └── finetune: LoRA r=16, merged ← acme/base [root "))
    }

    @Test func mermaidAndDotParse() throws {
        let work = try Workspace()
        try work.threeGenerations()
        // A method with characters both formats must escape.
        try work.copyModel("q4", to: "odd", modified: ["model.safetensors"])
        try work.derive("odd", key: "odd", name: "odd \"quoted\" <model>", [
            "--parent", "q4", "--relation", "other", "--method", "a|b #1 \"x\" \\ [y] {z}",
        ])
        let mermaid = try work.run(["lineage", "odd", "--format", "mermaid"])
        #expect(mermaid.stdout.hasPrefix("flowchart TD\n"))
        #expect(mermaid.stdout.split(separator: "\n").filter { $0.contains("-->") }.count == 3)
        try work.folder.write("lineage.mmd", mermaid.stdout)
        let parsed = try TestTools.validate("validate-mermaid.sh", [work.folder.url("lineage.mmd")])
        #expect(parsed.status == 0, "\(parsed)\n\(mermaid.stdout)")
        // And the parser does reject a broken diagram.
        try work.folder.write("broken.mmd", "flowchart TD\n    m0[\"unclosed --> m1\n")
        #expect(try TestTools.validate("validate-mermaid.sh", [work.folder.url("broken.mmd")]).status == 1)

        let dot = try work.run(["lineage", "odd", "--format", "dot"])
        try work.folder.write("lineage.dot", dot.stdout)
        let rendered = try run(TestTools.dot, ["-Tsvg", "lineage.dot", "-o", "lineage.svg"], currentDirectory: work.path)
        #expect(rendered.status == 0, "\(rendered)\n\(dot.stdout)")
        let svg = String(decoding: try work.read("lineage.svg"), as: UTF8.self)
        #expect(svg.contains("acme/base"))
        #expect(svg.contains("odd &quot;quoted&quot; &lt;model&gt;"))
    }

    @Test func searchFindsDescendants() throws {
        let work = try Workspace()
        try work.threeGenerations()
        try work.signedBase("unrelated", name: "acme/unrelated", key: "unrelated")
        let result = try work.run(["lineage", "base", "--search", "."])
        #expect(result.status == 0)
        #expect(result.stdout.contains("descendants under .:\n"))
        #expect(result.stdout.contains("  acme/sft (./sft/pedigree.json): finetune of acme/base\n"))
        #expect(result.stdout.contains("  acme/q4 (./q4/pedigree.json): quantization of acme/sft ← finetune of acme/base\n"))
        #expect(!result.stdout.contains("unrelated"))
        let json = try work.run(["lineage", "sft", "--search", ".", "--format", "json"])
        let descendants = (try JSONSerialization.jsonObject(with: json.stdoutData) as! [String: Any])["descendants"] as! [[String: Any]]
        #expect(descendants.map { $0["name"] as! String } == ["acme/q4"])
    }

    @Test func aBrokenChainIsReportedByLineage() throws {
        let work = try Workspace()
        try work.threeGenerations()
        try editBundle(work, "q4/pedigree.json") { object in object["ancestors"] = [] }
        let result = try work.run(["lineage", "q4"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("└── quantization: GPTQ 4-bit, group size 128 ← manifest "))
        #expect(result.stdout.contains("… (NOT EMBEDDED)"))
        #expect(result.stderr.contains("is not among the embedded ancestors"))
    }
}

@Suite struct DerivationInputs {
    @Test(arguments: ["yaml", "json"])
    func aSpecFileCarriesTheDerivation(_ format: String) throws {
        let work = try Workspace()
        try work.signedBase()
        try work.signedBase("teacher", name: "acme/teacher", key: "teacher")
        try work.copyModel("base", to: "child", modified: ["model.safetensors", "config.json"])
        try work.folder.makeFolder("specs")
        let spec = format == "yaml" ? """
            parents:
              - path: ../base
              - path: ../teacher/pedigree.json
                role: teacher
            relation: distillation
            method: "logit distillation"
            parameters: { epochs: 3, lr: 2e-5, packing: true }
            datasets:
              - name: open-instruct
                digest: sha256:0123
            tool: distiller@1.2
            modifications:
              - files: "config.json"
                description: "context length raised to 8k"
            """ : """
            {"parents": [{"path": "../base"}, {"path": "../teacher/pedigree.json", "role": "teacher"}],
             "relation": "distillation", "method": "logit distillation",
             "parameters": {"epochs": 3, "lr": "2e-5", "packing": true},
             "datasets": [{"name": "open-instruct", "digest": "sha256:0123"}],
             "tool": {"name": "distiller", "version": "1.2"},
             "modifications": [{"files": "config.json", "description": "context length raised to 8k"}]}
            """
        try work.folder.write("specs/release.\(format)", spec)
        try work.derive("child", key: "child", name: "acme/child", ["--spec", "specs/release.\(format)", "--param", "epochs=4"])
        let lineage = (try work.statement("child/pedigree.json")["predicate"] as! [String: Any])["lineage"] as! [String: Any]
        let parents = lineage["parents"] as! [[String: Any]]
        #expect(parents.map { $0["name"] as! String } == ["acme/base", "acme/teacher"])
        #expect(parents.map { $0["role"] as! String } == ["base", "teacher"])
        let derivation = lineage["derivation"] as! [String: Any]
        let parameters = derivation["parameters"] as! [String: String]
        #expect(parameters["epochs"] == "4")  // the command line wins
        #expect(parameters["packing"] == "true")
        #expect(parameters["lr"] == "2e-5" || parameters["lr"] == "2e-05")
        #expect(derivation["tool"] as? [String: String] == ["name": "distiller", "version": "1.2"])
        let modifications = (try work.statement("child/pedigree.json")["predicate"] as! [String: Any])["modifications"] as! [[String: Any]]
        #expect(modifications.contains { ($0["files"] as! [String]) == ["config.json"] && $0["description"] as? String == "context length raised to 8k" })
    }

    @Test func badSpecsAndOptionsAreNamed() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try work.keygen("child")
        try work.folder.write("bad.yaml", "parents: [unclosed\n")
        let yaml = try work.run(["sign", "child", "--key", "child.key", "--spec", "bad.yaml"])
        #expect(yaml.status == 65)
        #expect(yaml.stderr.hasPrefix("pedigree: bad.yaml: not valid YAML or JSON: "))
        try work.folder.write("wrong.yaml", "relation: cloning\nparents: [{path: base}]\n")
        let relation = try work.run(["sign", "child", "--key", "child.key", "--spec", "wrong.yaml"])
        #expect(relation.status == 65)
        #expect(relation.stderr.hasPrefix("pedigree: wrong.yaml: relation"))
        let noRelation = try work.run(["sign", "child", "--key", "child.key", "--parent", "base"])
        #expect(noRelation.status == 64)
        #expect(noRelation.stderr.contains("a derivative needs --relation"))
        let orphan = try work.run(["sign", "child", "--key", "child.key", "--method", "m"])
        #expect(orphan.status == 64)
        #expect(orphan.stderr.contains("give --parent"))
        let badParam = try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune", "--param", "novalue"])
        #expect(badParam.status == 64)
        let badRule = try work.run(["sign", "child", "--key", "child.key", "--parent", "base", "--relation", "finetune", "--modification", "no colon"])
        #expect(badRule.status == 64)
        #expect(badRule.stderr.contains("is not 'PATTERN: TEXT'"))
        #expect(!work.exists("child/pedigree.json"))
    }

    @Test func noticesNeverLoseTextWithoutForce() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        let options = ["--parent", "base", "--relation", "finetune", "--method", "m"]
        let first = try work.run(["notices", "child", "--attribution", "Fine-tuned by Example Tuners."] + options)
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout == "wrote child/NOTICE (3 notices)\nwrote child/MODIFICATIONS.md (1 modified or added file)\n")
        // Dropping the attribution would lose a paragraph of NOTICE.
        let before = try work.read("child/NOTICE")
        let lossy = try work.run(["notices", "child"] + options)
        #expect(lossy.status == 73)
        #expect(lossy.stderr.contains("child/NOTICE: already exists and the new one would not keep 1 paragraph of it; not overwritten (use --force to replace it)"))
        #expect(try work.read("child/NOTICE") == before)
        #expect(try work.run(["notices", "child", "--force"] + options).status == 0)
        #expect(try work.read("child/NOTICE") != before)
        let orphan = try work.run(["notices", "child"])
        #expect(orphan.status == 64)
    }
}

@Suite struct DiffCommand {
    @Test func manifestsAndFoldersCompareFileByFile() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "next", modified: ["config.json"], added: ["extra.bin"])
        try FileManager.default.moveItem(atPath: work.folder.url("next/tokenizer.json"), toPath: work.folder.url("next/tok.json"))
        try FileManager.default.removeItem(atPath: work.folder.url("next/README.md"))
        let folders = try work.run(["diff", "base", "next"])
        #expect(folders.status == 0)
        #expect(folders.stdout == """
            modified   config.json
            added      extra.bin
            removed    README.md
            renamed    tokenizer.json -> tok.json
            1 modified, 1 added, 1 removed, 1 renamed, 5 unchanged

            """)
        try work.keygen("next")
        #expect(try work.run(["sign", "next", "--key", "next.key"]).status == 0)
        let manifests = try work.run(["diff", "base/pedigree.json", "next/pedigree.json", "--json"])
        let changes = try JSONSerialization.jsonObject(with: manifests.stdoutData) as! [String: Any]
        #expect(changes["modified"] as? [String] == ["config.json"])
        #expect(changes["renamed"] as? [[String: String]] == [["from": "tokenizer.json", "to": "tok.json"]])
        #expect((changes["unchanged"] as? [String])?.count == 5)
        let missing = try work.run(["diff", "base", "nowhere"])
        #expect(missing.status == 66)
    }
}
