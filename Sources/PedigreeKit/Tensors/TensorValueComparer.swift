import Foundation

/// Sums over the element pairs of compared tensors, from which the relative L2 norm of the
/// difference and the cosine similarity follow.
///
/// Summed in double precision in eight lanes: element `i` of a tensor (in the child's element
/// order) is added to lane `i mod 8`, each lane in element order, then the lanes are added in
/// order 0 to 7 — so the same tensors give the same numbers whatever the chunk size, and the
/// sums run eight wide.
public struct DeltaMetrics: Equatable, Sendable {
    /// Element pairs summed (both values finite).
    public var elements: Int64 = 0
    /// Element pairs left out because a value was NaN or infinite.
    public var nonFinite: Int64 = 0
    /// Σ (child − parent)².
    public var sumSquaredDifference = 0.0
    /// Σ parent².
    public var sumSquaredParent = 0.0
    /// Σ child².
    public var sumSquaredChild = 0.0
    /// Σ parent × child.
    public var sumProduct = 0.0

    public init() {}

    /// ‖child − parent‖ / ‖parent‖; 0 when nothing differs, `nil` when the parent is all zeros
    /// and the child is not.
    public var relativeL2: Double? {
        if sumSquaredDifference == 0 { return 0 }
        guard sumSquaredParent > 0 else { return nil }
        return (sumSquaredDifference / sumSquaredParent).squareRoot()
    }

    /// (parent · child) / (‖parent‖ ‖child‖); `nil` when either is all zeros.
    public var cosine: Double? {
        guard sumSquaredParent > 0, sumSquaredChild > 0 else { return nil }
        return sumProduct / (sumSquaredParent.squareRoot() * sumSquaredChild.squareRoot())
    }

    /// Adds the sums of `other` (used in a fixed order: child tensor order).
    public mutating func add(_ other: DeltaMetrics) {
        elements += other.elements
        nonFinite += other.nonFinite
        sumSquaredDifference += other.sumSquaredDifference
        sumSquaredParent += other.sumSquaredParent
        sumSquaredChild += other.sumSquaredChild
        sumProduct += other.sumProduct
    }
}

/// How a block-quantized child tensor's values compare with the reference quantizer's bound.
public struct QuantizationCheck: Equatable, Sendable {
    /// Elements whose error exceeds the bound `BlockQuantization` documents.
    public var outsideBound: Int64 = 0
    /// The largest |child − parent| / bound over the tensor (≤ 1 when consistent).
    public var worstErrorRatio = 0.0
}

/// What comparing a child tensor's values with its parent's showed.
public enum ValueVerdict: Equatable, Sendable {
    /// Same dtype, every value bit for bit the same (after the layout map, if any).
    case exact
    /// Casting every parent value to the child's dtype, rounding to nearest even, gives the
    /// child's bytes.
    case castExact
    /// Every dequantized child value is within the reference quantizer's error bound of the
    /// parent's.
    case quantizedConsistent
    /// The values differ beyond what the dtype change explains; see the metrics.
    case differs
    /// The values were not compared, for the reason given.
    case notCompared(String)

    /// A word for reports and the evidence counts.
    public var name: String {
        switch self {
        case .exact: return "exact"
        case .castExact: return "cast-exact"
        case .quantizedConsistent: return "quantized-consistent"
        case .differs: return "differs"
        case .notCompared: return "not-compared"
        }
    }
}

/// The outcome of comparing the values of a child tensor with a parent tensor.
public struct ValueComparison: Equatable, Sendable {
    public let verdict: ValueVerdict
    public let metrics: DeltaMetrics
    /// For a block-quantized child, the check against the reference bound.
    public let quantization: QuantizationCheck?

    public init(verdict: ValueVerdict, metrics: DeltaMetrics = DeltaMetrics(), quantization: QuantizationCheck? = nil) {
        self.verdict = verdict
        self.metrics = metrics
        self.quantization = quantization
    }
}

