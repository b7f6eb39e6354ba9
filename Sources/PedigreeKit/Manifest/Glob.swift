/// A shell-style pattern over POSIX relative paths.
///
/// `*` matches any run of characters but `/`, `**` any run including `/` (and `**/` also
/// matches nothing, so `**/x` finds `x` at the top too), `?` one character but `/`, `[abc]`
/// / `[a-z]` / `[!a-z]` one character of a set; `\` escapes the next character. Patterns are
/// anchored at the model folder: `*.bin` matches `a.bin`, not `sub/a.bin` (use `**/*.bin`).
/// Matching works on bytes, so names compare exactly as the file system stores them.
///
/// Matching simulates the pattern as a finite automaton: time grows with the pattern's length
/// times the path's, memory with the pattern's length, and no input recurses.
public struct Glob: Hashable, Sendable, CustomStringConvertible {
    public let pattern: String
    private let tokens: [Token]
    /// The pattern's bytes when it has no wildcard, set or escape: it then matches that path
    /// only, compared without running the automaton (the default ignores are all literal).
    private let literal: [UInt8]?

    private enum Token: Hashable, Sendable {
        case byte(UInt8)
        case anyByte
        case set([ClosedRange<UInt8>], negated: Bool)
        /// `*`: any run without `/`.
        case star
        /// `**`: any run.
        case globstar
        /// `**/`: nothing, or any run ending in `/`.
        case globstarSlash
    }

    public init(_ pattern: String) {
        self.pattern = pattern
        tokens = Self.compile(Array(pattern.utf8))
        literal = pattern.utf8.contains { "*?[\\".utf8.contains($0) } ? nil : Array(pattern.utf8)
    }

    public var description: String { pattern }

    /// The one path the pattern matches when it has no wildcard, set or escape, as bytes.
    var literalBytes: [UInt8]? { literal }

    /// A pattern that matches `path` literally, whatever characters it holds.
    ///
    /// Works on Unicode scalars, as matching works on bytes: a `[` or `\\` followed by a
    /// combining mark is one `Character` but still a special byte to the pattern.
    public static func escape(_ path: String) -> String {
        var out = ""
        for scalar in path.unicodeScalars {
            if "*?[]\\".unicodeScalars.contains(scalar) { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    private static func compile(_ bytes: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "*"):
                var run = 0
                while i < bytes.count, bytes[i] == UInt8(ascii: "*") {
                    run += 1
                    i += 1
                }
                if run == 1 {
                    tokens.append(.star)
                } else if i < bytes.count, bytes[i] == UInt8(ascii: "/") {
                    tokens.append(.globstarSlash)
                    i += 1
                } else {
                    tokens.append(.globstar)
                }
                continue
            case UInt8(ascii: "?"):
                tokens.append(.anyByte)
            case UInt8(ascii: "["):
                if let (set, negated, end) = compileSet(bytes, from: i) {
                    tokens.append(.set(set, negated: negated))
                    i = end
                    continue
                }
                tokens.append(.byte(bytes[i]))  // an unterminated `[` is an ordinary character
            case UInt8(ascii: "\\") where i + 1 < bytes.count:
                i += 1
                tokens.append(.byte(bytes[i]))
            default:
                tokens.append(.byte(bytes[i]))
            }
            i += 1
        }
        return tokens
    }

    /// The set opened by `[` at `start`, and the index just past its `]`.
    private static func compileSet(_ bytes: [UInt8], from start: Int) -> ([ClosedRange<UInt8>], Bool, Int)? {
        var i = start + 1
        let negated = i < bytes.count && (bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "^"))
        if negated { i += 1 }
        var ranges: [ClosedRange<UInt8>] = []
        var first = true
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "]"), !first { return (ranges, negated, i + 1) }
            first = false
            if i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "-"), bytes[i + 2] != UInt8(ascii: "]"), c <= bytes[i + 2] {
                ranges.append(c...bytes[i + 2])
                i += 3
            } else {
                ranges.append(c...c)
                i += 1
            }
        }
        return nil
    }

    /// Whether the whole of `path` matches.
    public func matches(_ path: String) -> Bool {
        if let literal { return path.utf8.count == literal.count && path.utf8.elementsEqual(literal) }
        let accept = tokens.count
        var states = closure([0])
        for c in path.utf8 {
            var next: [Int] = []
            for state in states where state < accept {
                switch tokens[state] {
                case .byte(let b): if c == b { next.append(state + 1) }
                case .anyByte: if c != UInt8(ascii: "/") { next.append(state + 1) }
                case let .set(ranges, negated):
                    if c != UInt8(ascii: "/"), ranges.contains(where: { $0.contains(c) }) != negated { next.append(state + 1) }
                case .star: if c != UInt8(ascii: "/") { next.append(state) }
                case .globstar: next.append(state)
                case .globstarSlash:
                    next.append(state)
                    if c == UInt8(ascii: "/") { next.append(state + 1) }
                }
            }
            if next.isEmpty { return false }
            states = closure(next)
        }
        return states.contains(accept)
    }

    /// `states` and every state reachable from them without reading a byte.
    private func closure(_ states: [Int]) -> [Int] {
        var seen = Set<Int>()
        var out: [Int] = []
        var stack = states
        while let state = stack.popLast() {
            guard seen.insert(state).inserted else { continue }
            out.append(state)
            if state < tokens.count {
                switch tokens[state] {
                case .star, .globstar, .globstarSlash: stack.append(state + 1)
                default: break
                }
            }
        }
        return out
    }

    /// Whether `path` or one of the folders that contain it matches, so that a pattern naming
    /// a folder covers everything inside it.
    public func matchesPathOrParent(_ path: String) -> Bool {
        if matches(path) { return true }
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: false).dropLast() {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if matches(prefix) { return true }
        }
        return false
    }
}
