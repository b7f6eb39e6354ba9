/// A weights file (or its index, or an adapter config) that cannot be read as the format says:
/// which file, which field, and what is wrong with it.
///
/// `field` names the place in the format's own words: `header length`, `tensor_count`,
/// `tensor 'blk.0.attn_q.weight' data_offsets`, `metadata key 'general.alignment'`. A file that
/// cannot be opened or read ends a run with `noInput` (66); everything else is malformed input,
/// `dataError` (65).
public struct TensorFileError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// What is wrong with the field.
    public enum Reason: Equatable, Sendable {
        /// Opening, inspecting or reading the file failed with this `errno`.
        case unreadable(errno: Int32)
        /// A FIFO, socket, device or folder where a weights file was expected.
        case notRegularFile
        /// The field needs `needed` bytes where only `available` remain.
        case truncated(needed: UInt64, available: UInt64)
        /// A length or count above the cap pedigree (or the format's reference reader) enforces.
        case tooLarge(value: UInt64, limit: UInt64)
        /// Computing a size or an offset from the field overflows 64 bits.
        case overflow
        /// A count of items larger than the rest of the file could hold, each taking at least
        /// a few bytes: `atMost` is the most that would fit.
        case impossibleCount(UInt64, atMost: UInt64)
        /// A byte range that ends at `end`, past `limit` (the end of the file or of its data).
        case outOfFile(end: UInt64, limit: UInt64)
        /// A byte range that overlaps the tensor named.
        case overlaps(String)
        /// A name or key given twice.
        case duplicate
        /// Anything else, in a phrase: "is not a list of integers", "is 0; must be a power of two".
        case invalid(String)
        /// A value the format allows but pedigree does not read, in a phrase.
        case unsupported(String)
        /// The file's size, identity or contents moved while it was read.
        case changedWhileReading(String)
    }

    /// The file as the caller named it.
    public var file: String
    /// The field of the format that is wrong.
    public var field: String
    public var reason: Reason

    public init(file: String, field: String, reason: Reason) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    public var exitStatus: ExitStatus {
        switch reason {
        case .unreadable: return .noInput
        default: return .dataError
        }
    }

    /// The reason alone, as a phrase following the field.
    public var reasonText: String {
        switch reason {
        case let .unreadable(code): return systemErrorText(code)
        case .notRegularFile: return "is not a regular file; refused, never read"
        case let .truncated(needed, available):
            return "needs \(needed) bytes but only \(available) remain (the file is truncated or the field is wrong)"
        case let .tooLarge(value, limit): return "is \(value), more than the \(limit) allowed"
        case .overflow: return "overflows 64 bits when sizes or offsets are computed from it"
        case let .impossibleCount(count, atMost): return "is \(count), more than the \(atMost) the rest of the file could hold"
        case let .outOfFile(end, limit): return "ends at byte \(end), past the end at \(limit)"
        case let .overlaps(other): return "overlaps tensor '\(printable(other))'"
        case .duplicate: return "appears more than once"
        case let .invalid(what): return what
        case let .unsupported(what): return "\(what); not supported"
        case let .changedWhileReading(detail): return "changed while it was read (\(detail))"
        }
    }

    /// File, field and reason, with control characters in names escaped.
    public var description: String { "\(printable(file)): \(printable(field)): \(reasonText)" }
}

/// `bytes` read by `JSONReader` as one JSON object; errors name `file` and `field`.
func parseJSONObject(_ bytes: some Collection<UInt8>, file: String, field: String) throws(TensorFileError) -> JSONObject {
    let value: JSONValue
    do {
        value = try JSONReader.parse(bytes, maxDepth: Limits.jsonDepth)
    } catch {
        throw TensorFileError(file: file, field: field, reason: .invalid("is not valid JSON: \(error.message)"))
    }
    guard case .object(let object) = value else {
        throw TensorFileError(file: file, field: field, reason: .invalid("is \(value.kindDescription), not an object"))
    }
    return object
}