/// Streams two tensors in chunks and compares their values: never more than a chunk of either
/// in memory, whatever their size.
struct TensorValueComparer {
    /// The budget of bytes read from each tensor at a time (at least one block is read).
    let chunkBytes: Int
    /// The largest single read made so far, for the tests of the memory bound.
    private(set) var largestRead = 0
    /// Counts the bytes read from both sides as they are read, for a progress display.
    var progress: ByteCounter?
    /// The bytes read from both sides so far.
    private(set) var bytesRead: Int64 = 0

    init(chunkBytes: Int) {
        self.chunkBytes = max(chunkBytes, 1)
    }

    /// Elements decoded at a time (a multiple of every block size): 8192 doubles a side stay in
    /// a core's cache while they are checked and summed.
    static let slice = 8192

    static func decodable(_ dtype: TensorDType) -> Bool {
        switch dtype {
        case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: return true
        case .float16, .bfloat16, .float32, .float64, .float8E4M3, .float8E5M2, .float8E8M0: return true
        default: return BlockQuantization.supported.contains(dtype)
        }
    }

    /// Whether a cast from `parent` to `child` is checked bit for bit: both standard floats, the
    /// rounding done once (F64 to F16 or BF16 would round twice through F32, and is not).
    static func castChecked(from parent: TensorDType, to child: TensorDType) -> Bool {
        guard parent.isStandardFloat, child.isStandardFloat else { return false }
        return !(parent == .float64 && (child == .float16 || child == .bfloat16))
    }

