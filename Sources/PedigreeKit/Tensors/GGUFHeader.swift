/// The type of a GGUF metadata value (`enum gguf_metadata_value_type`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// The fewest bytes one value of this type takes in a file (a string: its length; an
    /// array: its element type and length).
    var minimumBytes: UInt64 {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }

    /// The name gguf-py gives the type, in lower case (`uint32`, `string`, …).
    public var name: String { String(describing: self) }
}

/// A GGUF string: bytes the format says are UTF-8, kept as bytes so a file with a malformed
/// token is still read; `text` is the string when the bytes are valid UTF-8.
public struct GGUFString: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The bytes as text, or `nil` when they are not valid UTF-8.
    public var text: String? { String(validating: bytes, as: UTF8.self) }

    public var description: String { text ?? String(decoding: bytes, as: UTF8.self) }
}

/// A list of GGUF strings stored in one buffer (a vocabulary of 256k tokens is one allocation,
/// not 256k).
public struct GGUFStringList: Equatable, Sendable, RandomAccessCollection {
    private var storage: [UInt8] = []
    private var ends: [Int] = []

    public init() {}

    public init(_ strings: [String]) {
        for string in strings { append(Array(string.utf8)) }
    }

    mutating func reserve(_ count: Int) { ends.reserveCapacity(count) }

    mutating func append(_ bytes: some Collection<UInt8>) {
        storage.append(contentsOf: bytes)
        ends.append(storage.count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { ends.count }

    public subscript(index: Int) -> GGUFString {
        let start = index == 0 ? 0 : ends[index - 1]
        return GGUFString(bytes: Array(storage[start..<ends[index]]))
    }
}

/// The elements of a GGUF metadata array, stored by type.
public indirect enum GGUFArray: Equatable, Sendable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case float32([Float]), bool([Bool]), string(GGUFStringList), array([GGUFArray])
    case uint64([UInt64]), int64([Int64]), float64([Double])

    /// The type of the elements.
    public var elementType: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// The number of elements.
    public var count: Int {
        switch self {
        case .uint8(let v): return v.count
        case .int8(let v): return v.count
        case .uint16(let v): return v.count
        case .int16(let v): return v.count
        case .uint32(let v): return v.count
        case .int32(let v): return v.count
        case .float32(let v): return v.count
        case .bool(let v): return v.count
        case .string(let v): return v.count
        case .array(let v): return v.count
        case .uint64(let v): return v.count
        case .int64(let v): return v.count
        case .float64(let v): return v.count
        }
    }
}

/// One GGUF metadata value.
public enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(GGUFString), array(GGUFArray)
    case uint64(UInt64), int64(Int64), float64(Double)

    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// The value of any integer type as a non-negative `Int`, or `nil` (not an integer, negative,
    /// or too large). GGUF writers use both `uint32` and `uint64` for counts.
    public var count: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .uint64(let v): return v <= UInt64(Int.max) ? Int(v) : nil
        case .int8(let v): return v >= 0 ? Int(v) : nil
        case .int16(let v): return v >= 0 ? Int(v) : nil
        case .int32(let v): return v >= 0 ? Int(v) : nil
        case .int64(let v): return v >= 0 ? Int(v) : nil
        default: return nil
        }
    }

    /// The text of a string value, or `nil`.
    public var text: String? {
        if case .string(let s) = self { return s.text }
        return nil
    }
}

/// A metadata key and its value.
public struct GGUFMetadataEntry: Equatable, Sendable {
    public let key: String
    public let value: GGUFValue
}

