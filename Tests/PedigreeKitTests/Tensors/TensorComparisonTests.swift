import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

/// Compares two fixture folders.
func compareFixtures(_ parent: String, _ child: String, chunkBytes: Int = 1 << 20) throws -> TensorComparison {
    let fixtures = try TensorFixtures.get()
    return try TensorComparison.compare(
        parent: fixtures.inventory(parent), child: fixtures.inventory(child), options: TensorComparisonOptions(chunkBytes: chunkBytes))
}

private func kinds(_ comparison: TensorComparison) -> [TensorChangeKind: Int] {
    Dictionary(grouping: comparison.matches, by: \.kind).mapValues(\.count)
}

private func verdicts(_ comparison: TensorComparison) -> [String: Int] {
    Dictionary(grouping: comparison.matches.compactMap(\.values?.verdict.name), by: { $0 }).mapValues(\.count)
}

/// 21 tensors: embeddings, output, final norm, and 2 layers of 2 norms and 7 matrices.
private let tensorCount = 21
private let matrices = 2 + 2 * 7
private let vectors = 1 + 2 * 2

@Suite("Tensor comparison", .tags(.tensorFixtures))
struct TensorComparisonTests {
    @Test func aModelAgainstItselfAndItsShardsIsIdentical() throws {
        for other in ["base", "sharded"] {
            let comparison = try compareFixtures("base", other)
            #expect(kinds(comparison) == [.identical: tensorCount], "\(other)")
            #expect(comparison.matches.allSatisfy { $0.basis == .digest && $0.values == nil })
        }
    }

    @Test func theGGUFF32ConversionIsFoundAcrossContainersAndNames() throws {
        let comparison = try compareFixtures("base", "gguf-f32")
        // Every tensor but the four llama.cpp permutes is found by its digest under its GGUF name.
        #expect(kinds(comparison) == [.renamed: tensorCount - 4, .changed: 4])
        let permuted = comparison.matches.filter { $0.kind == .changed }
        #expect(Set(permuted.compactMap(\.child?.name)) == ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.1.attn_q.weight", "blk.1.attn_k.weight"])
        for match in permuted {
            #expect(match.basis == .mappedName)
            #expect(match.values?.verdict == .exact, "\(match.child?.name ?? "")")
            let heads = match.child?.name.contains("attn_q") == true ? 4 : 2
            #expect(match.layout == .ropeInterleaved(heads: heads))
            #expect(match.values?.metrics.sumSquaredDifference == 0)
        }
        let renamed = comparison.matches.first { $0.child?.name == "token_embd.weight" }
        #expect(renamed?.parent?.name == "model.embed_tokens.weight")
        #expect(renamed?.kind == .renamed)
    }

