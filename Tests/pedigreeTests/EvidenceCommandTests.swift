import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

/// A workspace with the tensor fixtures (`Scripts/make-tensor-fixtures.py`) in `fx/`, a key,
/// and `base` signed.
private func evidenceWorkspace() throws -> Workspace {
    let work = try Workspace()
    let made = try run(try TestTools.python, [packageRoot + "/Scripts/make-tensor-fixtures.py", work.folder.url("fx")], timeout: 300)
    #expect(made.status == 0, "\(made)")
    try work.keygen("signer")
    let base = try work.run(["sign", "fx/base", "--key", "signer.key"])
    #expect(base.status == 0, "\(base)")
    return work
}

@Suite("sign --parent with tensor evidence, verify --evidence")
struct EvidenceCommandTests {
    @Test func aQuantizationIsSignedWithItsEvidenceAndVerifiedAgainstTheParentsWeights() throws {
        let work = try evidenceWorkspace()
        let signed = try work.run(["sign", "fx/gguf-q8_0", "--key", "signer.key", "--parent", "fx/base", "--relation", "quantization",
                                   "--trusted-key", "signer.pub", "--modification", "*: quantized to Q8_0", "--json"])
        #expect(signed.status == 0, "\(signed)")
        #expect(try work.reportProblems(signed.stdoutData) == "")
        #expect(try work.schemaProblems(["fx/gguf-q8_0/pedigree.json"]) == "")
        let lineage = try #require((try work.statement("fx/gguf-q8_0/pedigree.json")["predicate"] as? [String: Any])?["lineage"] as? [String: Any])
        let evidence = try #require((lineage["parents"] as? [[String: Any]])?.first?["evidence"] as? [String: Any])
        #expect(evidence["grade"] as? String == "supported")
        #expect(evidence["basis"] as? String == "values")

        let verify = try work.run(["verify", "fx/gguf-q8_0", "--trusted-key", "signer.pub", "--evidence", "fx/base"])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("evidence: 1 of 1 parent recomputed from the weights, as signed\n"))
        let json = try work.run(["verify", "fx/gguf-q8_0", "--trusted-key", "signer.pub", "--evidence", "fx/base", "--json"])
        #expect(try work.reportProblems(json.stdoutData) == "")