    mutating func compare(
        parent: TensorRecord, parentFile: TensorFileHandle, child: TensorRecord, childFile: TensorFileHandle, layout: TensorLayout
    ) throws(TensorFileError) -> ValueComparison {
        guard parent.shape == child.shape else { return ValueComparison(verdict: .notCompared("the shapes differ")) }
        guard Self.decodable(parent.dtype) else { return ValueComparison(verdict: .notCompared("\(parent.dtype.rawValue) values are not decoded")) }
        guard Self.decodable(child.dtype) else { return ValueComparison(verdict: .notCompared("\(child.dtype.rawValue) values are not decoded")) }
        let count = child.shape.elementCount
        let rows = child.shape.dims.first ?? 1
        let rowElements = rows > 0 ? count / rows : 0
        if layout != .same, rows > 0, layout.parentRow(0, rows: rows) == nil {
            return ValueComparison(verdict: .notCompared("its \(rows) rows do not split into the heads of \(layout.name)"))
        }
        let childQuantized = child.dtype.isBlockQuantized
        let checkCast = Self.castChecked(from: parent.dtype, to: child.dtype)
        let sameType = parent.dtype == child.dtype
        let align = Int64(max(parent.dtype.blockElements, child.dtype.blockElements))
        let widest = max(bytesPerElementCeiling(parent.dtype), bytesPerElementCeiling(child.dtype))
        var spanLimit = Int64(chunkBytes / widest) / align * align
        spanLimit = max(spanLimit, align)

        // Raw bytes for a span of up to `spanLimit` elements; decoded values for a slice of it.
        let spanCapacity = min(spanLimit, max(count, 1))
        let capacity = Int(min(spanCapacity, Int64(Self.slice)))
        let parentRaw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes(parent.dtype, spanCapacity) + 8, alignment: 16)
        let childRaw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes(child.dtype, spanCapacity) + 8, alignment: 16)
        let parentValues = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        let childValues = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let bounds = UnsafeMutablePointer<Double>.allocate(capacity: 32)
        defer {
            parentRaw.deallocate()
            childRaw.deallocate()
            parentValues.deallocate()
            childValues.deallocate()
            scratch.deallocate()
            bounds.deallocate()
        }

        var sums = LaneSums()
        var quantization = QuantizationCheck()
        var allReproduced = true
        var position: Int64 = 0
        while position < count {
            var span = min(spanLimit, count - position)
            var parentStart = position
            if layout != .same, rowElements > 0 {
                let row = position / rowElements
                let within = position % rowElements
                span = min(span, rowElements - within)
                guard let parentRow = layout.parentRow(row, rows: rows) else { break }
                parentStart = parentRow * rowElements + within
            }
            let n = Int(span)
            let parentBytes = bytes(parent.dtype, span)
            let childBytes = bytes(child.dtype, span)
            try parentFile.read(
                at: parent.byteRange.lowerBound + Int64(bytes(parent.dtype, parentStart)),
                into: UnsafeMutableRawBufferPointer(rebasing: parentRaw[0..<parentBytes]), field: "tensor '\(parent.name)'")
            try childFile.read(
                at: child.byteRange.lowerBound + Int64(bytes(child.dtype, position)),
                into: UnsafeMutableRawBufferPointer(rebasing: childRaw[0..<childBytes]), field: "tensor '\(child.name)'")
            largestRead = max(largestRead, parentBytes, childBytes)
            bytesRead += Int64(parentBytes + childBytes)
            progress?.add(Int64(parentBytes + childBytes))
            let parentChunk = UnsafeRawBufferPointer(rebasing: parentRaw[0..<parentBytes])
            let childChunk = UnsafeRawBufferPointer(rebasing: childRaw[0..<childBytes])
            if allReproduced {
                if sameType {
                    allReproduced = memcmp(parentChunk.baseAddress!, childChunk.baseAddress!, parentBytes) == 0
                } else if checkCast {
                    allReproduced = Self.castReproduces(parent.dtype, parentChunk, child.dtype, childChunk, count: n)
                } else {
                    allReproduced = false
                }
            }
            // Decode and sum in slices that stay in the cache; the order of the sums is the
            // element order whatever the slicing, so the numbers do not depend on it.
            var start = 0
            while start < n {
                let length = min(Self.slice, n - start)
                decode(parent.dtype, parentChunk, from: start, count: length, into: parentValues, scratch: scratch)
                decode(child.dtype, childChunk, from: start, count: length, into: childValues, scratch: scratch)
                if childQuantized {
                    var block = 0
                    while block < length {
                        BlockQuantization.errorBounds(child.dtype, block: parentValues + block, into: bounds)
                        for j in 0..<32 {
                            let error = abs(childValues[block + j] - parentValues[block + j])
                            let bound = bounds[j]
                            // NaN errors fail the test: `<=` is false for them.
                            if !(error <= bound) {
                                quantization.outsideBound += 1
                            }
                            let ratio = bound > 0 ? error / bound : (error == 0 ? 0 : .infinity)
                            if ratio > quantization.worstErrorRatio || ratio.isNaN { quantization.worstErrorRatio = ratio.isNaN ? .infinity : ratio }
                        }
                        block += 32
                    }
                }
                sums.add(parent: parentValues, child: childValues, count: length, firstIndex: position + Int64(start))
                start += length
            }
            position += span
        }

        let metrics = sums.metrics(pairs: position)
        if childQuantized {
            let verdict: ValueVerdict = quantization.outsideBound == 0 ? .quantizedConsistent : .differs
            return ValueComparison(verdict: verdict, metrics: metrics, quantization: quantization)
        }
        if allReproduced && (sameType || checkCast) {
            return ValueComparison(verdict: sameType ? .exact : .castExact, metrics: metrics)
        }
        return ValueComparison(verdict: .differs, metrics: metrics)
    }

    /// Bytes `elements` elements take (`elements` a whole number of blocks).
    private func bytes(_ dtype: TensorDType, _ elements: Int64) -> Int {
        Int(elements / Int64(dtype.blockElements) * Int64(dtype.blockBytes))
    }

    private func bytesPerElementCeiling(_ dtype: TensorDType) -> Int {
        (dtype.blockBytes + dtype.blockElements - 1) / dtype.blockElements
    }

    /// Whether casting each parent element of `parent` to `child` gives the child's bits (any NaN
    /// matching any NaN).
    static func castReproduces(
        _ parent: TensorDType, _ parentRaw: UnsafeRawBufferPointer, _ child: TensorDType, _ childRaw: UnsafeRawBufferPointer, count: Int
    ) -> Bool {
        @inline(__always) func f32(_ i: Int) -> UInt32 {
            switch parent {
            case .float32: return parentRaw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian
            case .float16: return FloatCast.float32Bits(fromFloat16: parentRaw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian)
            case .bfloat16: return FloatCast.float32Bits(fromBFloat16: parentRaw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian)
            default:
                let value = Double(bitPattern: parentRaw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian)
                return Float(value).bitPattern
            }
        }
        switch child {
        case .float16:
            for i in 0..<count {
                let expected = FloatCast.float16Bits(fromFloat32: f32(i))
                let actual = childRaw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian
                if expected != actual && !(isNaN16(expected) && isNaN16(actual)) { return false }
            }
        case .bfloat16:
            for i in 0..<count {
                let expected = FloatCast.bfloat16Bits(fromFloat32: f32(i))
                let actual = childRaw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian
                if expected != actual && !(isNaN16(expected, bfloat: true) && isNaN16(actual, bfloat: true)) { return false }
            }
        case .float32:
            for i in 0..<count {
                let expected = f32(i)
                let actual = childRaw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian
                if expected != actual && !(Float(bitPattern: expected).isNaN && Float(bitPattern: actual).isNaN) { return false }
            }
        case .float64:
            for i in 0..<count {
                let expected: UInt64
                if parent == .float64 {
                    expected = parentRaw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian
                } else {
                    expected = Double(Float(bitPattern: f32(i))).bitPattern
                }
                let actual = childRaw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian
                if expected != actual && !(Double(bitPattern: expected).isNaN && Double(bitPattern: actual).isNaN) { return false }
            }
        default:
            return false
        }
        return true
    }

    @inline(__always)
    private static func isNaN16(_ bits: UInt16, bfloat: Bool = false) -> Bool {
        bfloat ? (bits & 0x7fff) > 0x7f80 : (bits & 0x7fff) > 0x7c00
    }

    /// Decodes elements `first..<first + count` of `dtype` from `chunk` into `out` (`first` a
    /// whole number of blocks).
    private func decode(
        _ dtype: TensorDType, _ chunk: UnsafeRawBufferPointer, from first: Int, count: Int, into out: UnsafeMutablePointer<Double>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let offset = first / dtype.blockElements * dtype.blockBytes
        let raw = UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + count / dtype.blockElements * dtype.blockBytes)])
        switch dtype {
        case .float32:
            for i in 0..<count { out[i] = Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian)) }
        case .float16:
            for i in 0..<count { out[i] = Double(FloatCast.float(fromFloat16: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian)) }
        case .bfloat16:
            for i in 0..<count {
                out[i] = Double(Float(bitPattern: FloatCast.float32Bits(fromBFloat16: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian)))
            }
        case .float64:
            for i in 0..<count { out[i] = Double(bitPattern: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian) }
        case .bool, .uint8:
            for i in 0..<count { out[i] = Double(raw[i]) }
        case .int8:
            for i in 0..<count { out[i] = Double(Int8(bitPattern: raw[i])) }
        case .int16:
            for i in 0..<count { out[i] = Double(Int16(bitPattern: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian)) }
        case .uint16:
            for i in 0..<count { out[i] = Double(raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian) }
        case .int32:
            for i in 0..<count { out[i] = Double(Int32(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian)) }
        case .uint32:
            for i in 0..<count { out[i] = Double(raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian) }
        case .int64:
            for i in 0..<count { out[i] = Double(Int64(bitPattern: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian)) }
        case .uint64:
            for i in 0..<count { out[i] = Double(raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian) }
        case .float8E5M2:
            // E5M2 is the top byte of an F16.
            for i in 0..<count { out[i] = Double(FloatCast.float(fromFloat16: UInt16(raw[i]) << 8)) }
        case .float8E4M3:
            for i in 0..<count { out[i] = Self.float8E4M3(raw[i]) }
        case .float8E8M0:
            for i in 0..<count { out[i] = raw[i] == 0xff ? .nan : Double(sign: .plus, exponent: Int(raw[i]) - 127, significand: 1) }
        default:
            if BlockQuantization.supported.contains(dtype) {
                BlockQuantization.dequantize(dtype, raw, count: count, into: scratch)
                for i in 0..<count { out[i] = Double(scratch[i]) }
            } else {
                for i in 0..<count { out[i] = .nan }
            }
        }
    }

    /// FP8 E4M3 ("FN": bias 7, no infinities, S.1111.111 is NaN).
    static func float8E4M3(_ byte: UInt8) -> Double {
        let sign: Double = byte & 0x80 != 0 ? -1 : 1
        let exponent = Int((byte >> 3) & 0x0f)
        let mantissa = Double(byte & 0x07)
        if exponent == 0x0f && byte & 0x07 == 0x07 { return .nan }
        if exponent == 0 { return sign * mantissa * 0x1p-9 }
        return sign * (1 + mantissa / 8) * Double(sign: .plus, exponent: exponent - 7, significand: 1)
    }
}

