/// The header of a safetensors file, read and checked as strictly as the reference reader
/// (`huggingface/safetensors`, `SafeTensors::read_metadata` and `Metadata::validate`) checks it.
///
/// Layout: 8 bytes `N` (little-endian u64), `N` bytes of UTF-8 JSON, then the data. The JSON
/// maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` with offsets
/// relative to the start of the data, and may hold `__metadata__`, a map of strings to strings.
/// Accepted only when: `N` is at most 100,000,000 (the reference cap) and fits in the file; the
/// JSON is strict (`JSONReader`: a tensor name given twice is refused); every tensor names a
/// known dtype, a shape whose byte count does not overflow and equals `end - begin`; the tensors,
/// ordered by offset, cover the data from byte 0 to the end of the file with no gap and no
/// overlap. An entry with a key other than those three is refused (the reference ignores it;
/// a field one reader sees and another does not is how two tools come to disagree).
public struct SafetensorsHeader: Equatable, Sendable {
    /// `N`, the length of the JSON header in bytes.
    public let headerLength: UInt64
    /// The tensors, ordered by their place in the file.
    public let tensors: [TensorInfo]
    /// The `__metadata__` map, if any.
    public let metadata: [String: String]

    /// The offset of the first data byte: `8 + N`.
    public var dataStart: Int64 { 8 + Int64(headerLength) }

    /// Parses a safetensors header from the first bytes of a file of `fileSize` bytes.
    ///
    /// `bytes` must hold at least the 8-byte length and the JSON (more is ignored). This is the
    /// entry point of the fuzz harness, which passes the whole input and its length.
    public static func parse(bytes: some Collection<UInt8>, fileSize: Int64, file: String = "<bytes>") throws(TensorFileError) -> SafetensorsHeader {
        let prefix = Array(bytes.prefix(8))
        let available = min(Int64(bytes.count), max(fileSize, 0))
        guard prefix.count == 8, available >= 8 else {
            throw TensorFileError(file: file, field: "header length", reason: .truncated(needed: 8, available: UInt64(max(available, 0))))
        }
        let length = readLittleEndianU64(prefix, at: 0)
        guard length <= Limits.safetensorsHeaderBytes else {
            throw TensorFileError(file: file, field: "header length", reason: .tooLarge(value: length, limit: Limits.safetensorsHeaderBytes))
        }
        guard Int64(length) <= available - 8 else {
            throw TensorFileError(file: file, field: "header", reason: .truncated(needed: length, available: UInt64(available - 8)))
        }
        let json = bytes.dropFirst(8).prefix(Int(length))
        return try parseJSON(json, headerLength: length, fileSize: fileSize, file: file)
    }

    /// Reads and checks the header of the safetensors file at `path`, reading only the header.
    ///
    /// - Parameter displayName: how errors name the file (default: `path`).
    public static func read(path: String, displayName: String? = nil) throws(TensorFileError) -> SafetensorsHeader {
        let handle = try TensorFileHandle(path: path, displayName: displayName ?? path)
        return try read(handle)
    }

    static func read(_ handle: TensorFileHandle) throws(TensorFileError) -> SafetensorsHeader {
        let file = handle.displayName
        guard handle.size >= 8 else {
            throw TensorFileError(file: file, field: "header length", reason: .truncated(needed: 8, available: UInt64(handle.size)))
        }
        let prefix = try handle.bytes(at: 0, count: 8, field: "header length")
        let length = readLittleEndianU64(prefix, at: 0)
        guard length <= Limits.safetensorsHeaderBytes else {
            throw TensorFileError(file: file, field: "header length", reason: .tooLarge(value: length, limit: Limits.safetensorsHeaderBytes))
        }
        guard Int64(length) <= handle.size - 8 else {
            throw TensorFileError(file: file, field: "header", reason: .truncated(needed: length, available: UInt64(handle.size - 8)))
        }
        let json = try handle.bytes(at: 8, count: Int(length), field: "header")
        return try parseJSON(json, headerLength: length, fileSize: handle.size, file: file)
    }