/// The header of a GGUF file (versions 2 and 3, little-endian), read and checked with bounded
/// reads that stop at most 64 KiB past the header.
///
/// Layout (`ggml-org/ggml` `docs/gguf.md`): magic `GGUF`, u32 version, u64 tensor_count, u64
/// metadata_kv_count, the key–value pairs, the tensor infos (name, u32 n_dimensions, u64
/// dimensions, u32 ggml type, u64 offset relative to the data), padding to `general.alignment`
/// (32 when absent), then the data. Beyond the layout, the checks follow ggml's own loader
/// (`gguf.cpp`): keys and tensor names given once, `general.alignment` a `uint32` power of two,
/// at most 4 dimensions, names of at most 64 bytes, each row (ne[0]) a whole number of blocks,
/// offsets aligned. Every count is held to what the rest of the file could hold before anything
/// is allocated for it, every length to the bytes left, every size and offset computed with
/// overflow checks, and every tensor must lie inside the file without overlapping another.
///
/// Shapes are normalised to row-major order: GGUF's dimensions are reversed (ne[0], the row
/// length, becomes the last dimension), so a tensor has the same shape here whichever format it
/// came from.
public struct GGUFHeader: Equatable, Sendable {
    /// The format version: 2 or 3.
    public let version: UInt32
    /// The metadata, in file order.
    public let metadata: [GGUFMetadataEntry]
    /// The tensors, in the order of their infos.
    public let tensors: [TensorInfo]
    /// `general.alignment`, or 32.
    public let alignment: UInt32
    /// The offset of the data section in the file: the end of the tensor infos, aligned.
    public let dataStart: Int64

    /// The value of `key`, if the file has it.
    public subscript(key: String) -> GGUFValue? {
        metadata.first { $0.key == key }?.value
    }

    /// Parses a GGUF header from the first bytes of a file of `fileSize` bytes.
    ///
    /// `bytes` must hold the whole header (everything before the data); this is the fuzz entry
    /// point, called with the whole input and its length.
    public static func parse(bytes: some Collection<UInt8>, fileSize: Int64, file: String = "<bytes>") throws(TensorFileError) -> GGUFHeader {
        let source = GGUFByteSource(bytes: Array(bytes.prefix(Int(min(UInt64(bytes.count), Limits.ggufHeaderBytes)))), fileSize: fileSize, file: file)
        var parser = GGUFParser(source: source)
        return try parser.header()
    }

    /// Reads and checks the header of the GGUF file at `path`, reading only the header.
    public static func read(path: String, displayName: String? = nil) throws(TensorFileError) -> GGUFHeader {
        let handle = try TensorFileHandle(path: path, displayName: displayName ?? path)
        return try read(handle)
    }

    static func read(_ handle: TensorFileHandle) throws(TensorFileError) -> GGUFHeader {
        try readCounting(handle).header
    }

    /// The header and how many bytes of the file were read to parse it.
    static func readCounting(_ handle: TensorFileHandle) throws(TensorFileError) -> (header: GGUFHeader, bytesRead: Int) {
        let source = GGUFByteSource(handle: handle)
        var parser = GGUFParser(source: source)
        let header = try parser.header()
        return (header, source.buffer.count)
    }
}

/// The header bytes read so far, fetched from a file on demand (never past the header cap).
final class GGUFByteSource {
    /// How far past the bytes a field needs a read goes.
    static let readAhead: UInt64 = 64 << 10

    private(set) var buffer: [UInt8]
    let fileSize: UInt64
    let file: String
    private let handle: TensorFileHandle?

    init(bytes: [UInt8], fileSize: Int64, file: String) {
        buffer = bytes
        self.fileSize = UInt64(max(fileSize, 0))
        self.file = file
        handle = nil
    }

    init(handle: TensorFileHandle) {
        buffer = []
        fileSize = UInt64(max(handle.size, 0))
        file = handle.displayName
        self.handle = handle
    }

    /// Makes `buffer` hold at least the first `end` bytes; `end` is within the file.
    func ensure(_ end: UInt64, field: String) throws(TensorFileError) {
        if end <= UInt64(buffer.count) { return }
        guard end <= Limits.ggufHeaderBytes else {
            throw TensorFileError(file: file, field: field, reason: .tooLarge(value: end, limit: Limits.ggufHeaderBytes))
        }
        guard let handle else {
            // Parsing given bytes: the caller said the file is longer than what it passed.
            throw TensorFileError(
                file: file, field: field, reason: .truncated(needed: end, available: UInt64(buffer.count)))
        }
        // Read up to 64 KiB past what the field needs, never past the cap or the file: a large
        // vocabulary takes a few hundred reads, and at most that window of tensor data is read.
        let target = min(end + Self.readAhead, Limits.ggufHeaderBytes, fileSize)
        let more = try handle.bytes(at: Int64(buffer.count), count: Int(target) - buffer.count, field: field)
        buffer.append(contentsOf: more)
    }
}

