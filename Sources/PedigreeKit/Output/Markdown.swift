/// Markdown (CommonMark with GitHub's extensions) that shows text from a manifest as text:
/// no raw HTML, no link or image, no heading, list, quote or table it did not ask for.
///
/// Two forms: `code(_:)` for names (files, models), written as code spans, and `text(_:)` for
/// prose (notices, methods, descriptions), backslash-escaped. Both put every line break on one
/// line and show the other unsafe characters (`UnsafeScalars`) in their visible `\xNN` form,
/// so a file we write never carries a control character from outside.
public enum Markdown {
    /// `text` as a CommonMark code span: fenced by one backtick more than the longest run of
    /// backticks inside it, padded with a space when it starts or ends with a backtick or a
    /// space, so it shows exactly as given. Unsafe scalars, line breaks included, appear in
    /// their visible form (inside a code span a backslash is an ordinary character).
    public static func code(_ text: some StringProtocol) -> String {
        let body = UnsafeScalars.escaped(text)
        var longest = 0
        var run = 0
        for scalar in body.unicodeScalars {
            run = scalar == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = body.isEmpty || body.hasPrefix("`") || body.hasSuffix("`") || body.hasPrefix(" ") || body.hasSuffix(" ")
        return pad ? "\(fence) \(body) \(fence)" : fence + body + fence
    }

    /// Prose that renders as the plain text it is.
    ///
    /// Line breaks (LF, CR, NEL, U+2028, U+2029) become spaces and runs of white space one
    /// space, so the text stays inside the line or list item it is put in; other unsafe
    /// scalars appear in their visible form. Every character that opens inline markup is
    /// backslash-escaped — `` \ ` * _ [ ] < > & ! | ~ `` — so there is no emphasis, code,
    /// link, image, autolink, raw HTML, entity or table cell; so are `#`, `+`, `-`, `=`,
    /// `>` and an ordered-list number when they start the text, which could otherwise open a
    /// heading, a list, a quote or a thematic break. GitHub's bare autolinks are broken by
    /// escaping the `:` of `://`, the `.` of `www.` and every `@`.
    public static func text(_ text: some StringProtocol) -> String {
        // Flatten first: white space and line breaks to single spaces, trimmed.
        var flat: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars {
            let blank = UnsafeScalars.isLineBreak(scalar) || scalar == "\t" || scalar.properties.isWhitespace
            if blank {
                if let last = flat.last, last != " " { flat.append(" ") }
            } else {
                flat.append(scalar)
            }
        }
        while flat.last == " " { flat.removeLast() }

        var out = ""
        for (index, scalar) in flat.enumerated() {
            if UnsafeScalars.contains(scalar) {
                out += UnsafeScalars.visible(scalar)
                continue
            }
            if needsEscape(scalar, at: index, in: flat) { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar, at index: Int, in text: [Unicode.Scalar]) -> Bool {
        switch scalar {
        case "\\", "`", "*", "_", "[", "]", "<", ">", "&", "!", "|", "~", "@":
            return true
        case "#", "+", "-", "=":
            return index == 0
        case ".", ")":
            // `1.` or `1)` at the start opens an ordered list; `www.` opens a GitHub autolink.
            let digits = text[..<index].allSatisfy { $0.properties.numericType != nil && $0.isASCII }
            if index > 0, digits { return true }
            if scalar == ".", index >= 3 {
                let word = String(String.UnicodeScalarView(text[(index - 3)..<index])).lowercased()
                return word == "www"
            }
            return false
        case ":":
            return index + 2 < text.count && text[index + 1] == "/" && text[index + 2] == "/"
        default:
            return false
        }
    }
}
