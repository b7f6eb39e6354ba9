import Yams

/// YAML front matter written through Yams' emitter (libyaml), never by hand.
///
/// Scalars are represented as strings (a value that would read back as a boolean, a number or
/// null is quoted), and the emitter runs with `allowUnicode` off: every character outside
/// printable ASCII — line and paragraph separators, NEL, bidi and other controls included —
/// is written as a double-quoted escape (`\L`, `\u202E`, …), so the front matter is valid
/// YAML that reads back to the same strings and is safe to print on a terminal.
public enum YAMLFrontMatter {
    /// A value of the front matter.
    public enum Value: Equatable, Sendable {
        case string(String)
        case list([String])
    }

    /// Why the emitter refused a document.
    public struct EmitFailure: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The YAML mapping of `pairs`, in the order given (without `---` lines).
    public static func mapping(_ pairs: [(key: String, value: Value)]) throws(EmitFailure) -> String {
        guard !pairs.isEmpty else { return "" }
        let nodes: [(Node, Node)] = pairs.map { pair in
            let value: Node
            switch pair.value {
            case .string(let text): value = .scalar(text.represented())
            case .list(let items): value = .sequence(Node.Sequence(items.map { .scalar($0.represented()) }))
            }
            return (.scalar(pair.key.represented()), value)
        }
        do {
            return try Yams.serialize(
                node: .mapping(Node.Mapping(nodes)), canonical: false, indent: 2, width: -1, allowUnicode: false,
                lineBreak: .ln, explicitStart: false, explicitEnd: false, version: nil, sortKeys: false)
        } catch {
            throw EmitFailure(message: "YAML emitter: \(error)")
        }
    }

    /// Front matter: `---`, the mapping, `---`, each line ending in a line feed.
    public static func block(_ pairs: [(key: String, value: Value)]) throws(EmitFailure) -> String {
        "---\n" + (try mapping(pairs)) + "---\n"
    }
}
