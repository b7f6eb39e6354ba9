import Foundation
import Testing
import TestSupport
import Yams

@testable import PedigreeKit

/// Names an attacker would drop into a model folder or a manifest.
let hostileNames = [
    "line\u{2028}sep", "para\u{2029}sep", "nel\u{85}x", "rlo\u{202E}gnp.exe", "esc\u{1B}]0;title\u{07}",
    "clear\u{1B}[2J", "new\nline", "tab\there", "quote\"s'", "back`tick``s", "del\u{7F}", "csi\u{9B}31m",
    "lri\u{2066}x\u{2069}", "alm\u{061C}", "lrm\u{200E}rlm\u{200F}", "cr\rx", "nul\u{0}x", "back\\slash",
]

@Suite("Unsafe scalars")
struct UnsafeScalarTests {
    @Test(arguments: [0x00, 0x09, 0x0A, 0x1B, 0x1F, 0x7F, 0x80, 0x85, 0x9B, 0x9F, 0x061C, 0x200E, 0x200F, 0x2028, 0x2029,
                      0x202A, 0x202E, 0x2066, 0x2069] as [UInt32])
    func areUnsafe(_ value: UInt32) {
        #expect(UnsafeScalars.contains(Unicode.Scalar(value)!))
    }

    @Test(arguments: [0x20, 0x41, 0x7E, 0xA0, 0xE9, 0x200D, 0x2030, 0x1F600] as [UInt32])
    func areSafe(_ value: UInt32) {
        #expect(!UnsafeScalars.contains(Unicode.Scalar(value)!))
    }

    @Test func visibleForms() {
        #expect(UnsafeScalars.escaped("a\u{1B}[2Jb\nc\u{2028}d\u{85}e\u{202E}") == #"a\x1b[2Jb\x0ac\u{2028}d\x85e\u{202e}"#)
        #expect(UnsafeScalars.escaped("plain café") == "plain café")
    }
}

@Suite("Terminal text")
struct TerminalTextTests {
    @Test func literalsPassAndValuesAreEscaped() {
        let name = "evil\nverified: 7 files OK, signed by a trusted key"
        let text: TerminalText = "model \(name)\nnext line"
        #expect(text.rendered == #"model evil\x0averified: 7 files OK, signed by a trusted key"# + "\nnext line")
    }

    @Test(arguments: hostileNames)
    func noUnsafeScalarSurvivesAnInterpolation(_ name: String) {
        let text: TerminalText = "\(name)"
        #expect(!UnsafeScalars.occur(in: text.rendered), "\(text.rendered.debugDescription)")
    }

    @Test func safeTextIsNotEscapedTwice() {
        let inner: TerminalText = "a\(TerminalText.escaping("\u{1B}"))"
        let outer: TerminalText = "[\(inner)]"
        #expect(outer.rendered == #"[a\x1b]"#)
    }

    @Test func widthPadsTheEscapedValue() {
        let text: TerminalText = "\("OK", width: 6)|"
        #expect(text.rendered == "OK    |")
    }

    @Test func joined() {
        let parts: [TerminalText] = ["a", "\("b\nc")"]
        #expect(parts.joined(separator: ", ").rendered == #"a, b\x0ac"#)
    }
}

@Suite("JSON output")
struct JSONOutputTests {
    struct Sample: Encodable {
        var name: String
        var size: Int64
        var ok: Bool
        var missing: String?
        var list: [Int]
        var nested: [String: String]
    }