/// A field's name, built only when an error needs it: an array of 256k tokens reads 256k
/// fields and formats none of them.
private struct Field: ExpressibleByStringLiteral {
    var base: String
    var index: Int? = nil
    var suffix: String = ""

    init(_ base: String, index: Int? = nil, suffix: String = "") {
        self.base = base
        self.index = index
        self.suffix = suffix
    }

    init(stringLiteral value: String) { base = value }

    var text: String { base + (index.map { "[\($0)]" } ?? "") + suffix }

    func with(suffix: String) -> Field { Field(base, index: index, suffix: self.suffix + suffix) }
}

private struct GGUFParser {
    let source: GGUFByteSource
    var position: UInt64 = 0

    init(source: GGUFByteSource) { self.source = source }

    var file: String { source.file }

    func fail(_ field: Field, _ reason: TensorFileError.Reason) -> TensorFileError {
        TensorFileError(file: file, field: field.text, reason: reason)
    }

    /// Bytes left in the file after the current position.
    var remaining: UInt64 { source.fileSize > position ? source.fileSize - position : 0 }

    /// Claims the next `count` bytes and returns where they start in the buffer.
    mutating func take(_ count: UInt64, _ field: Field) throws(TensorFileError) -> Int {
        guard count <= remaining else { throw fail(field, .truncated(needed: count, available: remaining)) }
        if position + count > UInt64(source.buffer.count) {
            try source.ensure(position + count, field: field.text)
        }
        let start = Int(position)
        position += count
        return start
    }

    mutating func u8(_ field: Field) throws(TensorFileError) -> UInt8 {
        let at = try take(1, field)
        return source.buffer[at]
    }

    mutating func u16(_ field: Field) throws(TensorFileError) -> UInt16 {
        let at = try take(2, field)
        return UInt16(source.buffer[at]) | UInt16(source.buffer[at + 1]) << 8
    }

