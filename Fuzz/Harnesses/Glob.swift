import PedigreeKit

/// A pattern (the first line) matched against a path (the rest), as `--ignore`, `--only`,
/// `--role` and `--modification` match; an escaped path matches itself and nothing else.
func fuzzGlob(_ data: [UInt8]) {
    let text = String(decoding: data, as: UTF8.self)
    let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    let pattern = String(parts[0])
    let path = parts.count > 1 ? String(parts[1]) : ""
    let glob = Glob(pattern)
    _ = glob.matches(path)
    _ = glob.matchesPathOrParent(path)
    let literal = Glob(Glob.escape(path))
    fuzzCheck(literal.matches(path), "an escaped path does not match itself")
    fuzzCheck(literal.matches(pattern) == pattern.utf8.elementsEqual(path.utf8), "an escaped path matches another text")
}