    @Test func andBackFromGGUFToHuggingFaceNames() throws {
        let comparison = try compareFixtures("gguf-f32", "base")
        #expect(kinds(comparison) == [.renamed: tensorCount - 4, .changed: 4])
        #expect(comparison.matches.filter { $0.kind == .changed }.allSatisfy {
            $0.values?.verdict == .exact && { if case .ropeDeinterleaved = $0.layout { return true } else { return false } }($0)
        })
    }

    @Test(arguments: [("gguf-f16", TensorDType.float16), ("gguf-bf16", .bfloat16), ("st-f16", .float16), ("st-bf16", .bfloat16)])
    func castsAreExactWithRoundToNearestEven(child: String, dtype: TensorDType) throws {
        let comparison = try compareFixtures("base", child)
        #expect(kinds(comparison) == [.dtypeChanged: matrices, (child.hasPrefix("gguf") ? .renamed : .identical): vectors])
        #expect(verdicts(comparison) == ["cast-exact": matrices])
        #expect(comparison.matches.filter { $0.kind == .dtypeChanged }.allSatisfy { $0.child?.dtype == dtype })
    }

    @Test(arguments: [("st-f16", "st-f16-upcast"), ("st-bf16", "st-bf16-upcast")])
    func wideningIsExact(parent: String, child: String) throws {
        let comparison = try compareFixtures(parent, child)
        #expect(verdicts(comparison) == ["cast-exact": matrices])
        #expect(comparison.matches.filter { $0.kind == .dtypeChanged }.allSatisfy { $0.child?.dtype == .float32 })
    }

    @Test(arguments: ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1"])
    func quantizationsAreWithinTheReferenceBound(label: String) throws {
        let comparison = try compareFixtures("base", "gguf-\(label)")
        #expect(kinds(comparison) == [.dtypeChanged: matrices, .renamed: vectors])
        #expect(verdicts(comparison) == ["quantized-consistent": matrices])
        let worst = comparison.matches.compactMap { $0.values?.quantization?.worstErrorRatio }.max() ?? 0
        #expect(worst <= 1)
        // The bound is the reference's, not a generous one: the worst element uses most of it.
        #expect(worst > 0.5, "worst ratio \(worst)")
        #expect(comparison.overall.relativeL2 ?? 1 < (label == "q8_0" ? 0.01 : 0.2))
    }

    @Test func aChangedQuantizedValueIsCaught() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, folder) = try fixtures.copy("gguf-q8_0")
        _ = scratch
        let header = try GGUFHeader.read(path: folder + "/model.gguf")
        guard let tensor = header.tensors.first(where: { $0.name == "blk.1.ffn_up.weight" }) else { return }
        // Move one quant of the 3rd block by 3 steps.
        let handle = FileHandle(forUpdatingAtPath: folder + "/model.gguf")
        let offset = UInt64(tensor.byteRange.lowerBound) + 2 * 34 + 2 + 5
        try handle?.seek(toOffset: offset)
        let original = try handle?.read(upToCount: 1)?.first ?? 0
        try handle?.seek(toOffset: offset)
        try handle?.write(contentsOf: [UInt8(truncatingIfNeeded: Int(Int8(bitPattern: original)) + 3)])
        try handle?.close()
        let comparison = try TensorComparison.compare(parent: fixtures.inventory("base"), child: TensorInventory.read(folder: folder))
        let changed = comparison.matches.filter { $0.values?.verdict == .differs }
        #expect(changed.map { $0.child?.name } == ["blk.1.ffn_up.weight"])
        #expect(changed.first?.values?.quantization?.outsideBound == 1)
        #expect((changed.first?.values?.quantization?.worstErrorRatio ?? 0) > 2)
    }

    @Test func aFineTuneIsMeasuredAsNumpyMeasuresIt() throws {
        let fixtures = try TensorFixtures.get()
        let comparison = try compareFixtures("base", "finetune")
        #expect(kinds(comparison) == [.changed: tensorCount])
        #expect(verdicts(comparison) == ["differs": tensorCount])
        let expected = fixtures.expected["metrics"]?["finetune"]
        let relative = try #require(comparison.overall.relativeL2)
        let cosine = try #require(comparison.overall.cosine)
        #expect(abs(relative - (expected?["relativeL2"]?.double ?? 0)) < 1e-9)
        #expect(abs(cosine - (expected?["cosine"]?.double ?? 0)) < 1e-12)
        for match in comparison.matches {
            let name = match.child?.name ?? ""
            let theirs = expected?["tensors"]?[name]
            #expect(abs((match.values?.metrics.relativeL2 ?? -1) - (theirs?["relativeL2"]?.double ?? 0)) < 1e-9, "\(name)")
            #expect(abs((match.values?.metrics.cosine ?? -1) - (theirs?["cosine"]?.double ?? 0)) < 1e-12, "\(name)")
        }
    }

    @Test func shapeChangesAndAddedTensors() throws {
        let comparison = try compareFixtures("base", "finetune-resized")
        #expect(kinds(comparison) == [.changed: tensorCount - 2, .shapeChanged: 2])
        let resized = comparison.matches.filter { $0.kind == .shapeChanged }
        #expect(resized.map { $0.child?.shape.dims ?? [] } == [[130, 64], [130, 64]])
        #expect(resized.allSatisfy { $0.values == nil })
        let adapter = try compareFixtures("base", "lora")
        #expect(kinds(adapter) == [.added: 8, .removed: tensorCount])
    }

    @Test(arguments: [1, 64, 100, 4096])
    func memoryIsBoundedByTheChunkSizeAndResultsDoNotDependOnIt(chunk: Int) throws {
        let reference = try compareFixtures("base", "gguf-q8_0")
        let bounded = try compareFixtures("base", "gguf-q8_0", chunkBytes: chunk)
        // At most one chunk (or one 32-element block, when the chunk is smaller) per read, from
        // tensors of up to 32 KiB.
        #expect(bounded.largestRead <= max(chunk, 32 * 4))
        #expect(reference.largestRead > 4096)
        #expect(bounded.matches == reference.matches)
        #expect(bounded.overall == reference.overall)
        let finetune = try compareFixtures("base", "finetune", chunkBytes: chunk)
        #expect(finetune.largestRead <= max(chunk, 4))
        #expect(finetune.overall == (try compareFixtures("base", "finetune")).overall)
    }

    @Test func withoutFilesOnlyDigestsAreCompared() throws {
        let fixtures = try TensorFixtures.get()
        let base = try fixtures.inventory("base")
        let digestsOnly = TensorInventory(records: base.records, files: base.files, folder: nil)
        let comparison = try TensorComparison.compare(parent: digestsOnly, child: fixtures.inventory("gguf-q8_0"))
        #expect(!comparison.valuesCompared)
        #expect(kinds(comparison) == [.dtypeChanged: matrices, .renamed: vectors])
        #expect(comparison.matches.allSatisfy { $0.values == nil })
    }

    @Test func theLlamaNameMapIsGGUFPys() throws {
        let fixtures = try TensorFixtures.get()
        guard case .object(let map)? = fixtures.expected["nameMap"] else {
            Issue.record("no name map")
            return
        }
        #expect(map.count == tensorCount)
        for member in map.members {
            #expect(TensorNameMap.llamaGGUFName(forHuggingFace: member.key) == member.value.string, "\(member.key)")
        }
        #expect(TensorNameMap.llamaGGUFName(forHuggingFace: "model.layers.01.mlp.up_proj.weight") == nil)
        #expect(TensorNameMap.llamaGGUFName(forHuggingFace: "model.layers.3.self_attn.q_proj.bias") == "blk.3.attn_q.bias")
    }

    @Test func theRopePermutationIsItsOwnInverseSwapped() {
        let rows: Int64 = 24
        for heads in [1, 2, 3, 6] {
            let forward = TensorLayout.ropeInterleaved(heads: heads)
            let backward = TensorLayout.ropeDeinterleaved(heads: heads)
            let image = (0..<rows).compactMap { forward.parentRow($0, rows: rows) }
            #expect(Set(image).count == Int(rows))
            for row in 0..<rows {
                #expect(backward.parentRow(forward.parentRow(row, rows: rows)!, rows: rows) == row)
            }
        }
        // Two heads of 4 rows: child rows interleave the halves of each head.
        #expect((0..<8).map { TensorLayout.ropeInterleaved(heads: 2).parentRow($0, rows: 8)! } == [0, 2, 1, 3, 4, 6, 5, 7])
        #expect(TensorLayout.ropeInterleaved(heads: 3).parentRow(0, rows: 8) == nil)
    }
}