/// The four sums of `DeltaMetrics` in eight lanes, element `i` of a tensor in lane `i mod 8`
/// (see `DeltaMetrics`), so the additions of a slice run as vector operations.
///
/// An element whose lane does not start a vector (the head and tail of a slice that is not
/// eight-aligned in the tensor) is added to its lane alone, with the same operations, so the
/// sums do not depend on where slices start.
struct LaneSums {
    var difference = SIMD8<Double>()
    var parent = SIMD8<Double>()
    var child = SIMD8<Double>()
    var product = SIMD8<Double>()
    /// Pairs left out because a value was NaN or infinite.
    var nonFinite: Int64 = 0

    /// Adds `count` element pairs, the first of which is element `firstIndex` of the tensor.
    mutating func add(parent p: UnsafePointer<Double>, child c: UnsafePointer<Double>, count: Int, firstIndex: Int64) {
        var i = 0
        var lane = Int(firstIndex & 7)
        while i < count && lane != 0 {
            addOne(p[i], c[i], lane: lane)
            i += 1
            lane = (lane + 1) & 7
        }
        let pRaw = UnsafeRawPointer(p)
        let cRaw = UnsafeRawPointer(c)
        let stride = MemoryLayout<Double>.stride
        while i + 8 <= count {
            var pv = pRaw.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Double>.self)
            var cv = cRaw.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Double>.self)
            // x − x is 0 for a finite x, NaN for an infinite or NaN one.
            let finite = ((pv - pv) .== 0) .& ((cv - cv) .== 0)
            if !all(finite) {
                for k in 0..<8 where !finite[k] { nonFinite += 1 }
                pv.replace(with: 0, where: .!finite)
                cv.replace(with: 0, where: .!finite)
            }
            let d = cv - pv
            difference = difference + d * d
            parent = parent + pv * pv
            child = child + cv * cv
            product = product + pv * cv
            i += 8
        }
        while i < count {
            addOne(p[i], c[i], lane: (i + Int(firstIndex & 7)) & 7)
            i += 1
        }
    }

    /// Adds one pair to `lane` with the operations the vector path uses (a left-out pair adds
    /// zeros, as there).
    @inline(__always)
    private mutating func addOne(_ p: Double, _ c: Double, lane: Int) {
        var p = p
        var c = c
        if !(p - p == 0 && c - c == 0) {
            nonFinite += 1
            p = 0
            c = 0
        }
        let d = c - p
        difference[lane] = difference[lane] + d * d
        parent[lane] = parent[lane] + p * p
        child[lane] = child[lane] + c * c
        product[lane] = product[lane] + p * c
    }

    /// The metrics of a tensor of `pairs` element pairs: the lanes added in order.
    func metrics(pairs: Int64) -> DeltaMetrics {
        func total(_ lanes: SIMD8<Double>) -> Double {
            var sum = 0.0
            for k in 0..<8 { sum += lanes[k] }
            return sum
        }
        var out = DeltaMetrics()
        out.nonFinite = nonFinite
        out.elements = pairs - nonFinite
        out.sumSquaredDifference = total(difference)
        out.sumSquaredParent = total(parent)
        out.sumSquaredChild = total(child)
        out.sumProduct = total(product)
        return out
    }
}
