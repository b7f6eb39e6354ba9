/// JSON as pedigree's reports write it: RFC 8259 text with sorted keys and two-space
/// indentation, valid for every string a file system or a manifest can hold, and safe to
/// print on a terminal.
///
/// Strings escape `"` and `\`, use the short escapes `\b \f \n \r \t`, and write every other
/// unsafe scalar (`UnsafeScalars`: C0 and C1 controls, DEL, U+2028/U+2029, bidi controls) as
/// `\uXXXX`; everything else is written as UTF-8. A JSON parser reads back exactly the string
/// that was written, and no escape sequence reaches the terminal. Keys are sorted by their
/// Unicode scalars (the order of their UTF-8 bytes), so the same value gives the same bytes.
/// Optional properties that are `nil` are left out, as Swift's synthesized `Encodable` does.
public enum JSONOutput {
    /// Why a value cannot be written as JSON.
    public struct EncodingFailure: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The indented JSON text of `value`, with a final newline.
    public static func text(_ value: some Encodable) throws(EncodingFailure) -> String {
        var out = ""
        write(try tree(value), indent: 0, into: &out)
        return out + "\n"
    }

    /// Writes `value` as `text` would with `elements` as the list at its top-level `key`, where
    /// `value` itself holds an empty list: the text around the list, then each element's
    /// text, handed to `sink` a piece at a time, so a report of a million rows is never held
    /// whole, neither as rows nor as text.
    ///
    /// The same bytes as `text` of the value holding `elements`: pretty text puts a top-level
    /// key alone on a line two spaces in (a string never holds a raw line feed), and a list's
    /// elements each on their own line, indented two more.
    ///
    /// - Throws: `EncodingFailure` when `value` has no empty list at `key`.
    public static func write<Element: Encodable>(
        _ value: some Encodable, listAt key: String, elements: some Sequence<Element>, to sink: (String) -> Void
    ) throws(EncodingFailure) {
        let whole = try text(value)
        let marker = "\n  " + quoted(key) + ": []"
        guard let range = whole.firstRange(of: marker) else {
            throw EncodingFailure(message: "no empty list at '\(key)' to write the elements into")
        }
        var iterator = elements.makeIterator()
        guard var element = iterator.next() else {
            sink(whole)
            return
        }
        var out = String(whole[..<range.lowerBound]) + "\n  " + quoted(key) + ": [\n"
        while true {
            out += "    "
            write(try tree(element), indent: 4, into: &out)
            guard let next = iterator.next() else { break }
            out += ",\n"
            element = next
            if out.utf8.count >= 1 << 16 {
                sink(out)
                out = ""
            }
        }
        out += "\n  ]" + whole[range.upperBound...]
        sink(out)
    }

    /// The value as a JSON tree, through its `Encodable` conformance.
    static func tree(_ value: some Encodable) throws(EncodingFailure) -> JSONTree {
        let node = EncodingNode()
        do {
            try node.encode(value, codingPath: [])
        } catch let failure as EncodingFailure {
            throw failure
        } catch {
            throw EncodingFailure(message: "\(error)")
        }
        return node.tree
    }

    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: some StringProtocol) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if UnsafeScalars.contains(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func write(_ tree: JSONTree, indent: Int, into out: inout String) {
        switch tree {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): out += quoted(text)
        case .array(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                write(item, indent: indent + 2, into: &out)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            let sorted = members.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
            out += "{\n"
            for (index, member) in sorted.enumerated() {
                out += String(repeating: " ", count: indent + 2) + quoted(member.key) + ": "
                write(member.value, indent: indent + 2, into: &out)
                out += index == sorted.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }
}

/// A JSON value as the encoder builds it.
indirect enum JSONTree: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number, as its JSON text.
    case number(String)
    case string(String)
    case array([JSONTree])
    case object([String: JSONTree])
}

/// One value under construction; containers hand out child nodes and read them back when the
/// tree is finished.
private final class EncodingNode {
    enum Content {
        case unset
        case value(JSONTree)
        case array([EncodingNode])
        case object([String: EncodingNode])
    }

    var content = Content.unset

    var tree: JSONTree {
        switch content {
        case .unset: return .object([:])
        case .value(let value): return value
        case .array(let nodes): return .array(nodes.map(\.tree))
        case .object(let nodes): return .object(nodes.mapValues(\.tree))
        }
    }

    func set(_ value: JSONTree) { content = .value(value) }

    func child(forKey key: String) -> EncodingNode {
        var members: [String: EncodingNode]
        if case .object(let existing) = content { members = existing } else { members = [:] }
        let node = members[key] ?? EncodingNode()
        members[key] = node
        content = .object(members)
        return node
    }

    func appendChild() -> EncodingNode {
        var items: [EncodingNode]
        if case .array(let existing) = content { items = existing } else { items = [] }
        let node = EncodingNode()
        items.append(node)
        content = .array(items)
        return node
    }

    func beginObject() {
        if case .object = content { return }
        content = .object([:])
    }

    func beginArray() {
        if case .array = content { return }
        content = .array([])
    }

    func encode(_ value: some Encodable, codingPath: [any CodingKey]) throws {
        switch value {
        case let string as String: set(.string(string))
        case let bool as Bool: set(.bool(bool))
        case let number as Int: set(.number(String(number)))
        case let number as Int64: set(.number(String(number)))
        case let number as Int32: set(.number(String(number)))
        case let number as UInt64: set(.number(String(number)))
        case let number as UInt32: set(.number(String(number)))
        case let number as UInt: set(.number(String(number)))
        case let number as Double: set(try Self.number(number, codingPath))
        case let number as Float: set(try Self.number(Double(number), codingPath))
        default: try value.encode(to: TreeEncoder(node: self, codingPath: codingPath))
        }
    }

    static func number(_ value: Double, _ codingPath: [any CodingKey]) throws -> JSONTree {
        guard value.isFinite else {
            throw JSONOutput.EncodingFailure(
                message: "\(codingPath.map(\.stringValue).joined(separator: ".")): \(value) has no JSON form")
        }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number("\(value)")
    }
}

private struct TreeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.beginObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.beginArray()
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).set(.null) }

    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        try node.child(forKey: key.stringValue).encode(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.child(forKey: key.stringValue)
        child.beginObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.child(forKey: key.stringValue)
        child.beginArray()
        return UnkeyedContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        TreeEncoder(node: node.child(forKey: "super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        TreeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    mutating func encodeNil() throws { node.appendChild().set(.null) }

    mutating func encode(_ value: some Encodable) throws {
        let path = codingPath + [IndexKey(count)]
        try node.appendChild().encode(value, codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = codingPath + [IndexKey(count)]
        let child = node.appendChild()
        child.beginObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = codingPath + [IndexKey(count)]
        let child = node.appendChild()
        child.beginArray()
        return UnkeyedContainer(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        TreeEncoder(node: node.appendChild(), codingPath: codingPath + [IndexKey(count)])
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.set(.null) }

    mutating func encode(_ value: some Encodable) throws {
        try node.encode(value, codingPath: codingPath)
    }
}