    @Test func writesSortedIndentedJSON() throws {
        let text = try JSONOutput.text(Sample(name: "a/b", size: 12, ok: true, missing: nil, list: [], nested: ["z": "1", "a": "2"]))
        #expect(text == """
            {
              "list": [],
              "name": "a/b",
              "nested": {
                "a": "2",
                "z": "1"
              },
              "ok": true,
              "size": 12
            }

            """)
    }

    @Test(arguments: hostileNames)
    func everyStringReadsBackExactly(_ name: String) throws {
        let text = try JSONOutput.text(["name": name])
        #expect(!UnsafeScalars.occur(in: text.replacingOccurrences(of: "\n", with: "")), "\(text.debugDescription)")
        let value = try JSONReader.parse(Array(text.utf8))
        guard case .object(let object) = value, case .string(let back)? = object["name"] else {
            Issue.record("not an object with a string: \(text)")
            return
        }
        #expect(back == name)
        // Foundation's parser agrees.
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(foundation?["name"] == name)
    }

    @Test func escapesAsRFC8259Says() {
        #expect(JSONOutput.quoted("a\"b\\c\n\t\u{8}\u{C}\r") == #""a\"b\\c\n\t\b\f\r""#)
        #expect(JSONOutput.quoted("\u{2028}\u{2029}\u{85}\u{202E}\u{1B}\u{7F}") == #""\u2028\u2029\u0085\u202e\u001b\u007f""#)
        #expect(JSONOutput.quoted("é😀/") == "\"é😀/\"")
    }

    @Test func nonFiniteNumbersAreRefused() {
        #expect(throws: JSONOutput.EncodingFailure.self) { try JSONOutput.text(["x": Double.nan]) }
    }

    @Test func numbersAndNulls() throws {
        struct Numbers: Encodable {
            var big: UInt64 = .max
            var negative: Int = -3
            var half: Double = 0.5
            var whole: Double = 2
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(big, forKey: .big)
                try container.encode(negative, forKey: .negative)
                try container.encode(half, forKey: .half)
                try container.encode(whole, forKey: .whole)
                try container.encodeNil(forKey: .none)
            }
            enum CodingKeys: String, CodingKey { case big, negative, half, whole, none }
        }
        let text = try JSONOutput.text(Numbers())
        #expect(text.contains("\"big\": 18446744073709551615"))
        #expect(text.contains("\"negative\": -3"))
        #expect(text.contains("\"half\": 0.5"))
        #expect(text.contains("\"whole\": 2"))
        #expect(text.contains("\"none\": null"))
    }
}

@Suite("Markdown")
struct MarkdownTests {
    @Test func codeSpansHandleBackticks() {
        #expect(Markdown.code("model.safetensors") == "`model.safetensors`")
        #expect(Markdown.code("a`b") == "``a`b``")
        #expect(Markdown.code("``x") == "``` ``x ```")
        #expect(Markdown.code("x`") == "`` x` ``")
        #expect(Markdown.code(" lead") == "`  lead `")
    }

    @Test func codeSpansShowControlsVisibly() {
        #expect(Markdown.code("a\nb\u{1B}[2J") == #"`a\x0ab\x1b[2J`"#)
    }

    @Test func proseIsEscaped() {
        #expect(Markdown.text("# heading") == ##"\# heading"##)
        #expect(Markdown.text("- item") == #"\- item"#)
        #expect(Markdown.text("1. first") == #"1\. first"#)
        #expect(Markdown.text("<img src=x onerror=alert(1)>") == #"\<img src=x onerror=alert(1)\>"#)
        #expect(Markdown.text("[x](javascript:alert(1))") == #"\[x\](javascript:alert(1))"#)
        #expect(Markdown.text("![i](x)") == #"\!\[i\](x)"#)
        #expect(Markdown.text("see https://evil.example and www.evil.example, mail a@b.c")
                == #"see https\://evil.example and www\.evil.example, mail a\@b.c"#)
        #expect(Markdown.text("*em* _u_ `c` ~s~ | &amp; \\") == #"\*em\* \_u\_ \`c\` \~s\~ \| \&amp; \\"#)
        #expect(Markdown.text("Fine-tuned from acme/tiny: LoRA r=16") == "Fine-tuned from acme/tiny: LoRA r=16")
    }

    @Test func proseIsOneLine() {
        #expect(Markdown.text("a\n# b\r\n\n- c\u{2028}d\u{85}e   f\t") == "a # b - c d e f")
        #expect(Markdown.text("\u{1B}]0;x\u{07}") == #"\x1b\]0;x\x07"#)
    }

    @Test(arguments: hostileNames)
    func noUnsafeScalarSurvives(_ name: String) {
        #expect(!UnsafeScalars.occur(in: Markdown.text(name)))
        #expect(!UnsafeScalars.occur(in: Markdown.code(name)))
    }
}

@Suite("Plain text")
struct PlainTextTests {
    @Test func keepsLinesAndTabsShowsTheRest() {
        #expect(PlainText.text("Copyright\r\n2024\tAcme\u{2028}Inc\u{1B}[2J\u{202E}") == "Copyright\n2024\tAcme\nInc\\x1b[2J\\u{202e}")
        #expect(PlainText.text("plain") == "plain")
    }
}

@Suite("YAML front matter")
struct YAMLTests {
    @Test(arguments: ["LicenseRef-a\u{2028}b", "true", "1.0", "null", "- x", "a: b", "#c", "\u{202E}x", "x\ny", "'q\"", "café", ""])
    func readsBackTheSameValue(_ value: String) throws {
        let text = try YAMLFrontMatter.mapping([("license", .string(value)), ("base_model", .list([value, "acme/tiny"]))])
        #expect(!UnsafeScalars.occur(in: text.replacingOccurrences(of: "\n", with: "")), "\(text.debugDescription)")
        let back = try Yams.load(yaml: text) as? [String: Any]
        #expect(back?["license"] as? String == value, "\(text)")
        #expect(back?["base_model"] as? [String] == [value, "acme/tiny"])
    }

    @Test func keepsTheOrderGiven() throws {
        let text = try YAMLFrontMatter.block([("license", .string("other")), ("base_model", .list(["acme/tiny"])),
                                              ("base_model_relation", .string("quantized"))])
        #expect(text == "---\nlicense: other\nbase_model:\n- acme/tiny\nbase_model_relation: quantized\n---\n")
    }
}

@Suite("Diagram labels")
struct DiagramTests {
    @Test func mermaidLabels() {
        #expect(Mermaid.label("a\"b<c>|#`;[x]") == "a#quot;b#60;c#62;#124;#35;#96;#59;#91;x#93;")
        #expect(Mermaid.label("x\ny\u{202E}") == #"x\x0ay\u{202e}"#)
    }

    @Test func dotLabels() {
        #expect(DOT.label("a\"b\\n") == #"a\"b\\n"#)
        #expect(DOT.label("x\ny") == #"x\\x0ay"#)
        #expect(DOT.quoted(["a", "b"]) == #""a\nb""#)
    }

    @Test(arguments: hostileNames)
    func noUnsafeScalarSurvives(_ name: String) {
        #expect(!UnsafeScalars.occur(in: Mermaid.label(name)))
        #expect(!UnsafeScalars.occur(in: DOT.label(name)))
    }
}

@Suite("Progress words")
struct ProgressFormatTests {
    @Test func bytesOfTotalRateAndTimeLeft() {
        #expect(ProgressFormat.line(done: 512 << 20, total: 2 << 30, elapsed: 2) == "512.0 MiB of 2.0 GiB (25%)  256.0 MiB/s  6s left")
        #expect(ProgressFormat.line(done: 100, total: 0, elapsed: 1) == "100 B  100 B/s")
        #expect(ProgressFormat.line(done: 200, total: 100, elapsed: 1) == "200 B  200 B/s")
        #expect(formatDuration(3725) == "1h02m")
        #expect(formatDuration(65) == "1m05s")
    }

    /// The sizes' one decimal is printf's `%.1f` (rounded to nearest, ties to even), checked
    /// against Foundation's formatter on exact ties, near-ties, unit edges and random sizes.
    @Test func bytesRoundAsPrintfDoes() {
        func printf(_ bytes: Int64) -> String {
            let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
            var value = Double(bytes)
            var unit = 0
            while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
            return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
        }
        var sizes: [Int64] = [0, 1, 1023, 1024, 1025, 1075, 1076, 1126, 1127, 1_048_064, 1_048_575, 1_048_576,
                              1280, 1331, 1434, 2 << 30, (5 << 30) / 4, 1 << 40, (1 << 50) + 1, 1 << 52, (1 << 49) - 1]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { sizes.append(Int64.random(in: 0..<(1 << 49), using: &generator) >> Int64.random(in: 0..<40, using: &generator)) }
        // Exact ties at every unit: odd quarters of a unit (1.25, 1.75…), whose tenths end in 5.
        for unit in 1...4 { for quarters in stride(from: 1, to: 4_096, by: 2) { sizes.append(Int64(quarters) << (10 * Int64(unit)) / 4) } }
        for size in sizes { #expect(formatBytes(size) == printf(size), "\(size)") }
    }
}

@Suite("Exit statuses of library errors")
struct ErrorStatusTests {
    @Test func statuses() {
        #expect(FileError(path: "x", reason: .system(2)).exitStatus == .noInput)
        #expect(FileError(path: "x", reason: .exists).exitStatus == .cannotCreate)
        #expect(FileError(path: "x", reason: .symbolicLink).exitStatus == .dataError)
        #expect(ManifestError.unreadable(FileError(path: "x", reason: .system(2))).exitStatus == .noInput)
        #expect(ManifestError.noSignatures(path: "dsseEnvelope").exitStatus == .dataError)
        #expect(DerivationError.uncoveredChanges(["a"]).exitStatus == .failure)
        #expect(SignError.empty("x").exitStatus == .dataError)
        #expect(KeyFileError(path: "k", reason: "gone", isUnreadable: true).exitStatus == .noInput)
    }
}

/// A report's long list written an element at a time gives the bytes of the whole report.
@Suite("JSON written a list element at a time")
struct JSONStreamedListTests {
    struct Row: Encodable {
        var name: String
        var detail: String?
        var nested: [String: [Int]]?
    }

    struct Report: Encodable {
        var a: Int
        var files: [Row]
        var inner: [String: [Row]]
        var problems: [String]
        var z: String?
    }

    private func streamed(_ report: Report) throws -> String {
        var shell = report
        shell.files = []
        var pieces: [String] = []
        try JSONOutput.write(shell, listAt: "files", elements: report.files, to: { pieces.append($0) })
        return pieces.joined()
    }

    @Test func givesTheBytesOfTheWholeReport() throws {
        let rows = [
            Row(name: "a\n\"files\": []", detail: nil, nested: nil),
            Row(name: "caf\u{E9}\u{1B}[2J", detail: "why\u{2028}", nested: ["files": [], "k": [1, 2]]),
            Row(name: "", detail: "", nested: [:]),
        ]
        let inner = ["files": [Row(name: "x", detail: nil, nested: nil)], "empty": []]
        for count in [0, 1, 2, 3] {
            for z in [nil, "end"] {
                let report = Report(a: 1, files: Array(rows.prefix(count)), inner: inner, problems: count == 0 ? [] : ["p"], z: z)
                #expect(try streamed(report) == (try JSONOutput.text(report)), "\(count) rows")
            }
        }
        let many = Report(a: 2, files: (0..<5000).map { Row(name: "file \($0)", detail: nil, nested: nil) }, inner: [:], problems: [], z: nil)
        var pieces = 0
        var shell = many
        shell.files = []
        var text = ""
        try JSONOutput.write(shell, listAt: "files", elements: many.files) { text += $0; pieces += 1 }
        #expect(text == (try JSONOutput.text(many)))
        #expect(pieces > 1)
    }

    @Test func aValueWithoutTheEmptyListIsRefused() {
        let report = Report(a: 1, files: [Row(name: "x", detail: nil, nested: nil)], inner: [:], problems: [], z: nil)
        #expect(throws: JSONOutput.EncodingFailure.self) {
            try JSONOutput.write(report, listAt: "files", elements: [Row](), to: { _ in })
        }
        #expect(throws: JSONOutput.EncodingFailure.self) {
            try JSONOutput.write(report, listAt: "rows", elements: [Row](), to: { _ in })
        }
    }
}