    private static func parseJSON(
        _ json: some Collection<UInt8>, headerLength: UInt64, fileSize: Int64, file: String
    ) throws(TensorFileError) -> SafetensorsHeader {
        let object = try parseJSONObject(json, file: file, field: "header")
        let dataSize = UInt64(fileSize) - 8 - headerLength
        var metadata: [String: String] = [:]
        var entries: [(info: TensorInfo, begin: UInt64, end: UInt64)] = []
        entries.reserveCapacity(object.count)
        for member in object.members {
            if member.key == "__metadata__" {
                metadata = try parseMetadata(member.value, file: file)
                continue
            }
            let entry = try parseTensor(member.key, member.value, dataStart: 8 + headerLength, dataSize: dataSize, file: file)
            entries.append(entry)
        }
        // The reference orders by (begin, end) and requires the ranges to tile the data exactly.
        entries.sort { ($0.begin, $0.end, $0.info.name) < ($1.begin, $1.end, $1.info.name) }
        var covered: UInt64 = 0
        var previous: String?
        for entry in entries {
            let field = "tensor '\(entry.info.name)' data_offsets"
            if entry.begin < covered, let previous {
                throw TensorFileError(file: file, field: field, reason: .overlaps(previous))
            }
            if entry.begin > covered {
                let after = previous.map { "after tensor '\(printable($0))'" } ?? "at the start of the data"
                throw TensorFileError(
                    file: file, field: field,
                    reason: .invalid("leaves \(entry.begin - covered) bytes unused \(after); safetensors data must be contiguous"))
            }
            covered = entry.end
            previous = entry.info.name
        }
        guard covered == dataSize else {
            throw TensorFileError(
                file: file, field: "data",
                reason: .invalid("the tensors cover \(covered) of the \(dataSize) data bytes; the rest belongs to no tensor"))
        }
        return SafetensorsHeader(headerLength: headerLength, tensors: entries.map(\.info), metadata: metadata)
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws(TensorFileError) -> [String: String] {
        guard case .object(let object) = value else {
            throw TensorFileError(file: file, field: "__metadata__", reason: .invalid("is \(value.kindDescription), not an object of strings"))
        }
        var out: [String: String] = [:]
        for member in object.members {
            guard case .string(let text) = member.value else {
                throw TensorFileError(
                    file: file, field: "__metadata__ '\(member.key)'", reason: .invalid("is \(member.value.kindDescription), not a string"))
            }
            out[member.key] = text
        }
        return out
    }

    private static func parseTensor(
        _ name: String, _ value: JSONValue, dataStart: UInt64, dataSize: UInt64, file: String
    ) throws(TensorFileError) -> (info: TensorInfo, begin: UInt64, end: UInt64) {
        let here = "tensor '\(name)'"
        guard case .object(let object) = value else {
            throw TensorFileError(file: file, field: here, reason: .invalid("is \(value.kindDescription), not an object"))
        }
        for key in object.keys where !["dtype", "shape", "data_offsets"].contains(key) {
            throw TensorFileError(file: file, field: "\(here) '\(key)'", reason: .invalid("is not a field of a safetensors tensor"))
        }
        guard case .string(let dtypeName)? = object["dtype"] else {
            throw TensorFileError(file: file, field: "\(here) dtype", reason: .invalid(object["dtype"] == nil ? "is missing" : "is not a string"))
        }
        guard let dtype = TensorDType(safetensorsName: dtypeName) else {
            throw TensorFileError(file: file, field: "\(here) dtype", reason: .unsupported("'\(printable(dtypeName))' is not a safetensors dtype pedigree knows"))
        }
        let dims = try unsignedList(object["shape"], field: "\(here) shape", file: file)
        guard dims.allSatisfy({ $0 <= UInt64(Int64.max) }), let shape = TensorShape(dims.map { Int64($0) }) else {
            throw TensorFileError(file: file, field: "\(here) shape", reason: .overflow)
        }
        let offsets = try unsignedList(object["data_offsets"], field: "\(here) data_offsets", file: file)
        guard offsets.count == 2 else {
            throw TensorFileError(file: file, field: "\(here) data_offsets", reason: .invalid("has \(offsets.count) numbers; expected [begin, end]"))
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw TensorFileError(file: file, field: "\(here) data_offsets", reason: .invalid("begins at \(begin), after its end \(end)"))
        }
        guard let needed = dtype.byteCount(of: shape) else {
            let why: TensorFileError.Reason = dtype.blockElements > 1
                ? .invalid("has \(shape.elementCount) elements, which do not fill whole bytes of \(dtype.rawValue)") : .overflow
            throw TensorFileError(file: file, field: "\(here) shape", reason: why)
        }
        guard end <= dataSize else {
            throw TensorFileError(file: file, field: "\(here) data_offsets", reason: .outOfFile(end: end, limit: dataSize))
        }
        guard end - begin == UInt64(needed) else {
            throw TensorFileError(
                file: file, field: "\(here) data_offsets",
                reason: .invalid("covers \(end - begin) bytes, but \(dtype.rawValue) \(shape) takes \(needed)"))
        }
        // dataStart + end <= fileSize, which is an Int64: no overflow from here on.
        let range = Int64(dataStart + begin)..<Int64(dataStart + end)
        return (TensorInfo(name: name, dtype: dtype, shape: shape, byteRange: range), begin, end)
    }

    private static func unsignedList(_ value: JSONValue?, field: String, file: String) throws(TensorFileError) -> [UInt64] {
        guard let value else { throw TensorFileError(file: file, field: field, reason: .invalid("is missing")) }
        guard case .array(let items) = value else {
            throw TensorFileError(file: file, field: field, reason: .invalid("is \(value.kindDescription), not a list of integers"))
        }
        var out: [UInt64] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .number(let number) = item, let n = number.uint64 else {
                throw TensorFileError(
                    file: file, field: "\(field)[\(index)]", reason: .invalid("is \(describeNumber(item)), not an integer from 0 to 2^64-1"))
            }
            out.append(n)
        }
        return out
    }

    private static func describeNumber(_ value: JSONValue) -> String {
        if case .number(let number) = value { return number.text }
        return value.kindDescription
    }
}

/// The little-endian u64 at `offset` of `bytes` (which must hold 8 bytes there).
func readLittleEndianU64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * index) }
    return value
}
