/// A JSON text read strictly (RFC 8259), as every piece of outside JSON is read: manifests,
/// Statements, checksum reports, tensor headers.
///
/// Stricter than most parsers where leniency lets one text mean two things: a key that appears
/// twice in an object is an error (parsers disagree on which copy wins), text that is not valid
/// UTF-8 or escapes an unpaired surrogate is an error, and numbers keep their spelling so an
/// integer field can refuse `1208.0`, `1.208e3` or a value beyond 64 bits instead of rounding.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A word for the kind of value, for messages: "a string", "an object", …
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "true or false"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

/// A JSON number as it was written.
public struct JSONNumber: Equatable, Sendable, CustomStringConvertible {
    /// The number's text, exactly as in the source (RFC 8259 §6 grammar).
    public let text: String

    public var description: String { text }

    /// Whether the text is an integer: no fraction and no exponent.
    public var isInteger: Bool { !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } }

    /// The value as a 64-bit signed integer; `nil` when the text has a fraction or an exponent
    /// or the value does not fit.
    public var int64: Int64? { isInteger ? Int64(text) : nil }

    /// The value as a 64-bit unsigned integer; `nil` when the text has a fraction or an
    /// exponent, is negative, or the value does not fit.
    public var uint64: UInt64? { isInteger ? UInt64(text) : nil }

    /// The value as the nearest double (any number).
    public var double: Double? { Double(text) }
}

/// A JSON object: its members in the order written, each key once.
public struct JSONObject: Equatable, Sendable {
    public struct Member: Equatable, Sendable {
        public let key: String
        public let value: JSONValue
    }

    /// The members in the order they appear in the text.
    public let members: [Member]
    private let index: [String: Int]

    init(members: [Member], index: [String: Int]) {
        self.members = members
        self.index = index
    }

    /// The value of `key`, if the object has it.
    public subscript(key: String) -> JSONValue? {
        index[key].map { members[$0].value }
    }

    /// The keys in the order they appear.
    public var keys: [String] { members.map(\.key) }

    public var isEmpty: Bool { members.isEmpty }
    public var count: Int { members.count }

    public static func == (a: JSONObject, b: JSONObject) -> Bool { a.members == b.members }
}

/// Why some bytes are not the strict JSON expected: what, and where (a byte offset, and the
/// path of keys and indexes down to it).
public struct JSONReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    /// The byte offset in the text where the problem was found.
    public var offset: Int

    public var description: String { message }
}

/// The strict reader behind `JSONValue`.
public enum JSONReader {
    /// The deepest nesting of arrays and objects accepted: no manifest needs more, and a
    /// deeper text is refused before it can exhaust the stack.
    public static let defaultMaxDepth = 64

