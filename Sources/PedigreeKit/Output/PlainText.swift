/// Plain-text files pedigree writes for people (NOTICE): text from manifests verbatim, but
/// with no character that would act on a terminal or an editor instead of showing.
///
/// Every line break — CR LF, CR, NEL, VT, FF, U+2028, U+2029 — is written as a line feed, so
/// the text keeps its lines and `cat` shows them as lines; tabs stay; every other unsafe
/// scalar (`UnsafeScalars`: C0 and C1 controls, DEL, bidi controls) is written in its visible
/// form, `\x1b` or `\u{202e}`.
public enum PlainText {
    /// `text` as it may appear in a plain-text file.
    public static func text(_ text: some StringProtocol) -> String {
        guard UnsafeScalars.occur(in: text) else { return String(text) }
        var out = ""
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            if scalar == "\n", previousWasCR { continue }
            if UnsafeScalars.isLineBreak(scalar) {
                out += "\n"
            } else if scalar == "\t" {
                out += "\t"
            } else if UnsafeScalars.contains(scalar) {
                out += UnsafeScalars.visible(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
