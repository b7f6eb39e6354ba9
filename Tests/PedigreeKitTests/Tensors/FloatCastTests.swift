import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

private func load<T: FixedWidthInteger>(_ path: String, as: T.Type) throws -> [T] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.withUnsafeBytes { raw in (0..<(raw.count / MemoryLayout<T>.size)).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) } }
}

@Suite("Float casts")
struct FloatCastTests {
    @Test func knownRoundings() {
        // Ties go to even: 1 + 2^-11 is halfway between 1 and the next F16; 1 + 3·2^-11 rounds up.
        #expect(FloatCast.float16Bits(fromFloat32: Float(1 + 0x1p-11).bitPattern) == 0x3c00)
        #expect(FloatCast.float16Bits(fromFloat32: Float(1 + 3 * 0x1p-11).bitPattern) == 0x3c02)
        #expect(FloatCast.float16Bits(fromFloat32: Float(65504).bitPattern) == 0x7bff)
        #expect(FloatCast.float16Bits(fromFloat32: Float(65519.99).bitPattern) == 0x7bff)
        #expect(FloatCast.float16Bits(fromFloat32: Float(65520).bitPattern) == 0x7c00)
        #expect(FloatCast.float16Bits(fromFloat32: Float(0x1p-24).bitPattern) == 0x0001)
        #expect(FloatCast.float16Bits(fromFloat32: Float(0x1p-25).bitPattern) == 0x0000)
        #expect(FloatCast.float16Bits(fromFloat32: Float(0x1.8p-25).bitPattern) == 0x0001)
        #expect(FloatCast.float16Bits(fromFloat32: Float(-0.0).bitPattern) == 0x8000)
        #expect(FloatCast.bfloat16Bits(fromFloat32: Float(1 + 0x1p-8).bitPattern) == 0x3f80)
        #expect(FloatCast.bfloat16Bits(fromFloat32: Float(1 + 3 * 0x1p-8).bitPattern) == 0x3f82)
        #expect(FloatCast.bfloat16Bits(fromFloat32: Float.greatestFiniteMagnitude.bitPattern) == 0x7f80)
        #expect(FloatCast.float32Bits(fromFloat16: 0x0001) == Float(0x1p-24).bitPattern)
        #expect(FloatCast.float32Bits(fromFloat16: 0xfc00) == Float(-Float.infinity).bitPattern)
        #expect(FloatCast.halfFloat16ULP(1) == 0x1p-11)
        #expect(FloatCast.halfFloat16ULP(0x1p-20) == 0x1p-25)
        #expect(FloatCast.halfFloat16ULP(70000) == .infinity)
    }

    @Test(.tags(.tensorFixtures))
    func narrowingMatchesNumpyAndGGUFPyBitForBit() throws {
        let fixtures = try TensorFixtures.get()
        let source = try load(fixtures.path("casts/f32.bin"), as: UInt32.self)
        let f16 = try load(fixtures.path("casts/f16_from_f32.bin"), as: UInt16.self)
        let bf16 = try load(fixtures.path("casts/bf16_from_f32.bin"), as: UInt16.self)
        #expect(source.count == 250_025)
        var mismatches16 = 0
        var mismatchesBF = 0
        for (index, bits) in source.enumerated() {
            let ours16 = FloatCast.float16Bits(fromFloat32: bits)
            let isNaN = Float(bitPattern: bits).isNaN
            if isNaN {
                // Libraries keep different NaN payloads: a NaN must stay a NaN with its sign.
                if (ours16 & 0x7fff) <= 0x7c00 || (ours16 & 0x8000) != (f16[index] & 0x8000) { mismatches16 += 1 }
            } else if ours16 != f16[index] {
                mismatches16 += 1
            }
            if FloatCast.bfloat16Bits(fromFloat32: bits) != bf16[index] { mismatchesBF += 1 }
        }
        #expect(mismatches16 == 0)
        #expect(mismatchesBF == 0)
    }

    @Test(.tags(.tensorFixtures))
    func everyF16WidensAsNumpyWidensIt() throws {
        let fixtures = try TensorFixtures.get()
        let widened = try load(fixtures.path("casts/f32_from_every_f16.bin"), as: UInt32.self)
        #expect(widened.count == 65536)
        for bits in 0..<65536 {
            let ours = FloatCast.float32Bits(fromFloat16: UInt16(bits))
            if Float(bitPattern: ours).isNaN {
                #expect(Float(bitPattern: widened[bits]).isNaN)
            } else {
                #expect(ours == widened[bits], "f16 \(String(bits, radix: 16))")
            }
            // Widening then narrowing gives the F16 back.
            if !Float(bitPattern: ours).isNaN { #expect(FloatCast.float16Bits(fromFloat32: ours) == UInt16(bits)) }
        }
    }
}
