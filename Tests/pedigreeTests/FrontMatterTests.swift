import Foundation
import PedigreeKit
import Testing
import TestSupport

/// `sign` takes the license and the base model from the README's Hugging Face front matter
/// when no option gives them; a base model known only by name is an unverified reference.
@Suite struct FrontMatterTests {
    static let card = """
        ---
        license: apache-2.0
        base_model: acme/base-7b
        base_model_relation: quantized
        ---

        # A model card
        """

    @Test func theLicenseAndBaseModelComeFromTheFrontMatterAndSaySo() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/README.md", Self.card)
        try work.keygen("signer")
        let signed = try work.run(["sign", "model", "--key", "signer.key"])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stderr == """
            base model acme/base-7b: named in README.md's front matter (base_model); recorded as an unverified reference, not a parent (give --parent with its signed manifest to link it)
            license Apache-2.0: from README.md's front matter (no --license, and no license file names one)

            """)
        let predicate = try work.statement("model/pedigree.json")["predicate"] as! [String: Any]
        #expect((predicate["license"] as! [String: Any])["id"] as? String == "Apache-2.0")
        #expect(predicate["lineage"] == nil)
        let references = predicate["unverifiedReferences"] as! [[String: String]]
        #expect(references == [["name": "acme/base-7b", "source": "README.md front matter base_model", "relation": "quantized"]])
        #expect(try work.schemaProblems(["model/pedigree.json"]) == "")

        let show = try work.run(["show", "model"])
        #expect(show.stdout.contains(
            "base (named)    quantized of acme/base-7b: UNVERIFIED, named in README.md front matter base_model; no signed manifest links it\n"))
        let lineage = try work.run(["lineage", "model"])
        #expect(lineage.stdout.hasSuffix(
            "└╌╌ quantized ← acme/base-7b (UNVERIFIED: named in README.md front matter base_model, no signed manifest)\n"), "\(lineage)")
        let mermaid = try work.run(["lineage", "model", "--format", "mermaid"])
        #expect(mermaid.stdout.hasSuffix("    u0[\"acme/base-7b<br/>unverified reference\"]\n    u0 -.->|\"quantized\"| m0\n"), "\(mermaid)")
        let dot = try work.run(["lineage", "model", "--format", "dot"])
        #expect(dot.stdout.contains("u0 -> m0 [label=\"quantized\", style=dashed];"), "\(dot)")
        for (command, file) in [(["show", "model", "--json"], "show.json"), (["lineage", "model", "--format", "json"], "lineage.json")] {
            let json = try work.run(command)
            try work.folder.write(file, json.stdout)
        }
        let valid = try TestTools.validate("validate-report.py", [work.folder.url("show.json"), work.folder.url("lineage.json")])
        #expect(valid.status == 0 && valid.stdout.isEmpty, "\(valid)")
        let shown = try JSONSerialization.jsonObject(with: try work.read("show.json")) as! [String: Any]
        #expect((shown["unverifiedReferences"] as? [[String: String]])?.first?["name"] == "acme/base-7b")
    }

    @Test func theExportsCarryTheReferenceAsUnverifiedAndStillValidate() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/README.md", Self.card)
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        for format in ["cyclonedx", "spdx", "slsa"] {
            let exported = try work.run(["export", "model", "--format", format, "--output", "\(format).json"])
            #expect(exported.status == 0, "\(exported)")
        }
        let bom = String(decoding: try work.read("cyclonedx.json"), as: UTF8.self)
        #expect(bom.contains("acme/base-7b (quantized, named in README.md front matter base_model; no signed manifest)"))
        #expect(String(decoding: try work.read("spdx.json"), as: UTF8.self).contains(
            "Names acme/base-7b as its base model (quantized), UNVERIFIED: read from README.md front matter base_model"))
        let slsa = try JSONSerialization.jsonObject(with: try work.read("slsa.json")) as! [String: Any]
        let external = ((slsa["predicate"] as! [String: Any])["buildDefinition"] as! [String: Any])["externalParameters"] as! [String: Any]
        #expect(external["unverifiedBaseModels"] as? [[String: String]]
            == [["name": "acme/base-7b", "source": "README.md front matter base_model", "relation": "quantized"]])
        for (validator, file) in [("validate-cyclonedx.py", "cyclonedx.json"), ("validate-spdx.py", "spdx.json"), ("validate-slsa.py", "slsa.json")] {
            let result = try TestTools.validate(validator, [work.folder.url(file)])
            #expect(result.status == 0, "\(validator): \(result)")
        }
        let card = try work.run(["export", "model", "--format", "model-card"])
        #expect(card.stdout.hasPrefix("---\nlicense: apache-2.0\nbase_model:\n- acme/base-7b\nbase_model_relation: quantized\n---\n"), "\(card)")
        // check finds the card and the manifest in agreement.
        #expect(!(try work.run(["check", "model"])).stderr.contains("front matter"))
    }

    @Test func anOptionOrALicenseFileWinsAndAParentIsNotReplaced() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/README.md", Self.card)
        try work.keygen("signer")
        let flagged = try work.run(["sign", "model", "--key", "signer.key", "--license", "MIT"])
        #expect(!flagged.stderr.contains("license"))
        #expect(((try work.statement("model/pedigree.json")["predicate"] as! [String: Any])["license"] as! [String: Any])["id"] as? String == "MIT")
        // A license file whose text pedigree recognises is better evidence than the card.
        try work.folder.write("model/LICENSE", Reference.standInOpenAtomText)
        let filed = try work.run(["sign", "model", "--key", "signer.key", "--force"])
        #expect(!filed.stderr.contains("license Apache-2.0"))
        // A card naming a license pedigree does not know is said, not recorded.
        try FileManager.default.removeItem(atPath: work.folder.url("model/LICENSE"))
        try work.folder.write("model/README.md", "---\nlicense: llama3\n---\n")
        let unknown = try work.run(["sign", "model", "--key", "signer.key", "--force"])
        #expect(unknown.stderr == "README.md's front matter says license: llama3, a license pedigree does not know; give --license to record it\n")
        #expect((try work.statement("model/pedigree.json")["predicate"] as! [String: Any])["license"] == nil)
    }

    @Test func aManifestWithAnEmptyOrMalformedReferenceListIsRefused() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--license", "MIT"]).status == 0)
        var statement = try work.statement("model/pedigree.json")
        var predicate = statement["predicate"] as! [String: Any]
        predicate["unverifiedReferences"] = [[String: Any]]()
        statement["predicate"] = predicate
        try work.forge(statement, key: "signer.key", to: "model/pedigree.json")
        let empty = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("predicate.unverifiedReferences is empty; leave it out when there is no unverified reference"), "\(empty)")
        predicate["unverifiedReferences"] = [["name": "x", "source": "y", "sha256": "00"]]
        statement["predicate"] = predicate
        try work.forge(statement, key: "signer.key", to: "model/pedigree.json")
        let extra = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(extra.status == 1)
        #expect(extra.stderr.contains("sha256"), "\(extra)")
    }
}
