import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

@Suite("Block quantizations")
struct QuantizationTests {
    @Test(.tags(.tensorFixtures))
    func theBlockTableMatchesGGUFPy() throws {
        let fixtures = try TensorFixtures.get()
        guard case .object(let sizes)? = fixtures.expected["quantSizes"], case .object(let ids)? = fixtures.expected["ggmlTypeIDs"] else {
            Issue.record("expected.json lacks the GGML tables")
            return
        }
        #expect(sizes.count >= 34)
        for member in sizes.members {
            guard let id = ids[member.key]?.int64, let dtype = TensorDType(ggmlTypeID: UInt32(id)) else {
                Issue.record("GGML type \(member.key) unknown to pedigree")
                continue
            }
            let pair = member.value.list.compactMap(\.int64)
            #expect([Int64(dtype.blockElements), Int64(dtype.blockBytes)] == pair, "\(member.key)")
            #expect(dtype.ggmlTypeID == UInt32(id))
            // ggml spells the plain types in lower case; pedigree uses safetensors' spelling.
            if dtype.blockElements > 1 { #expect(dtype.rawValue == member.key) }
        }
    }

    @Test(.tags(.tensorFixtures), arguments: ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1"])
    func dequantizesBitForBitAsGGUFPy(label: String) throws {
        let fixtures = try TensorFixtures.get()
        let file = "gguf-\(label)/model.gguf"
        let header = try GGUFHeader.read(path: fixtures.path(file))
        guard let tensor = header.tensors.first(where: { $0.name == "blk.0.ffn_down.weight" }) else {
            Issue.record("no ffn_down in \(file)")
            return
        }
        let handle = try TensorFileHandle(path: fixtures.path(file), displayName: file)
        let raw = try handle.bytes(at: tensor.byteRange.lowerBound, count: Int(tensor.byteCount), field: "t")
        let count = Int(tensor.shape.elementCount)
        var ours = [Float](repeating: 0, count: count)
        raw.withUnsafeBytes { bytes in
            ours.withUnsafeMutableBufferPointer { out in BlockQuantization.dequantize(tensor.dtype, bytes, count: count, into: out.baseAddress!) }
        }
        let reference = try Data(contentsOf: URL(fileURLWithPath: fixtures.path("casts/dequant_\(label).bin")))
        let theirs = reference.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self) } }
        #expect(theirs.count == count)
        #expect(ours.map(\.bitPattern) == theirs)
    }

    /// Quantizes a block the way ggml's reference does, in single precision.
    private func referenceQ8_0(_ x: [Float]) -> [UInt8] {
        var amax: Float = 0
        for v in x { amax = max(amax, abs(v)) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        let dBits = FloatCast.float16Bits(fromFloat32: d.bitPattern)
        return [UInt8(dBits & 0xff), UInt8(dBits >> 8)] + x.map { UInt8(bitPattern: Int8(($0 * id).rounded(.toNearestOrAwayFromZero))) }
    }

    @Test func theQ8_0BoundHoldsAndIsTight() {
        // Values that make the F16 rounding of the scale matter: amax chosen far from an F16.
        var x: [Float] = (0..<32).map { Float(sin(Double($0) * 1.7)) * 0.0123 }
        x[5] = 0.0123457
        let raw = referenceQ8_0(x)
        var y = [Float](repeating: 0, count: 32)
        raw.withUnsafeBytes { bytes in y.withUnsafeMutableBufferPointer { BlockQuantization.dequantize(.q8_0, bytes, count: 32, into: $0.baseAddress!) } }
        let parent = x.map(Double.init)
        var bounds = [Double](repeating: 0, count: 32)
        parent.withUnsafeBufferPointer { p in bounds.withUnsafeMutableBufferPointer { BlockQuantization.errorBounds(.q8_0, block: p.baseAddress!, into: $0.baseAddress!) } }
        var worst = 0.0
        for j in 0..<32 {
            let error = abs(Double(y[j]) - parent[j])
            #expect(error <= bounds[j], "element \(j): error \(error) bound \(bounds[j])")
            worst = max(worst, error / bounds[j])
        }
        // The bound is not loose by orders of magnitude: some element uses a good part of it.
        #expect(worst > 0.3)
        // One step further from the parent on any element breaks it.
        let d = Double(FloatCast.float(fromFloat16: UInt16(raw[0]) | UInt16(raw[1]) << 8))
        for j in 0..<32 {
            let away = Double(y[j]) - parent[j] >= 0 ? d : -d
            #expect(abs(Double(y[j]) + away - parent[j]) > bounds[j])
        }
    }

    @Test func q4_0ClampsTheSideOppositeTheLargestValue() {
        // The largest magnitude is negative, so +max maps to t = -8 and the positive value to t = +8,
        // clamped to 7: its error is a whole step, which the bound allows and no more.
        var x = [Double](repeating: 0.01, count: 32)
        x[0] = -1
        x[1] = 1
        var bounds = [Double](repeating: 0, count: 32)
        x.withUnsafeBufferPointer { p in bounds.withUnsafeMutableBufferPointer { BlockQuantization.errorBounds(.q4_0, block: p.baseAddress!, into: $0.baseAddress!) } }
        let d = 1.0 / 8
        #expect(bounds[1] >= d && bounds[1] < d * 1.01)
        #expect(bounds[2] >= d / 2 && bounds[2] < d / 2 * 1.01)
    }
}
