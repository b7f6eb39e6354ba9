/// Reading notices out of a NOTICE-style text file.
public enum NoticeText {
    /// The notices in `text`: one per paragraph (paragraphs are separated by blank lines),
    /// each kept verbatim but for trailing white space, with its kind guessed from its words.
    public static func parse(_ text: String) -> [Notice] {
        var notices: [Notice] = []
        var paragraph: [Substring] = []
        func flush() {
            let body = paragraph.joined(separator: "\n").trimmingTrailingWhitespace()
            if !body.isEmpty { notices.append(Notice(kind: kind(of: body), text: body)) }
            paragraph = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) {
                flush()
            } else {
                paragraph.append(line.trimmingTrailingWhitespace()[...])
            }
        }
        flush()
        return notices
    }

    /// The kind of a notice from its words: copyright (`Copyright`, `©`, `(c)`), patent,
    /// trademark (`trademark`, `™`, `®`), else attribution.
    public static func kind(of text: String) -> NoticeKind {
        let lower = text.lowercased()
        if lower.contains("copyright") || text.contains("©") || lower.hasPrefix("(c)") { return .copyright }
        if lower.contains("patent") { return .patent }
        if lower.contains("trademark") || text.contains("™") || text.contains("®") { return .trademark }
        return .attribution
    }

    /// The text of a NOTICE file listing `notices`, one paragraph each.
    public static func render(_ notices: [Notice]) -> String {
        notices.map(\.text).joined(separator: "\n\n") + "\n"
    }
}

extension StringProtocol {
    /// The string without white space at its end.
    func trimmingTrailingWhitespace() -> String {
        var scalars = Array(unicodeScalars)
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        var out = ""
        out.unicodeScalars.append(contentsOf: scalars)
        return out
    }
}
