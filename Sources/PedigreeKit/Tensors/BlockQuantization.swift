/// GGML's 32-element block quantizations pedigree decodes, and the error their reference
/// quantizers allow.
///
/// Decoding follows ggml's `dequantize_row_*` (`ggml/src/ggml-quants.c`) operation for
/// operation in single precision, so values come out bit-identical to ggml's and gguf-py's.
///
/// The error bounds are derived from ggml's reference quantizers (`quantize_row_q8_0_ref`,
/// `quantize_row_q4_0_ref`, `…_q4_1_ref`, `…_q5_0_ref`, `…_q5_1_ref`; the functions
/// `llama-quantize` uses without an importance matrix, and gguf-py's `quants.py` reproduces).
/// For a block `x` of 32 parent values, with the scale `d` the reference computes from it and
/// `h(v)`, half an F16 unit in the last place at `v` (the most that storing `v` as the block's
/// F16 scale or minimum moves it):
///
/// - **Q8_0**: `d = max|x| / 127`, `q = round(x / d)`, `|q| <= 127`:
///   `|y - x| <= d/2 + 127 h(d)`.
/// - **Q4_0**: `d = m / -8` where `m` is the value of largest magnitude, `q - 8 = min(7,
///   floor(x/d + 1/2))` in `-8...7`; `t = x/d` reaches +8 on the side opposite `m`, where the
///   clamp to 7 costs up to one step: `|y - x| <= |d| max(1/2, t - 7) + 8 h(d)`.
/// - **Q5_0**: as Q4_0 with `-16`, `-16...15`: `|y - x| <= |d| max(1/2, t - 15) + 16 h(d)`.
/// - **Q4_1**: `d = (max - min) / 15`, stored minimum `m`: `|y - x| <= d/2 + 15 h(d) + h(min)`.
/// - **Q5_1**: as Q4_1 with 31 steps: `|y - x| <= d/2 + 31 h(d) + h(min)`.
///
/// To each bound add `2^-12 |d| + 2^-22 |x|`: the single-precision rounding of the reference's
/// own arithmetic (`d`, `1/d`, `x * (1/d)`, `q * d + m`; a few units of 2^-24 relative, which can
/// tip a value sitting on a rounding boundary to the next step) with a margin of 8. A quantizer
/// other than the reference (llama.cpp with an importance matrix uses `make_qx_quants`, which
/// searches other scales) may exceed these bounds: its values are then reported as changed,
/// with their distance, not as quantized-consistent.
public enum BlockQuantization {
    /// The types decoded and bounded here.
    public static let supported: Set<TensorDType> = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1]

    /// Decodes `count / 32` blocks of `dtype` from `raw` into `out` (`count` values).
    static func dequantize(_ dtype: TensorDType, _ raw: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        let blocks = count / 32
        for block in 0..<blocks {
            let base = raw.baseAddress! + block * dtype.blockBytes
            let y = out + block * 32
            let d = FloatCast.float(fromFloat16: base.loadUnaligned(as: UInt16.self).littleEndian)
            switch dtype {
            case .q8_0:
                for j in 0..<32 {
                    y[j] = Float(Int8(bitPattern: base.load(fromByteOffset: 2 + j, as: UInt8.self))) * d
                }
            case .q4_0:
                for j in 0..<16 {
                    let byte = base.load(fromByteOffset: 2 + j, as: UInt8.self)
                    y[j] = Float(Int(byte & 0x0f) - 8) * d
                    y[j + 16] = Float(Int(byte >> 4) - 8) * d
                }
            case .q4_1:
                let m = FloatCast.float(fromFloat16: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self).littleEndian)
                for j in 0..<16 {
                    let byte = base.load(fromByteOffset: 4 + j, as: UInt8.self)
                    y[j] = multiplyThenAdd(Float(byte & 0x0f), d, m)
                    y[j + 16] = multiplyThenAdd(Float(byte >> 4), d, m)
                }
            case .q5_0:
                let qh = base.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian
                for j in 0..<16 {
                    let byte = base.load(fromByteOffset: 6 + j, as: UInt8.self)
                    let high0 = UInt8(truncatingIfNeeded: ((qh >> UInt32(j)) << 4) & 0x10)
                    let high1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 12)) & 0x10)
                    y[j] = Float(Int((byte & 0x0f) | high0) - 16) * d
                    y[j + 16] = Float(Int((byte >> 4) | high1) - 16) * d
                }
            case .q5_1:
                let m = FloatCast.float(fromFloat16: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self).littleEndian)
                let qh = base.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
                for j in 0..<16 {
                    let byte = base.load(fromByteOffset: 8 + j, as: UInt8.self)
                    let high0 = UInt8(truncatingIfNeeded: ((qh >> UInt32(j)) << 4) & 0x10)
                    let high1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 12)) & 0x10)
                    y[j] = multiplyThenAdd(Float((byte & 0x0f) | high0), d, m)
                    y[j + 16] = multiplyThenAdd(Float((byte >> 4) | high1), d, m)
                }
            default:
                for j in 0..<32 { y[j] = .nan }
            }
        }
    }

    /// `q * d + m` rounded twice, as ggml's C computes it (never fused into one rounding).
    @inline(never)
    static func multiplyThenAdd(_ q: Float, _ d: Float, _ m: Float) -> Float {
        let product = q * d
        return product + m
    }

    /// Writes into `bounds` the largest error the reference quantizer of `dtype` allows for
    /// each of the 32 parent values `x`, per the table above; all infinite-free inputs give
    /// finite bounds except a scale past the F16 range.
    static func errorBounds(_ dtype: TensorDType, block x: UnsafePointer<Double>, into bounds: UnsafeMutablePointer<Double>) {
        switch dtype {
        case .q8_0:
            var amax = 0.0
            for j in 0..<32 { amax = max(amax, abs(x[j])) }
            let d = amax / 127
            let bound = d / 2 + 127 * FloatCast.halfFloat16ULP(d) + 0x1p-12 * d
            for j in 0..<32 { bounds[j] = bound + 0x1p-22 * abs(x[j]) }
        case .q4_0, .q5_0:
            let (levels, top): (Double, Double) = dtype == .q4_0 ? (8, 7) : (16, 15)
            var m = 0.0
            for j in 0..<32 where abs(x[j]) > abs(m) { m = x[j] }
            let d = m / -levels
            let scaleError = levels * FloatCast.halfFloat16ULP(d) + 0x1p-12 * abs(d)
            for j in 0..<32 {
                let t = d == 0 ? 0 : x[j] / d
                bounds[j] = abs(d) * max(0.5, t - top) + scaleError + 0x1p-22 * abs(x[j])
            }
        case .q4_1, .q5_1:
            let steps: Double = dtype == .q4_1 ? 15 : 31
            var low = Double.greatestFiniteMagnitude
            var high = -Double.greatestFiniteMagnitude
            for j in 0..<32 {
                low = min(low, x[j])
                high = max(high, x[j])
            }
            let d = (high - low) / steps
            let bound = d / 2 + steps * FloatCast.halfFloat16ULP(d) + FloatCast.halfFloat16ULP(low) + 0x1p-12 * d
            for j in 0..<32 { bounds[j] = bound + 0x1p-22 * abs(x[j]) }
        default:
            for j in 0..<32 { bounds[j] = -1 }
        }
    }
}
