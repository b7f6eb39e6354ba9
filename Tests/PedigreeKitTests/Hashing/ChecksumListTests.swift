import PedigreeCrypto
import PedigreeKit
import Testing

private let abc = SHA256Digest(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")!

@Suite struct ChecksumLines {
    @Test func formatsBothFormsAndEscapesLikeSha256sum() {
        #expect(ChecksumLine.text.format(digest: abc, path: "a b") == "\(abc.hex)  a b")
        #expect(ChecksumLine.tag.format(digest: abc, path: "a b") == "SHA256 (a b) = \(abc.hex)")
        #expect(ChecksumLine.text.format(digest: abc, path: "b\\c") == "\\\(abc.hex)  b\\\\c")
        #expect(ChecksumLine.text.format(digest: abc, path: "n\nl\rx") == "\\\(abc.hex)  n\\nl\\rx")
        #expect(ChecksumLine.tag.format(digest: abc, path: "n\nl") == "\\SHA256 (n\\nl) = \(abc.hex)")
    }

    @Test func parsesTextTagEscapedAndBinaryMarkedLines() {
        let text = """
            \(abc.hex)  plain name
            \(abc.hex) *binary
            SHA256 (tag ) = name) = \(abc.hex)
            \\\(abc.hex)  n\\nl
            \\SHA256 (b\\\\c) = \(abc.hex)
            \(abc.hex.uppercased())  upper\r

            not a line
            \(abc.hex)
            \\\(abc.hex)  bad\\escape
            SHA256 (x) = \(abc.hex.dropLast())
            """ + "\n"
        let list = ChecksumList(parsing: text)
        #expect(list.entries.map(\.path) == ["plain name", "binary", "tag ) = name", "n\nl", "b\\c", "upper"])
        #expect(list.entries.allSatisfy { $0.digest == abc })
        #expect(list.entries.map(\.line) == [1, 2, 3, 4, 5, 6])
        #expect(list.malformedLines == [7, 8, 9, 10, 11])
    }

    @Test func roundTripsEveryNameItFormats() {
        let names = ["a", "with space", "back\\slash", "new\nline", "car\rriage", "ünï", "(paren) = x"]
        for format in [ChecksumLine.text, .tag] {
            let text = names.map { format.format(digest: abc, path: $0) }.joined(separator: "\n")
            #expect(ChecksumList(parsing: text).entries.map(\.path) == names)
        }
    }
}
