/// A shell-style pattern over POSIX relative paths.
///
/// `*` matches any run of characters but `/`, `**` any run including `/` (and `**/` also
/// matches nothing, so `**/x` finds `x` at the top too), `?` one character but `/`, `[abc]`
/// / `[a-z]` / `[!a-z]` one character of a set; `\` escapes the next character. Patterns are
/// anchored at the model folder: `*.bin` matches `a.bin`, not `sub/a.bin` (use `**/*.bin`).
/// Matching works on bytes, so names compare exactly as the file system stores them.
public struct Glob: Hashable, Sendable, CustomStringConvertible {
    public let pattern: String
    private let bytes: [UInt8]

    public init(_ pattern: String) {
        self.pattern = pattern
        bytes = Array(pattern.utf8)
    }

    public var description: String { pattern }

    /// A pattern that matches `path` literally, whatever characters it holds.
    public static func escape(_ path: String) -> String {
        var out = ""
        for character in path {
            if "*?[]\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// Whether the whole of `path` matches.
    public func matches(_ path: String) -> Bool {
        let text = Array(path.utf8)
        var memo = [Int: Bool]()
        return match(0, text, 0, &memo)
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

    private func match(_ p: Int, _ text: [UInt8], _ t: Int, _ memo: inout [Int: Bool]) -> Bool {
        let key = p &* (text.count + 1) &+ t
        if let known = memo[key] { return known }
        let result = matchUncached(p, text, t, &memo)
        memo[key] = result
        return result
    }

    private func matchUncached(_ p: Int, _ text: [UInt8], _ t: Int, _ memo: inout [Int: Bool]) -> Bool {
        let slash = UInt8(ascii: "/")
        guard p < bytes.count else { return t == text.count }
        switch bytes[p] {
        case UInt8(ascii: "*"):
            if p + 1 < bytes.count, bytes[p + 1] == UInt8(ascii: "*") {
                let next = p + 2
                // `**/` may also match no folder at all.
                if next < bytes.count, bytes[next] == slash, match(next + 1, text, t, &memo) {
                    return true
                }
                var i = t
                while i <= text.count {
                    if match(next, text, i, &memo) { return true }
                    i += 1
                }
                return false
            }
            var i = t
            while true {
                if match(p + 1, text, i, &memo) { return true }
                guard i < text.count, text[i] != slash else { return false }
                i += 1
            }
        case UInt8(ascii: "?"):
            guard t < text.count, text[t] != slash else { return false }
            return match(p + 1, text, t + 1, &memo)
        case UInt8(ascii: "["):
            guard t < text.count, text[t] != slash, let (matched, end) = matchClass(p, text[t]) else {
                // An unterminated `[` is an ordinary character.
                if t < text.count, text[t] == UInt8(ascii: "["), classEnd(p) == nil {
                    return match(p + 1, text, t + 1, &memo)
                }
                return false
            }
            return matched && match(end, text, t + 1, &memo)
        case UInt8(ascii: "\\") where p + 1 < bytes.count:
            guard t < text.count, text[t] == bytes[p + 1] else { return false }
            return match(p + 2, text, t + 1, &memo)
        default:
            guard t < text.count, text[t] == bytes[p] else { return false }
            return match(p + 1, text, t + 1, &memo)
        }
    }

    /// The index just past the `]` closing the class opened at `p`, if there is one.
    private func classEnd(_ p: Int) -> Int? {
        var i = p + 1
        if i < bytes.count, bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "^") { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1 }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "]") { return i + 1 }
            i += 1
        }
        return nil
    }

    /// Whether `c` is in the class opened at `p`, and where the class ends.
    private func matchClass(_ p: Int, _ c: UInt8) -> (Bool, Int)? {
        guard let end = classEnd(p) else { return nil }
        var i = p + 1
        let negated = bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "^")
        if negated { i += 1 }
        let close = end - 1  // the index of the closing `]`
        var found = false
        while i < close {
            if i + 2 < close, bytes[i + 1] == UInt8(ascii: "-") {
                if bytes[i] <= c && c <= bytes[i + 2] { found = true }
                i += 3
            } else {
                if c == bytes[i] { found = true }
                i += 1
            }
        }
        return (found != negated, end)
    }
}
