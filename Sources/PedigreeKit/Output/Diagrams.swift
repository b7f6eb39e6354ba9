/// Labels in the diagram languages `lineage` prints and model cards embed.
///
/// Both escapers take one piece of text from a manifest (a model name, a method) and return it
/// ready to sit inside a double-quoted label; pedigree joins the pieces with the language's
/// own line break. Unsafe scalars (`UnsafeScalars`), line breaks included, are shown in their
/// visible form, so a label is one line of plain text that cannot end the label, the
/// statement or the diagram, and the diagram stays safe to print on a terminal.
public enum Mermaid {
    /// The line break inside a Mermaid label.
    public static let lineBreak = "<br/>"

    /// `text` for a Mermaid double-quoted label: `"`, `<`, `>`, `|`, `#`, `` ` ``, `&`, `[`,
    /// `]`, `{`, `}` and `;` as Mermaid entity codes (`#quot;`, `#60;` …), so no markup, no
    /// Markdown string and no end of label or edge text can be written by it.
    public static func label(_ text: some StringProtocol) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "#quot;"
            case "<", ">", "|", "#", "`", "&", "[", "]", "{", "}", ";":
                out += "#\(scalar.value);"
            default:
                if UnsafeScalars.contains(scalar) {
                    out += UnsafeScalars.visible(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// Graphviz DOT labels (see `Mermaid` for the rules both follow).
public enum DOT {
    /// The line break inside a DOT double-quoted label.
    public static let lineBreak = "\\n"

    /// `text` for the inside of a DOT double-quoted string: `"` and `\` backslash-escaped (so
    /// `\n`, `\l` and `\N` written by a manifest are shown, not interpreted).
    public static func label(_ text: some StringProtocol) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if UnsafeScalars.contains(scalar) {
                    // The visible form's backslash must itself be escaped for DOT.
                    out += UnsafeScalars.visible(scalar).replacingBackslashes()
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A double-quoted DOT string of `pieces`, one per line.
    public static func quoted(_ pieces: [String]) -> String {
        "\"" + pieces.map(label).joined(separator: lineBreak) + "\""
    }
}

extension String {
    fileprivate func replacingBackslashes() -> String {
        var out = ""
        for scalar in unicodeScalars {
            if scalar == "\\" { out += "\\\\" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
