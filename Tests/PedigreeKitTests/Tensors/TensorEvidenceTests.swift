import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

/// The evidence for `relation` of fixture `child` against fixture `parent`.
private func evidence(_ relation: EvidenceRelation, _ parent: String, _ child: String, chunkBytes: Int = 1 << 20) throws -> TensorEvidence {
    let fixtures = try TensorFixtures.get()
    let config = FileManager.default.fileExists(atPath: fixtures.path(child + "/adapter_config.json"))
        ? try AdapterConfig.read(path: fixtures.path(child + "/adapter_config.json")) : nil
    return try TensorEvidenceGrader.assess(
        relation: relation, parent: fixtures.inventory(parent), child: fixtures.inventory(child), adapterConfig: config,
        options: TensorComparisonOptions(chunkBytes: chunkBytes)
    ).evidence
}

@Suite("Tensor evidence", .tags(.tensorFixtures))
struct TensorEvidenceTests {
    @Test(arguments: ["gguf-f32", "gguf-f16", "gguf-bf16"])
    func aGGUFConversionIsSupported(child: String) throws {
        let result = try evidence(.conversion, "base", child)
        #expect(result.grade == .supported, "\(result.reasons)")
        #expect(result.basis == .values)
        #expect(result.counts.renamed + result.counts.exact + result.counts.castExact == 21)
        if child == "gguf-f32" {
            #expect(result.reasons == [
                "every tensor of the child is found in the parent: 17 identical (17 under another name or container), 4 with the same values laid out differently (llama Q/K rows interleaved (2 heads), llama Q/K rows interleaved (4 heads))"
            ])
        } else {
            let dtype = child == "gguf-f16" ? "F16" : "BF16"
            #expect(result.reasons == [
                "every tensor of the child is found in the parent: 5 identical (5 under another name or container), 16 cast exactly (F32→\(dtype) ×16)"
            ])
        }
    }

    @Test func aQuantizationClaimedAsAConversionIsContradicted() throws {
        let result = try evidence(.conversion, "base", "gguf-q8_0")
        #expect(result.grade == .contradicted)
        #expect(result.reasons == [
            "16 tensors are quantized (F32→Q8_0 ×16), not converted: their values are not the parent's; the relation is a quantization"
        ])
    }

    @Test(arguments: ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1"])
    func quantizationsAreSupported(label: String) throws {
        let result = try evidence(.quantization, "base", "gguf-\(label)")
        #expect(result.grade == .supported, "\(result.reasons)")
        #expect(result.counts.quantizedConsistent == 16)
        #expect(result.counts.renamed == 5)
        #expect(result.reasons.first == "16 tensors quantized within the reference quantizer's error bound (F32→\(label.uppercased()) ×16)")
        #expect((result.delta?.relativeL2 ?? 1) > 0)
    }

    @Test func aQuantizationOfCastsOnlyIsSupportedToo() throws {
        let result = try evidence(.quantization, "base", "st-f16")
        #expect(result.grade == .supported)
        #expect(result.counts.castExact == 16)
    }

    @Test func aQuantizationThatChangedNothingIsContradicted() throws {
        let copy = try evidence(.quantization, "base", "sharded")
        #expect(copy.grade == .contradicted)
        #expect(copy.reasons == ["no tensor changed dtype and every tensor's data is identical to the parent's: a copy, not a quantization"])
        let tuned = try evidence(.quantization, "base", "finetune")
        #expect(tuned.grade == .contradicted)
        #expect(tuned.reasons == ["no tensor changed dtype, yet 21 tensors differ from the parent's: a quantization changes dtypes"])
        let resized = try evidence(.quantization, "base", "finetune-resized")
        #expect(resized.grade == .contradicted)
        #expect(resized.reasons == [
            "2 tensors changed shape ('lm_head.weight' [128, 64] → [130, 64], 'model.embed_tokens.weight' [128, 64] → [130, 64]); a quantization keeps every tensor's shape"
        ])
    }

    @Test func aQuantizedTensorOutsideTheBoundMakesTheClaimOnlyConsistent() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, folder) = try fixtures.copy("gguf-q4_0")
        _ = scratch
        let header = try GGUFHeader.read(path: folder + "/model.gguf")
        guard let tensor = header.tensors.first(where: { $0.name == "output.weight" }) else { return }
        // Rewrite one block's scale: every value of the block scaled by about 1.5.
        let handle = FileHandle(forUpdatingAtPath: folder + "/model.gguf")
        try handle?.seek(toOffset: UInt64(tensor.byteRange.lowerBound) + 18 * 7)
        let d = try handle?.read(upToCount: 2) ?? Data()
        let scale = FloatCast.float(fromFloat16: UInt16(d[d.startIndex]) | UInt16(d[d.startIndex + 1]) << 8) * 1.5
        let bits = FloatCast.float16Bits(fromFloat32: scale.bitPattern)
        try handle?.seek(toOffset: UInt64(tensor.byteRange.lowerBound) + 18 * 7)
        try handle?.write(contentsOf: [UInt8(bits & 0xff), UInt8(bits >> 8)])
        try handle?.close()
        let result = try TensorEvidenceGrader.assess(
            relation: .quantization, parent: fixtures.inventory("base"), child: TensorInventory.read(folder: folder)
        ).evidence
        #expect(result.grade == .consistent)
        #expect(result.counts.differs == 1)
        #expect(result.reasons.first?.hasPrefix(
            "1 tensors are outside the reference quantizer's error bound: quantized by another algorithm (an importance matrix?) or changed ('output.weight'; worst error") == true, "\(result.reasons)")
    }

    @Test func aQuantizationThatAlsoChangedAnUnquantizedTensorIsOnlyConsistent() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, folder) = try fixtures.copy("gguf-q8_0")
        _ = scratch
        let header = try GGUFHeader.read(path: folder + "/model.gguf")
        guard let norm = header.tensors.first(where: { $0.name == "blk.0.attn_norm.weight" }) else { return }
        let handle = FileHandle(forUpdatingAtPath: folder + "/model.gguf")
        try handle?.seek(toOffset: UInt64(norm.byteRange.lowerBound) + 2)
        try handle?.write(contentsOf: [0x55])
        try handle?.close()
        let result = try TensorEvidenceGrader.assess(
            relation: .quantization, parent: fixtures.inventory("base"), child: TensorInventory.read(folder: folder)
        ).evidence
        #expect(result.grade == .consistent)
        #expect(result.counts.changed == 1)
        #expect(result.reasons.first == "1 tensors' values differ from the parent's beyond what a cast explains ('blk.0.attn_norm.weight')")
    }

    @Test func aFineTuneIsConsistentAndMeasured() throws {
        let result = try evidence(.finetune, "base", "finetune")
        #expect(result.grade == .consistent)
        #expect(result.counts.changed == 21)
        #expect(result.delta?.tensors == 21)
        let relative = try #require(result.delta?.relativeL2)
        let numpy = try TensorFixtures.get().expected["metrics"]?["finetune"]?["relativeL2"]?.double ?? 0
        #expect(abs(relative - numpy) <= numpy * 1e-5)
        #expect(result.reasons == [
            "same architecture (21 tensors, the same names and shapes); 21 tensors changed",
            "relative L2 change \(relative), cosine similarity \(result.delta?.cosine ?? 0) over 21 tensors",
        ])
        let pretraining = try evidence(.continuedPretraining, "base", "finetune")
        #expect(pretraining.grade == .consistent)
    }

    @Test func fineTuneContradictions() throws {
        let resized = try evidence(.finetune, "base", "finetune-resized")
        #expect(resized.grade == .contradicted)
        #expect(resized.reasons == [
            "2 tensors changed shape ('lm_head.weight' [128, 64] → [130, 64], 'model.embed_tokens.weight' [128, 64] → [130, 64]); a fine-tune keeps the architecture"
        ])
        let unrelated = try evidence(.finetune, "base", "unrelated")
        #expect(unrelated.grade == .contradicted)
        #expect(unrelated.reasons.first?.hasPrefix("the weights are unrelated to the parent's: relative L2 change 1.24") == true, "\(unrelated.reasons)")
        #expect((unrelated.delta?.cosine ?? 1) < 0.1)
        let copy = try evidence(.finetune, "base", "sharded")
        #expect(copy.grade == .contradicted)
        #expect(copy.reasons == ["every tensor is identical to the parent's: a copy, not a fine-tune"])
        let converted = try evidence(.finetune, "base", "lora")
        #expect(converted.grade == .contradicted)
        #expect(converted.reasons.first?.hasPrefix("the architecture differs: 8 tensors added") == true)
    }

    @Test func aLoRAAdapterWithFittingShapesIsSupported() throws {
        let result = try evidence(.adapter, "base", "lora")
        #expect(result.grade == .supported, "\(result.reasons)")
        #expect(result.adapter == EvidenceAdapter(modules: 4, fitting: 4, ranks: [4], replacedBaseTensors: 0))
        #expect(result.reasons == ["all 4 LoRA pairs fit their base tensors (rank 4); the base is untouched"])
        // Against the GGUF conversion of the base: the base tensors are found by their GGUF names.
        let onGGUF = try evidence(.adapter, "gguf-f32", "lora")
        #expect(onGGUF.grade == .supported, "\(onGGUF.reasons)")
    }

    @Test func adaptersThatDoNotFitAreContradicted() throws {
        let misfit = try evidence(.adapter, "base", "lora-misfit")
        #expect(misfit.grade == .contradicted)
        #expect(misfit.reasons == [
            "no LoRA pair fits the base: 'model.layers.0.self_attn.q_proj' lora_A [4, 48] and lora_B [64, 4] do not fit the base tensor [64, 64]; 'model.layers.0.self_attn.v_proj' lora_A [4, 48] and lora_B [32, 4] do not fit the base tensor [32, 64]; 'model.layers.1.self_attn.q_proj' lora_A [4, 48] and lora_B [64, 4] do not fit the base tensor [64, 64]; and 1 more"
        ])
        let rank = try evidence(.adapter, "base", "lora-rank")
        #expect(rank.grade == .contradicted)
        #expect(rank.reasons.first?.contains("has rank 8, but adapter_config.json says r=4") == true)
        let none = try evidence(.adapter, "base", "finetune")
        #expect(none.grade == .contradicted)
        #expect(none.reasons == ["the adapter has no LoRA tensors (lora_A / lora_B in PEFT's layout)"])
    }

    @Test func relationsTheWeightsCannotShow() throws {
        for relation in [EvidenceRelation.distillation, .merge, .pruning, .other] {
            let result = try evidence(relation, "base", "finetune")
            #expect(result.grade == .unverifiable, "\(relation)")
            #expect(result.reasons.count == 1)
        }
        let noParent = try TensorEvidenceGrader.assess(relation: .quantization, parent: nil, child: TensorFixtures.get().inventory("gguf-q8_0"))
        #expect(noParent.evidence.grade == .unverifiable)
        #expect(noParent.evidence.basis == EvidenceBasis.none)
        #expect(noParent.evidence.reasons == ["no parent weights or tensor digests to compare with"])
    }

    @Test func withTheParentsDigestsOnly() throws {
        let fixtures = try TensorFixtures.get()
        let base = try fixtures.inventory("base")
        let digests = TensorInventory(records: base.records, files: base.files, folder: nil)
        let quantization = TensorEvidenceGrader.grade(
            relation: .quantization, comparison: try TensorComparison.compare(parent: digests, child: fixtures.inventory("gguf-q8_0")))
        #expect(quantization.grade == .consistent)
        #expect(quantization.basis == .digests)
        #expect(quantization.reasons.first?.hasPrefix("values not compared (no parent weights) for 16 tensors that changed") == true)
        let conversion = TensorEvidenceGrader.grade(
            relation: .conversion, comparison: try TensorComparison.compare(parent: digests, child: fixtures.inventory("gguf-f32")))
        #expect(conversion.grade == .consistent)
        let copy = TensorEvidenceGrader.grade(
            relation: .quantization, comparison: try TensorComparison.compare(parent: digests, child: fixtures.inventory("sharded")))
        #expect(copy.grade == .contradicted)
    }

    @Test func theSummaryIsDeterministicWhateverTheChunkSize() throws {
        let small = try evidence(.finetune, "base", "finetune", chunkBytes: 100)
        let large = try evidence(.finetune, "base", "finetune")
        #expect(small == large)
        let a = try JSON.compact(small)
        let b = try JSON.compact(large)
        #expect(a == b)
        #expect(try JSONDecoder().decode(TensorEvidence.self, from: Data(a)) == small)
    }

    @Test func everyGradeValidatesAgainstTheSchema() throws {
        let fixtures = try TensorFixtures.get()
        let scratch = try TemporaryFolder()
        var paths: [String] = []
        let cases: [(EvidenceRelation, String, String)] = [
            (.conversion, "base", "gguf-f16"), (.quantization, "base", "gguf-q8_0"), (.finetune, "base", "finetune"),
            (.finetune, "base", "finetune-resized"), (.adapter, "base", "lora"), (.distillation, "base", "finetune"),
        ]
        var grades = Set<EvidenceGrade>()
        for (index, (relation, parent, child)) in cases.enumerated() {
            let result = try evidence(relation, parent, child)
            grades.insert(result.grade)
            paths.append(try scratch.write("e\(index).json", Data(try JSON.pretty(result))))
        }
        #expect(grades == [.supported, .consistent, .contradicted, .unverifiable])
        let records = try fixtures.inventory("gguf-q8_0").records
        paths.append(try scratch.write("tensors.json", Data(try JSON.pretty(records))))
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            validator = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:-1]:
                validator.validate(json.load(open(path)))
            tensor = jsonschema.Draft202012Validator({**schema["$defs"]["tensor"], "$defs": schema["$defs"]})
            for row in json.load(open(sys.argv[-1])):
                tensor.validate(row)
            bad = json.load(open(sys.argv[2]))
            bad["grade"] = "plausible"
            assert not validator.is_valid(bad)
            print("ok", len(sys.argv) - 3)
            """
        let result = try run(try TestTools.python, ["-c", script, packageRoot + "/Schemas/tensor-evidence.v1.schema.json"] + paths)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "ok \(cases.count)\n")
        // The tensor table reads back as it was written.
        let decoded = try JSONDecoder().decode([TensorRecord].self, from: Data(try JSON.pretty(records)))
        #expect(decoded == records)
    }
}

@Suite("Adapter config")
struct AdapterConfigTests {
    private func parse(_ text: String) throws(TensorFileError) -> AdapterConfig {
        try AdapterConfig.parse(bytes: Array(text.utf8), file: "adapter_config.json")
    }

    @Test func readsTheFieldsTheCheckUses() throws {
        let config = try parse(#"{"peft_type":"LORA","r":16,"target_modules":["q_proj","v_proj"],"rank_pattern":{"v_proj":8},"base_model_name_or_path":"org/base","other":[1,2]}"#)
        #expect(config.rank == 16)
        #expect(config.targets == .names(["q_proj", "v_proj"]))
        #expect(config.expectedRank("model.layers.0.self_attn.v_proj") == 8)
        #expect(config.expectedRank("model.layers.0.self_attn.q_proj") == 16)
        #expect(config.targets("model.layers.0.self_attn.q_proj") == true)
        #expect(config.targets("model.layers.0.self_attn.k_proj") == false)
        #expect(config.baseModel == "org/base")
        #expect(try parse(#"{"r":4,"target_modules":"all-linear"}"#).targets == .allLinear)
        #expect(try parse(#"{"r":4,"target_modules":".*\\.q_proj"}"#).targets("x.q_proj") == nil)
        #expect(try parse(#"{"r":4,"rank_pattern":{"^.*q.*$":2}}"#).expectedRank("a.q") == nil)
    }

    @Test func refusesMalformedConfigs() {
        func message(_ text: String) -> String { tensorErrorMessage { () throws(TensorFileError) in try parse(text) } }
        #expect(message(#"{"target_modules":["q"]}"#) == "adapter_config.json: r: is missing")
        #expect(message(#"{"r":0}"#) == "adapter_config.json: r: is not a positive integer")
        #expect(message(#"{"r":4.5}"#) == "adapter_config.json: r: is not a positive integer")
        #expect(message(#"{"r":4,"target_modules":[1]}"#) == "adapter_config.json: target_modules[0]: is a number, not a string")
        #expect(message(#"{"r":4,"rank_pattern":{"q":-1}}"#) == "adapter_config.json: rank_pattern 'q': is not a positive integer")
        #expect(message(#"{"r":4,"r":5}"#).hasPrefix("adapter_config.json: config: is not valid JSON: "))
    }

    @Test func peftTensorNames() {
        #expect(AdapterFit.loraPart("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")! == ("model.layers.0.self_attn.q_proj", "A", false))
        #expect(AdapterFit.loraPart("base_model.model.model.embed_tokens.lora_embedding_B")! == ("model.embed_tokens", "B", true))
        #expect(AdapterFit.loraPart("base_model.model.lm_head.weight") == nil)
        #expect(AdapterFit.loraPart("base_model.model.lora_A.weight") == nil)
    }
}
