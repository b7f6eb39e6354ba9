/// Text that is safe to write to a terminal: the only thing the console accepts.
///
/// Literal parts are written in the source and pass as written (line breaks included); every
/// interpolated value is escaped (`UnsafeScalars`), so a name holding a line feed, an escape
/// sequence or a bidi control shows as `\x0a`, `\x1b[2J` or `\u{202e}` and cannot move the
/// cursor, retitle the window or forge a report line:
///
/// ```swift
/// Console.out("verified: \(plural(count, "file")) of \(model)")
/// ```
///
/// There is no initializer from a run-time `String`: the string-literal type is `StaticString`,
/// so text from outside can only enter through an interpolation (escaped) or `escaping(_:)`.
public struct TerminalText: Sendable, Equatable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The text as it is to be written.
    public let rendered: String

    private init(rendered: String) {
        self.rendered = rendered
    }

    public init(stringLiteral value: StaticString) {
        rendered = value.description
    }

    public init(stringInterpolation: StringInterpolation) {
        rendered = stringInterpolation.text
    }

    public var description: String { rendered }

    /// `text`, every unsafe character escaped (the same as `"\(text)"`).
    public static func escaping(_ text: some StringProtocol) -> TerminalText {
        TerminalText(rendered: UnsafeScalars.escaped(text))
    }

    /// Nothing.
    public static let empty: TerminalText = ""

    public var isEmpty: Bool { rendered.isEmpty }

    /// The two texts one after the other.
    public static func + (left: TerminalText, right: TerminalText) -> TerminalText {
        TerminalText(rendered: left.rendered + right.rendered)
    }

    public static func += (left: inout TerminalText, right: TerminalText) {
        left = left + right
    }

    /// Builds a `TerminalText`: literals as written, values escaped.
    public struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var text = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: StaticString) {
            text += literal.description
        }

        /// Text that is already safe, as it is.
        public mutating func appendInterpolation(_ value: TerminalText) {
            text += value.rendered
        }

        /// A value's description, escaped.
        public mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            text += UnsafeScalars.escaped(value.description)
        }

        /// A value's description, escaped, then padded with spaces to `width` characters.
        public mutating func appendInterpolation(_ value: some CustomStringConvertible, width: Int) {
            let escaped = UnsafeScalars.escaped(value.description)
            text += escaped + String(repeating: " ", count: max(0, width - escaped.count))
        }
    }
}

extension Sequence where Element == TerminalText {
    /// The texts with `separator` between them.
    public func joined(separator: TerminalText = .empty) -> TerminalText {
        var out = TerminalText.empty
        for (index, text) in enumerated() {
            if index > 0 { out += separator }
            out += text
        }
        return out
    }
}