    /// Parses `bytes` as one JSON text (white space around it allowed).
    ///
    /// - Throws: `JSONReadError` for anything RFC 8259 does not allow, for a key repeated in
    ///   one object, and for nesting deeper than `maxDepth`.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONReadError) -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buffer) throws(JSONReadError) -> JSONValue in
            var parser = Parser(bytes: buffer, maxDepth: maxDepth)
            return try parser.document()
        }
    }

    /// `parse`, handing each element of the list found at `keys` (object keys from the top,
    /// such as `["predicate", "resources"]`) to `element` as soon as it is read, with its index,
    /// instead of keeping it: in the tree returned that list is empty. The text is checked
    /// exactly as `parse` checks it (a key given twice, depth, UTF-8, every error with its
    /// path); only where the elements go differs. A decoder of a list of a million entries
    /// thus turns each into its domain value while the next is read, and the tree holds none.
    ///
    /// - Returns: the tree, and whether a list was found at `keys` (when it was not — the key
    ///   is absent or holds something else — the tree holds whatever is there).
    static func parse(
        _ bytes: [UInt8], maxDepth: Int = defaultMaxDepth, streamingListAt keys: [String],
        element: @escaping (Int, JSONValue) -> Void
    ) throws(JSONReadError) -> (value: JSONValue, streamed: Bool) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONReadError) -> (value: JSONValue, streamed: Bool) in
            var parser = Parser(bytes: buffer, maxDepth: maxDepth)
            parser.stream = (keys, element)
            let value = try parser.document()
            return (value, parser.streamed)
        }
    }
}

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0
    /// Keys and indexes from the top down to the value being read, for messages.
    var path: [PathElement] = []

    enum PathElement {
        case key(String)
        case index(Int)
    }

    /// The list whose elements go to a sink instead of into the tree (`JSONReader.parse(_:maxDepth:streamingListAt:element:)`).
    var stream: (keys: [String], element: (Int, JSONValue) -> Void)?
    /// Whether the list `stream` names was found and streamed.
    var streamed = false

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Whether the value being read is at `keys`, object keys from the top.
    private func isAt(_ keys: [String]) -> Bool {
        guard path.count == keys.count else { return false }
        for (element, key) in zip(path, keys) {
            guard case .key(let name) = element, name.utf8.elementsEqual(key.utf8) else { return false }
        }
        return true
    }

    mutating func document() throws(JSONReadError) -> JSONValue {
        skipSpace()
        if position == 0, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            throw error("the text starts with a byte-order mark, which JSON does not allow")
        }
        guard position < bytes.count else { throw error("the text is empty; expected a JSON value") }
        let value = try self.value()
        skipSpace()
        guard position == bytes.count else { throw error("unexpected \(describeByte()) after the end of the JSON value") }
        return value
    }

    // MARK: values

    mutating func value() throws(JSONReadError) -> JSONValue {
        guard position < bytes.count else { throw error("the text ends where a value was expected") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object(try object())
        case UInt8(ascii: "["): return .array(try array())
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected \(describeByte()) where a value was expected")
        }
    }

    mutating func object() throws(JSONReadError) -> JSONObject {
        try enter()
        position += 1  // {
        var members: [JSONObject.Member] = []
        var index: [String: Int] = [:]
        skipSpace()
        if peek(UInt8(ascii: "}")) {
            position += 1
            depthLeave()
            return JSONObject(members: members, index: index)
        }
        while true {
            skipSpace()
            guard peek(UInt8(ascii: "\"")) else { throw error("expected a key in double quotes, found \(describeByte())") }
            let keyStart = position
            let key = try string()
            if index[key] != nil {
                position = keyStart
                throw error("the key '\(printableKey(key))' appears twice in one object; a key may be given once")
            }
            skipSpace()
            guard peek(UInt8(ascii: ":")) else { throw error("expected ':' after the key '\(printableKey(key))', found \(describeByte())") }
            position += 1
            skipSpace()
            path.append(.key(key))
            let value = try self.value()
            path.removeLast()
            index[key] = members.count
            members.append(JSONObject.Member(key: key, value: value))
            skipSpace()
            guard position < bytes.count else { throw error("the text ends inside an object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                depthLeave()
                return JSONObject(members: members, index: index)
            }
            throw error("expected ',' or '}' in an object, found \(describeByte())")
        }
    }

    mutating func array() throws(JSONReadError) -> [JSONValue] {
        try enter()
        position += 1  // [
        var values: [JSONValue] = []
        var sink: ((Int, JSONValue) -> Void)?
        if let stream, !streamed, isAt(stream.keys) {
            sink = stream.element
            streamed = true
        }
        var count = 0
        skipSpace()
        if peek(UInt8(ascii: "]")) {
            position += 1
            depthLeave()
            return values
        }
        while true {
            skipSpace()
            path.append(.index(count))
            let element = try value()
            if let sink { sink(count, element) } else { values.append(element) }
            count += 1
            path.removeLast()
            skipSpace()
            guard position < bytes.count else { throw error("the text ends inside a list") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "]") {
                position += 1
                depthLeave()
                return values
            }
            throw error("expected ',' or ']' in a list, found \(describeByte())")
        }
    }

    private var depth = 0

    mutating func enter() throws(JSONReadError) {
        depth += 1
        if depth > maxDepth { throw error("lists and objects are nested more than \(maxDepth) deep") }
    }

    mutating func depthLeave() { depth -= 1 }

    mutating func literal(_ word: StaticString) throws(JSONReadError) {
        let count = word.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        guard position + count <= bytes.count, bytes[position..<(position + count)].elementsEqual(expected) else {
            throw error("unexpected \(describeByte()) where a value was expected")
        }
        position += count
    }

    mutating func number() throws(JSONReadError) -> JSONNumber {
        let start = position
        if peek(UInt8(ascii: "-")) { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw error("a number needs a digit after '-'") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) {
                throw error("a number may not start with a leading zero")
            }
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if peek(UInt8(ascii: ".")) {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("a number needs a digit after '.'") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("a number needs a digit in its exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        return JSONNumber(text: String(decoding: bytes[start..<position], as: UTF8.self))
    }

    /// A string (the opening quote at `position`), its escapes decoded.
    ///
    /// Bytes that need no unescaping are checked in place and copied a run at a time: a string
    /// without escapes (a bundle's Base64 payload of many megabytes) goes straight from the text
    /// into its `String`, never through a buffer grown byte by byte.
    mutating func string() throws(JSONReadError) -> String {
        position += 1  // opening quote
        var out: [UInt8] = []
        // Where the bytes not yet copied into `out` begin.
        var run = position
        while true {
            guard position < bytes.count else { throw error("the text ends inside a string") }
            let c = bytes[position]
            switch c {
            case UInt8(ascii: "\""):
                let plain = UnsafeBufferPointer(rebasing: bytes[run..<position])
                position += 1
                // The raw bytes were checked as UTF-8 and escapes produce scalars, so this is exact.
                // Every escape adds a byte to `out`: empty, it means there was none.
                if out.isEmpty { return String(decoding: plain, as: UTF8.self) }
                out.append(contentsOf: plain)
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<position]))
                position += 1
                guard position < bytes.count else { throw error("the text ends inside a string") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try unicodeEscape()
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    position -= 1
                    throw error("'\\\(printableByte(escape))' is not a JSON escape")
                }
                run = position
            case 0x00..<0x20:
                throw error("a control character (0x\(hexByte(c))) must be escaped inside a string")
            case 0x00..<0x80:
                position += 1
            default:
                position += try utf8SequenceLength(at: position)
            }
        }
    }

    /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair.
    mutating func unicodeEscape() throws(JSONReadError) -> Unicode.Scalar {
        let high = try hex4()
        if (0xDC00...0xDFFF).contains(high) { throw error("\\u\(hex4Text(high)) is a low surrogate without a high one") }
        if (0xD800...0xDBFF).contains(high) {
            guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                throw error("\\u\(hex4Text(high)) is a high surrogate without a low one")
            }
            position += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("\\u\(hex4Text(high)) is a high surrogate followed by \\u\(hex4Text(low)), not a low one")
            }
            let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw error("not a Unicode scalar") }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else { throw error("not a Unicode scalar") }
        return scalar
    }

    mutating func hex4() throws(JSONReadError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("\\u needs four hex digits")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence starting at `index` (RFC 3629 §4: no
    /// overlong forms, no surrogates, nothing above U+10FFFF).
    func utf8SequenceLength(at index: Int) throws(JSONReadError) -> Int {
        let lead = bytes[index]
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            index + offset < bytes.count && range.contains(bytes[index + offset])
        }
        switch lead {
        case 0xC2...0xDF:
            if continuation(1) { return 2 }
        case 0xE0:
            if continuation(1, 0xA0...0xBF), continuation(2) { return 3 }
        case 0xE1...0xEC, 0xEE...0xEF:
            if continuation(1), continuation(2) { return 3 }
        case 0xED:
            if continuation(1, 0x80...0x9F), continuation(2) { return 3 }
        case 0xF0:
            if continuation(1, 0x90...0xBF), continuation(2), continuation(3) { return 4 }
        case 0xF1...0xF3:
            if continuation(1), continuation(2), continuation(3) { return 4 }
        case 0xF4:
            if continuation(1, 0x80...0x8F), continuation(2), continuation(3) { return 4 }
        default:
            break
        }
        throw JSONReadError(message: "\(where_(index))the text is not valid UTF-8 (byte 0x\(hexByte(lead)) at offset \(index))", offset: index)
    }

    // MARK: helpers

    mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    func peek(_ byte: UInt8) -> Bool { position < bytes.count && bytes[position] == byte }

    func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    func describeByte() -> String {
        guard position < bytes.count else { return "the end of the text" }
        let c = bytes[position]
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(hexByte(c))"
    }

    func printableByte(_ c: UInt8) -> String {
        c >= 0x21 && c < 0x7F ? String(Character(Unicode.Scalar(c))) : "x" + hexByte(c)
    }

    /// The path to the value being read, as `predicate.resources[3].size: `, or nothing at the top.
    func where_(_ offset: Int) -> String {
        var out = ""
        for element in path {
            switch element {
            case let .key(key): out += out.isEmpty ? printableKey(key) : "." + printableKey(key)
            case let .index(index): out += "[\(index)]"
            }
        }
        return out.isEmpty ? "" : out + ": "
    }

    func error(_ message: String) -> JSONReadError {
        JSONReadError(message: "\(where_(position))\(message) (offset \(position))", offset: position)
    }
}

private func hexByte(_ c: UInt8) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: [digits[Int(c >> 4)], digits[Int(c & 0x0f)]], as: UTF8.self)
}

private func hex4Text(_ value: UInt32) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: (0..<4).reversed().map { digits[Int(value >> (UInt32($0) * 4) & 0xf)] }, as: UTF8.self)
}

/// A key shown in a message: control characters escaped and anything past 64 characters left
/// out, so a hostile key cannot flood or steer the reader's terminal.
private func printableKey(_ key: String) -> String { printableValue(key, limit: 64) }
