/// Conversions between the float formats weights are stored in, bit for bit, with the rounding
/// IEEE 754 defines for a narrowing cast: round to nearest, ties to even.
///
/// Narrowing: F32 → F16 (overflow to infinity past 65504, gradual underflow to F16 subnormals),
/// F32 → BF16 (what `torch.Tensor.to(torch.bfloat16)` and ggml's `ggml_compute_fp32_to_bf16`
/// do), F64 → F32. Widening (F16 → F32, BF16 → F32, F32 → F64) is exact. A NaN stays a NaN with
/// its sign and the top bits of its payload, made quiet; libraries differ in the payload they
/// keep, so `castReproduces` treats any NaN as matching any NaN. The tests hold these functions
/// to numpy's `astype(float16)` and gguf-py's BF16 quantizer over 250,000 patterns.
public enum FloatCast {
    /// The F16 nearest to the F32 with bits `bits`.
    public static func float16Bits(fromFloat32 bits: UInt32) -> UInt16 {
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponentField = Int((bits >> 23) & 0xff)
        let fraction = bits & 0x7f_ffff
        if exponentField == 0xff {
            if fraction == 0 { return sign | 0x7c00 }
            return sign | 0x7e00 | UInt16(truncatingIfNeeded: fraction >> 13)
        }
        if exponentField == 0 {
            // F32 zero or subnormal: below 2^-126, far under half the smallest F16 subnormal.
            return sign
        }
        let exponent = exponentField - 127
        let significand = fraction | 0x80_0000  // 24 bits, value = significand * 2^(exponent - 23)
        if exponent >= -14 {
            var rounded = roundShift(significand, 13)  // 11 bits: 1024...2048
            var biased = exponent + 15
            if rounded == 0x800 {
                rounded = 0x400
                biased += 1
            }
            if biased >= 0x1f { return sign | 0x7c00 }
            return sign | UInt16(biased) << 10 | UInt16(rounded - 0x400)
        }
        // F16 subnormal: value / 2^-24 = significand * 2^(exponent + 1).
        let shift = -(exponent + 1)
        guard shift < 32 else { return sign }
        // A result of 1024 is the smallest normal, which `sign | 1024` encodes as well.
        return sign | UInt16(roundShift(significand, shift))
    }

    /// The BF16 nearest to the F32 with bits `bits`.
    public static func bfloat16Bits(fromFloat32 bits: UInt32) -> UInt16 {
        if bits & 0x7fff_ffff > 0x7f80_0000 {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let rounded = (UInt64(bits) + 0x7fff + UInt64((bits >> 16) & 1)) >> 16
        return UInt16(truncatingIfNeeded: rounded)
    }

    /// The F32 bits of the F16 with bits `bits` (exact).
    public static func float32Bits(fromFloat16 bits: UInt16) -> UInt32 {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32((bits >> 10) & 0x1f)
        var fraction = UInt32(bits & 0x3ff)
        switch exponent {
        case 0:
            if fraction == 0 { return sign }
            // Subnormal: normalise.
            var e: UInt32 = 127 - 15 + 1
            while fraction & 0x400 == 0 {
                fraction <<= 1
                e -= 1
            }
            return sign | e << 23 | (fraction & 0x3ff) << 13
        case 0x1f:
            return sign | 0x7f80_0000 | fraction << 13
        default:
            return sign | (exponent + 127 - 15) << 23 | fraction << 13
        }
    }

    /// The F32 bits of the BF16 with bits `bits` (exact).
    @inline(__always)
    public static func float32Bits(fromBFloat16 bits: UInt16) -> UInt32 { UInt32(bits) << 16 }

    /// The value of an F16.
    @inline(__always)
    public static func float(fromFloat16 bits: UInt16) -> Float { Float(bitPattern: float32Bits(fromFloat16: bits)) }

    /// `value >> shift`, rounded to nearest, ties to even; `shift` from 1 to 31.
    @inline(__always)
    static func roundShift(_ value: UInt32, _ shift: Int) -> UInt32 {
        let quotient = value >> UInt32(shift)
        let remainder = value & ((1 << UInt32(shift)) - 1)
        let half: UInt32 = 1 << UInt32(shift - 1)
        if remainder > half || (remainder == half && quotient & 1 == 1) { return quotient + 1 }
        return quotient
    }

    /// Half of one F16 unit in the last place at the magnitude of `value`: the most that
    /// rounding `value` to F16 can move it (below 2^-14, the subnormal step 2^-24 halved).
    /// Infinite past the largest finite F16.
    public static func halfFloat16ULP(_ value: Double) -> Double {
        let magnitude = abs(value)
        if magnitude >= 65520 { return .infinity }
        if magnitude < 0x1p-14 { return 0x1p-25 }
        return Double(sign: .plus, exponent: magnitude.exponent - 11, significand: 1)
    }
}