    mutating func u32(_ field: Field) throws(TensorFileError) -> UInt32 {
        let at = try take(4, field)
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(source.buffer[at + index]) << (8 * index) }
        return value
    }

    mutating func u64(_ field: Field) throws(TensorFileError) -> UInt64 {
        let at = try take(8, field)
        return readLittleEndianU64(source.buffer, at: at)
    }

    /// A string's bytes: u64 length, then the bytes; `limit` caps the length.
    mutating func stringBytes(_ field: Field, limit: UInt64? = nil) throws(TensorFileError) -> ArraySlice<UInt8> {
        let length = try u64(field.with(suffix: " length"))
        if let limit, length > limit { throw fail(field, .tooLarge(value: length, limit: limit)) }
        let at = try take(length, field)
        return source.buffer[at..<(at + Int(length))]
    }

    mutating func text(_ field: Field, limit: UInt64) throws(TensorFileError) -> String {
        let bytes = try stringBytes(field, limit: limit)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail(field, .invalid("is not valid UTF-8")) }
        return text
    }

    /// Holds `count` items of at least `minimumBytes` each to what the rest of the file can hold.
    func checkCount(_ count: UInt64, minimumBytes: UInt64, _ field: Field) throws(TensorFileError) {
        let atMost = remaining / minimumBytes
        if count > atMost { throw fail(field, .impossibleCount(count, atMost: atMost)) }
    }

    mutating func header() throws(TensorFileError) -> GGUFHeader {
        let magicAt = try take(4, "magic")
        guard Array(source.buffer[magicAt..<(magicAt + 4)]) == Array("GGUF".utf8) else {
            throw fail("magic", .invalid("is not 'GGUF': not a GGUF file"))
        }
        let version = try u32("version")
        switch version {
        case 2, 3: break
        case 1: throw fail("version", .unsupported("is 1 (the pre-release layout with 32-bit counts)"))
        case 0x0200_0000, 0x0300_0000: throw fail("version", .unsupported("reads as \(version): a big-endian GGUF"))
        default: throw fail("version", .unsupported("is \(version); pedigree reads versions 2 and 3"))
        }
        let tensorCount = try u64("tensor_count")
        let kvCount = try u64("metadata_kv_count")
        // Each key–value takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info
        // 8 (name length) + 4 (n_dimensions) + 4 (type) + 8 (offset).
        try checkCount(kvCount, minimumBytes: 13, "metadata_kv_count")
        try checkCount(tensorCount, minimumBytes: 24, "tensor_count")

        var metadata: [GGUFMetadataEntry] = []
        metadata.reserveCapacity(Int(kvCount))
        var keys = Set<String>()
        for index in 0..<kvCount {
            let key = try text(Field("metadata key #\(index)"), limit: Limits.ggufKeyBytes)
            guard keys.insert(key).inserted else { throw fail(Field("metadata key '\(key)'"), .duplicate) }
            let typeID = try u32(Field("metadata '\(key)' type"))
            guard let type = GGUFValueType(rawValue: typeID) else {
                throw fail(Field("metadata '\(key)' type"), .invalid("is \(typeID), not a GGUF value type"))
            }
            let value = try self.value(type, field: Field("metadata '\(key)'"), depth: 0)
            metadata.append(GGUFMetadataEntry(key: key, value: value))
        }

        var alignment: UInt32 = 32
        if let entry = metadata.first(where: { $0.key == "general.alignment" }) {
            guard case .uint32(let value) = entry.value else {
                throw fail("metadata 'general.alignment'", .invalid("is \(entry.value.type.name); must be uint32"))
            }
            guard value != 0, value & (value - 1) == 0 else {
                throw fail("metadata 'general.alignment'", .invalid("is \(value); must be a power of two"))
            }
            alignment = value
        }

        var infos: [(name: String, dtype: TensorDType, shape: TensorShape, offset: UInt64, bytes: UInt64)] = []
        infos.reserveCapacity(Int(tensorCount))
        var names = Set<String>()
        for index in 0..<tensorCount {
            let name = try text(Field("tensor info #\(index) name"), limit: Limits.ggufTensorNameBytes)
            let here = "tensor '\(name)'"
            guard names.insert(name).inserted else { throw fail(Field(here), .duplicate) }
            let rank = try u32(Field("\(here) n_dimensions"))
            guard rank <= Limits.ggufDimensions else {
                throw fail(Field("\(here) n_dimensions"), .tooLarge(value: UInt64(rank), limit: UInt64(Limits.ggufDimensions)))
            }
            var ggmlDims: [Int64] = []
            for dimIndex in 0..<rank {
                let dim = try u64(Field("\(here) dimensions[\(dimIndex)]"))
                guard dim <= UInt64(Int64.max) else { throw fail(Field("\(here) dimensions[\(dimIndex)]"), .overflow) }
                ggmlDims.append(Int64(dim))
            }
            guard let shape = TensorShape(ggmlDims.reversed()) else { throw fail(Field("\(here) dimensions"), .overflow) }
            let typeID = try u32(Field("\(here) type"))
            guard let dtype = TensorDType(ggmlTypeID: typeID) else {
                throw fail(Field("\(here) type"), .unsupported("GGML type \(typeID) is removed or unknown"))
            }
            let offset = try u64(Field("\(here) offset"))
            guard shape.rowLength % Int64(dtype.blockElements) == 0 else {
                throw fail(
                    Field("\(here) dimensions[0]"),
                    .invalid("is \(shape.rowLength), not a multiple of the \(dtype.blockElements)-element blocks of \(dtype.rawValue)"))
            }
            guard let bytes = dtype.byteCount(of: shape) else { throw fail(Field("\(here) dimensions"), .overflow) }
            guard offset % UInt64(alignment) == 0 else {
                throw fail(Field("\(here) offset"), .invalid("is \(offset), not a multiple of the alignment \(alignment)"))
            }
            infos.append((name, dtype, shape, offset, UInt64(bytes)))
        }

        // The data starts at the end of the infos, padded to the alignment.
        let padding = (UInt64(alignment) - position % UInt64(alignment)) % UInt64(alignment)
        let dataStart = position + padding
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(infos.count)
        for info in infos {
            let field = "tensor '\(info.name)' offset"
            let (begin, beginOverflow) = dataStart.addingReportingOverflow(info.offset)
            let (end, endOverflow) = begin.addingReportingOverflow(info.bytes)
            guard !beginOverflow, !endOverflow else { throw fail(Field(field), .overflow) }
            guard end <= source.fileSize else { throw fail(Field(field), .outOfFile(end: end, limit: source.fileSize)) }
            tensors.append(TensorInfo(name: info.name, dtype: info.dtype, shape: info.shape, byteRange: Int64(begin)..<Int64(end)))
        }
        let ordered = tensors.sorted { ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound) }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw fail(Field("tensor '\(next.name)' offset"), .overlaps(previous.name))
        }
        return GGUFHeader(
            version: version, metadata: metadata, tensors: tensors, alignment: alignment, dataStart: Int64(dataStart))
    }

    mutating func value(_ type: GGUFValueType, field: Field, depth: Int) throws(TensorFileError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try u8(field))
        case .int8: return .int8(Int8(bitPattern: try u8(field)))
        case .uint16: return .uint16(try u16(field))
        case .int16: return .int16(Int16(bitPattern: try u16(field)))
        case .uint32: return .uint32(try u32(field))
        case .int32: return .int32(Int32(bitPattern: try u32(field)))
        case .float32: return .float32(Float(bitPattern: try u32(field)))
        case .bool: return .bool(try bool(field))
        case .string: return .string(GGUFString(bytes: Array(try stringBytes(field))))
        case .array: return .array(try array(field: field, depth: depth + 1))
        case .uint64: return .uint64(try u64(field))
        case .int64: return .int64(Int64(bitPattern: try u64(field)))
        case .float64: return .float64(Double(bitPattern: try u64(field)))
        }
    }

    mutating func bool(_ field: Field) throws(TensorFileError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw fail(field, .invalid("is \(other); a bool must be 0 or 1"))
        }
    }

    mutating func array(field: Field, depth: Int) throws(TensorFileError) -> GGUFArray {
        guard depth <= Limits.ggufArrayDepth else {
            throw fail(field, .tooLarge(value: UInt64(depth), limit: UInt64(Limits.ggufArrayDepth)))
        }
        let typeID = try u32(field.with(suffix: " element type"))
        guard let type = GGUFValueType(rawValue: typeID) else {
            throw fail(field.with(suffix: " element type"), .invalid("is \(typeID), not a GGUF value type"))
        }
        let count = try u64(field.with(suffix: " length"))
        try checkCount(count, minimumBytes: type.minimumBytes, field.with(suffix: " length"))
        let n = Int(count)
        let base = field.text
        func each<T>(_ read: (inout GGUFParser, Field) throws(TensorFileError) -> T) throws(TensorFileError) -> [T] {
            var out: [T] = []
            out.reserveCapacity(n)
            for index in 0..<n { out.append(try read(&self, Field(base, index: index))) }
            return out
        }
        switch type {
        case .uint8: return .uint8(try each { (p, f) throws(TensorFileError) in try p.u8(f) })
        case .int8: return .int8(try each { (p, f) throws(TensorFileError) in Int8(bitPattern: try p.u8(f)) })
        case .uint16: return .uint16(try each { (p, f) throws(TensorFileError) in try p.u16(f) })
        case .int16: return .int16(try each { (p, f) throws(TensorFileError) in Int16(bitPattern: try p.u16(f)) })
        case .uint32: return .uint32(try each { (p, f) throws(TensorFileError) in try p.u32(f) })
        case .int32: return .int32(try each { (p, f) throws(TensorFileError) in Int32(bitPattern: try p.u32(f)) })
        case .float32: return .float32(try each { (p, f) throws(TensorFileError) in Float(bitPattern: try p.u32(f)) })
        case .bool: return .bool(try each { (p, f) throws(TensorFileError) in try p.bool(f) })
        case .uint64: return .uint64(try each { (p, f) throws(TensorFileError) in try p.u64(f) })
        case .int64: return .int64(try each { (p, f) throws(TensorFileError) in Int64(bitPattern: try p.u64(f)) })
        case .float64: return .float64(try each { (p, f) throws(TensorFileError) in Double(bitPattern: try p.u64(f)) })
        case .string:
            var list = GGUFStringList()
            list.reserve(n)
            for index in 0..<n { list.append(try stringBytes(Field(base, index: index))) }
            return .string(list)
        case .array:
            return .array(try each { (p, f) throws(TensorFileError) in try p.array(field: f, depth: depth + 1) })
        }
    }
}
