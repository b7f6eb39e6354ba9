/// Why a decoded JSON (or YAML) document does not have the shape expected: the value's path
/// from the top (`predicate.resources[3].size`) and what is wrong with it.
public struct FieldError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// Where the value is, as keys and indexes from the top; empty for the top level.
    public var path: String
    /// What is wrong, as a predicate of the value: "is missing", "is not an integer (1208.0)".
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path.isEmpty ? "the top level" : path) \(problem)" }

    public var exitStatus: ExitStatus { .dataError }
}

/// A JSON value together with where it was found, so every failure names its field.
///
/// Decoders walk a `JSONValue` through these accessors instead of pattern matching by hand:
/// each accessor either returns the value as the Swift type asked for or throws a
/// `FieldError` naming the field. Numbers are taken as integers only when written as
/// integers (`1208`, never `1208.0` or `1.208e3`) and only within the range asked for.
public struct JSONField: Sendable {
    public let value: JSONValue
    /// The path of `value`, as `FieldError.path` shows it.
    public let path: String

    public init(_ value: JSONValue, path: String = "") {
        self.value = value
        self.path = path
    }

    /// An error about this value.
    public func error(_ problem: String) -> FieldError { FieldError(path: path, problem: problem) }

    /// The value as an object.
    public func object() throws(FieldError) -> JSONFields {
        guard case .object(let object) = value else { throw error("is \(value.kindDescription), not an object") }
        return JSONFields(object: object, path: path)
    }

    /// The value as a list of fields.
    ///
    /// - Parameter maxCount: the most elements accepted; a longer list is an error naming it.
    public func array(maxCount: Int = .max) throws(FieldError) -> [JSONField] {
        guard case .array(let values) = value else { throw error("is \(value.kindDescription), not a list") }
        guard values.count <= maxCount else { throw error("holds \(values.count) entries; at most \(maxCount) are read") }
        return values.enumerated().map { JSONField($1, path: "\(path)[\($0)]") }
    }

    /// Each element of the list decoded by `element`.
    public func array<T>(
        maxCount: Int = .max, _ element: (JSONField) throws(FieldError) -> T
    ) throws(FieldError) -> [T] {
        var out: [T] = []
        for field in try array(maxCount: maxCount) { out.append(try element(field)) }
        return out
    }

    /// The value as a string.
    public func string() throws(FieldError) -> String {
        guard case .string(let text) = value else { throw error("is \(value.kindDescription), not a string") }
        return text
    }

    /// The value as `true` or `false`.
    public func bool() throws(FieldError) -> Bool {
        guard case .bool(let flag) = value else { throw error("is \(value.kindDescription), not true or false") }
        return flag
    }

    /// The value as an integer in `range`, written without a fraction or an exponent.
    public func integer(in range: ClosedRange<Int64>) throws(FieldError) -> Int64 {
        guard case .number(let number) = value else { throw error("is \(value.kindDescription), not an integer") }
        guard number.isInteger else { throw error("is not an integer (\(number.text))") }
        guard let integer = number.int64, range.contains(integer) else {
            throw error("is out of range (\(number.text); expected \(range.lowerBound)…\(range.upperBound))")
        }
        return integer
    }

    /// The value as one of the raw values of `T`.
    public func `enum`<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws(FieldError) -> T where T.RawValue == String {
        let text = try string()
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw error("is '\(printableValue(text))', expected one of \(allowed)")
        }
        return value
    }

    /// Whether the value is JSON `null`.
    public var isNull: Bool { value == .null }
}

/// An object's members with where the object was found.
public struct JSONFields: Sendable {
    public let object: JSONObject
    public let path: String

    /// The member `key`; an error naming it when it is absent.
    public func required(_ key: String) throws(FieldError) -> JSONField {
        guard let value = object[key] else { throw FieldError(path: child(key), problem: "is missing") }
        return JSONField(value, path: child(key))
    }

    /// The member `key`, or `nil` when it is absent or `null`.
    public func optional(_ key: String) -> JSONField? {
        guard let value = object[key], value != .null else { return nil }
        return JSONField(value, path: child(key))
    }

    /// An error naming the first member whose key is not in `known`: for documents pedigree
    /// alone writes, where an unknown key is a typo or a change nobody signed off on.
    public func rejectUnknownKeys(_ known: Set<String>) throws(FieldError) {
        if let key = object.keys.first(where: { !known.contains($0) }) {
            throw FieldError(path: child(key), problem: "is not a known field (expected \(known.sorted().joined(separator: ", ")))")
        }
    }

    func child(_ key: String) -> String { path.isEmpty ? printableValue(key) : path + "." + printableValue(key) }
}

/// A value from a document shown in a message: control characters escaped and anything past
/// `limit` characters left out, so a hostile value can neither steer nor flood the terminal.
func printableValue(_ text: String, limit: Int = 200) -> String {
    var out = ""
    for (count, scalar) in text.unicodeScalars.enumerated() {
        if count == limit {
            out += "…"
            break
        }
        let v = scalar.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) || v == 0x2028 || v == 0x2029 || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v)
        {
            out += "\\u{\(String(v, radix: 16))}"
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}