        // The grade on the edge, in every lineage format, and in the exports.
        let tree = try work.run(["lineage", "fx/gguf-q8_0"])
        #expect(tree.stdout.contains("└── quantization (evidence: supported) ← base [root "), "\(tree.stdout)")
        let lineageJSON = try work.run(["lineage", "fx/gguf-q8_0", "--json"])
        #expect(try work.reportProblems(lineageJSON.stdoutData) == "")
        #expect(lineageJSON.stdout.contains(#""evidence": "supported""#))
        #expect(try work.run(["lineage", "fx/gguf-q8_0", "--format", "mermaid"]).stdout.contains(#"-->|"quantization (evidence: supported)"| m0"#))
        #expect(try work.run(["lineage", "fx/gguf-q8_0", "--format", "dot"]).stdout.contains(#"[label="quantization (evidence: supported)"]"#))
        let cyclonedx = try work.run(["export", "fx/gguf-q8_0", "--format", "cyclonedx"]).stdout
        #expect(cyclonedx.contains(#""name": "pedigree:evidence:grade""#))
        #expect(cyclonedx.contains("\"value\": \"supported\""))
        let spdx = try work.run(["export", "fx/gguf-q8_0", "--format", "spdx"]).stdout
        #expect(spdx.contains("relation: quantization; role: base; tensor evidence: supported (from values): 16 tensors quantized"))
        let card = try work.run(["export", "fx/gguf-q8_0", "--format", "model-card"]).stdout
        #expect(card.contains("Tensor evidence against `base`: **supported** (from values) — 16 tensors quantized"))
        #expect(card.contains("base_model_relation: quantized"))
    }

    @Test func aContradictedClaimIsRefusedNothingWrittenAndForcedIsRecorded() throws {
        let work = try evidenceWorkspace()
        let arguments = ["sign", "fx/gguf-q8_0", "--key", "signer.key", "--parent", "fx/base", "--relation", "conversion",
                         "--modification", "*: converted"]
        let refused = try work.run(arguments)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasSuffix("pedigree: the weights contradict the claim 'conversion of base': 16 tensors are quantized "
            + "(F32→Q8_0 ×16), not converted: their values are not the parent's; the relation is a quantization\n"
            + "nothing is signed (--force-relation signs it anyway, recorded as contradicted)\n"), "\(refused.stderr)")
        #expect(!work.exists("fx/gguf-q8_0/pedigree.json"))
        let forced = try work.run(arguments + ["--force-relation"])
        #expect(forced.status == 0, "\(forced)")
        #expect(forced.stdout.contains("  evidence        contradicted (signed with --force-relation): 16 tensors are quantized"))
        let show = try work.run(["show", "fx/gguf-q8_0", "--json"])
        #expect(try work.reportProblems(show.stdoutData) == "")
        #expect(show.stdout.contains(#""grade": "contradicted""#))
    }

    @Test func verifyEvidenceCatchesAForgedSummary() throws {
        let work = try evidenceWorkspace()
        let signed = try work.run(["sign", "fx/finetune", "--key", "signer.key", "--parent", "fx/base", "--relation", "finetune",
                                   "--modification", "*: fine-tuned"])
        #expect(signed.status == 0, "\(signed)")
        // The publisher edits the grade and re-signs the Statement with its own key.
        var statement = try work.statement("fx/finetune/pedigree.json")
        var predicate = try #require(statement["predicate"] as? [String: Any])
        var lineage = try #require(predicate["lineage"] as? [String: Any])
        var parents = try #require(lineage["parents"] as? [[String: Any]])
        var evidence = try #require(parents[0]["evidence"] as? [String: Any])
        #expect(evidence["grade"] as? String == "consistent")
        evidence["grade"] = "supported"
        parents[0]["evidence"] = evidence
        lineage["parents"] = parents
        predicate["lineage"] = lineage
        statement["predicate"] = predicate
        let original = try work.bundle("fx/finetune/pedigree.json")
        try work.forge(statement, key: "signer.key", to: "forged.json")
        // Keep the ancestors so the chain still holds.
        var forged = try work.bundle("forged.json")
        forged.ancestors = original.ancestors
        try work.folder.write("fx/finetune/pedigree.json", Data(try forged.encoded()))

        let plain = try work.run(["verify", "fx/finetune", "--trusted-key", "signer.pub"])
        #expect(plain.status == 0, "\(plain)")
        let checked = try work.run(["verify", "fx/finetune", "--trusted-key", "signer.pub", "--evidence", "fx/base"])
        #expect(checked.status == 1)
        #expect(checked.stderr.contains("evidence for parent 'base': grade is 'supported' in the manifest, 'consistent' recomputed\n"), "\(checked.stderr)")
        #expect(checked.stdout.contains("FAILED: 1 problem with the manifest (1 file)"))
    }

    @Test func diffTensorsFindsTheTensorsSharedAcrossContainers() throws {
        let work = try evidenceWorkspace()
        // Folder against folder: values compared.
        let text = try work.run(["diff", "--tensors", "fx/base", "fx/gguf-f16"])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("renamed       model.safetensors:model.norm.weight -> model.gguf:output_norm.weight\n"))
        #expect(text.stdout.contains("dtype-changed output.weight F32 -> F16: cast-exact\n"))
        #expect(text.stdout.contains("21 tensors against 21: 0 identical, 5 renamed, 16 dtype-changed, 16 cast-exact\n"))
        let json = try work.run(["diff", "--tensors", "fx/base", "fx/gguf-q8_0", "--json"])
        #expect(json.status == 0)
        #expect(try work.reportProblems(json.stdoutData) == "")
        let report = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        let summary = try #require(report["summary"] as? [String: Int])
        #expect(summary["renamed"] == 5 && summary["dtype-changed"] == 16 && summary["quantized-consistent"] == 16)
        #expect(report["valuesCompared"] as? Bool == true)
        // A manifest with a tensor table against a folder: digests only.
        let tabled = try work.run(["sign", "fx/base", "--key", "signer.key", "--tensors", "--force"])
        #expect(tabled.status == 0)
        let mixed = try work.run(["diff", "--tensors", "fx/base/pedigree.json", "fx/gguf-f32", "--json", "--exit-code"])
        #expect(mixed.status == 1)
        #expect(try work.reportProblems(mixed.stdoutData) == "")
        let mixedReport = try #require(try JSONSerialization.jsonObject(with: mixed.stdoutData) as? [String: Any])
        #expect(mixedReport["valuesCompared"] as? Bool == false)
        #expect(((mixedReport["summary"] as? [String: Int])?["renamed"] ?? 0) > 0)
        // A manifest without one is refused, naming it.
        let plain = try work.run(["sign", "fx/finetune", "--key", "signer.key"])
        #expect(plain.status == 0)
        let refused = try work.run(["diff", "--tensors", "fx/finetune/pedigree.json", "fx/base"])
        #expect(refused.status == 65)
        #expect(refused.stderr == "pedigree: fx/finetune/pedigree.json: the manifest records no tensors (sign with --tensors, or give the model's folder)\n")
    }
}
