/// The characters no sink may receive raw from untrusted text, and the visible form every
/// text sink shows them in.
///
/// A scalar is unsafe when a terminal, an editor or a renderer acts on it instead of showing
/// it: every C0 control (line feed and tab included), DEL, every C1 control (U+0080–U+009F,
/// which some terminals read as 8-bit escape sequences), the line and paragraph separators
/// U+2028/U+2029, and the bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
/// U+2066–U+2069) that make text display in another order than it is read ("Trojan source").
public enum UnsafeScalars {
    /// Whether `scalar` must never reach a sink as it is.
    public static func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x2028, 0x2029: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// Whether `scalar` breaks a line somewhere: LF, VT, FF, CR, NEL, U+2028 and U+2029.
    public static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// Whether `text` holds an unsafe scalar.
    public static func occur(in text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains(where: contains)
    }

    /// The visible form of an unsafe scalar: `\xNN` below U+0100, else `\u{NNNN}` (lowercase
    /// hex), as C and Swift would write it. Backslashes in the text are left as they are, so
    /// the form is readable, not reversible.
    public static func visible(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        if scalar.value < 0x100 { return "\\x" + (hex.count < 2 ? "0" + hex : hex) }
        return "\\u{" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "}"
    }

    /// `text` with every unsafe scalar in its visible form.
    public static func escaped(_ text: some StringProtocol) -> String {
        guard occur(in: text) else { return String(text) }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if contains(scalar) {
                out += visible(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