/// Tensors larger than a decoding slice and a chunk, written here without Python.
@Suite("Tensor comparison of large tensors")
struct LargeTensorComparisonTests {
    /// Writes a one-tensor safetensors file of `dtype` holding `bits` (little-endian words).
    private func write(_ folder: TemporaryFolder, _ name: String, dtype: String, shape: [Int], bytes: [UInt8]) throws {
        let json = #"{"w":{"dtype":"\#(dtype)","shape":[\#(shape.map(String.init).joined(separator: ","))],"data_offsets":[0,\#(bytes.count)]}}"#
        try folder.write(name + "/model.safetensors", Data(safetensorsBytes(json) + bytes))
    }

    @Test(arguments: [1 << 20, 4096, 100])
    func castsAndMetricsOverManySlicesAndChunks(chunk: Int) throws {
        let folder = try TemporaryFolder()
        let rows = 37
        let columns = 1000
        var state: UInt64 = 42
        var values: [Float] = []
        for _ in 0..<(rows * columns) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values.append(Float(Int32(truncatingIfNeeded: state >> 32)) * 0x1p-33)
        }
        let f32 = values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
        let f16 = values.flatMap { v -> [UInt8] in
            let h = FloatCast.float16Bits(fromFloat32: v.bitPattern)
            return [UInt8(h & 0xff), UInt8(h >> 8)]
        }
        var tuned = values
        tuned[12345] += 0.5
        let tunedBytes = tuned.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
        try write(folder, "parent", dtype: "F32", shape: [rows, columns], bytes: f32)
        try write(folder, "half", dtype: "F16", shape: [rows, columns], bytes: f16)
        try write(folder, "tuned", dtype: "F32", shape: [rows, columns], bytes: tunedBytes)
        let parent = try TensorInventory.read(folder: folder.url("parent"))
        let options = TensorComparisonOptions(chunkBytes: chunk)

        let cast = try TensorComparison.compare(parent: parent, child: TensorInventory.read(folder: folder.url("half")), options: options)
        #expect(cast.matches.first?.values?.verdict == .castExact)
        #expect(cast.largestRead <= max(chunk, 4))

        let changed = try TensorComparison.compare(parent: parent, child: TensorInventory.read(folder: folder.url("tuned")), options: options)
        let metrics = try #require(changed.matches.first?.values?.metrics)
        #expect(changed.matches.first?.values?.verdict == .differs)
        #expect(metrics.elements == Int64(rows * columns))
        // Eight lanes, element i in lane i mod 8, each in element order, then the lanes in order.
        var lanes = [Double](repeating: 0, count: 8)
        for (i, v) in values.enumerated() { lanes[i % 8] = lanes[i % 8] + Double(v) * Double(v) }
        let squared = lanes.reduce(0, +)
        let difference = Double(tuned[12345]) - Double(values[12345])
        #expect(metrics.sumSquaredParent == squared)
        #expect(abs(metrics.sumSquaredDifference - difference * difference) < 1e-12)
    }
}
