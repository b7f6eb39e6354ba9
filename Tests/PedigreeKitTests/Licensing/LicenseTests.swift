import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

func openAtomText() throws -> [UInt8] { Array(try Reference.openAtomText()) }

@Suite struct LicenseRecognition {
    @Test(.needsOpenAtomText) func recognisesTheGenuineOpenAtomText() throws {
        let text = try openAtomText()
        let recognition = try #require(LicenseCatalog.recognize(text))
        #expect(recognition.license == LicenseCatalog.openAtom)
        #expect(recognition.isGenuineText)
    }

    @Test(.needsOpenAtomText) func whiteSpaceAndLineEndingsDoNotMatter() throws {
        let text = String(decoding: try openAtomText(), as: UTF8.self)
        let crlf = "\u{FEFF}" + text.replacingOccurrences(of: "\n", with: "\r\n") + "\n\n"
        #expect(LicenseCatalog.recognize(Array(crlf.utf8))?.isGenuineText == true)
    }

    @Test(.needsOpenAtomText) func anAlteredCopyIsRecognisedButNotGenuine() throws {
        let text = String(decoding: try openAtomText(), as: UTF8.self)
        let altered = text.replacingOccurrences(of: "solely responsible", with: "partly responsible")
        #expect(altered != text)
        let recognition = try #require(LicenseCatalog.recognize(Array(altered.utf8)))
        #expect(recognition.license.id == "LicenseRef-OpenAtom-Model-License-1.0")
        #expect(!recognition.isGenuineText)
    }

    @Test func aPointerIsNotTheLicense() {
        let pointer = "This model is licensed under the OpenAtom Model License, Version 1.0."
        #expect(LicenseCatalog.recognize(Array(pointer.utf8)) == nil)
        #expect(LicenseCatalog.recognize(Array("MIT License".utf8)) == nil)
    }

    @Test func namesAndAliases() {
        #expect(LicenseCatalog.canonicalID("openatom") == "LicenseRef-OpenAtom-Model-License-1.0")
        #expect(LicenseCatalog.canonicalID("APACHE-2.0") == "Apache-2.0")
        #expect(LicenseCatalog.canonicalID("MIT") == "MIT")
    }
}

@Suite struct NoticeParsing {
    @Test func oneNoticePerParagraphWithItsKind() {
        let text = """
            Copyright 2026 Example Labs.
            All rights reserved.

            Portions © 2025 Someone Else

            Patent pending: US 1,234,567.

            "Tiny" is a trademark of Example Labs.

            Built with help from the Open Data Initiative.\u{20}\u{20}
            """
        let notices = NoticeText.parse(text)
        #expect(notices.map(\.kind) == [.copyright, .copyright, .patent, .trademark, .attribution])
        #expect(notices[0].text == "Copyright 2026 Example Labs.\nAll rights reserved.")
        #expect(notices[4].text == "Built with help from the Open Data Initiative.")
        #expect(NoticeText.parse(NoticeText.render(notices)) == notices)
    }
}

/// The Apache License 2.0 recognised by the digest of its published text, read from the
/// system's copy (Debian's, byte for byte the `LICENSE-2.0.txt` apache.org serves).
@Suite(.enabled(if: LocalTools.apacheText != nil, LocalTools.apacheMissing))
struct ApacheRecognition {
    var text: String { String(decoding: LocalTools.apacheText ?? Data(), as: UTF8.self) }

    /// The text up to and including "END OF TERMS AND CONDITIONS": the license's terms, §1–9.
    var terms: String {
        let end = text.range(of: "END OF TERMS AND CONDITIONS")!.upperBound
        return String(text[..<end]) + "\n"
    }

    @Test func theDigestsAreThoseOfThePublishedText() throws {
        let license = LicenseCatalog.apache2
        let whole = SHA256.hash(Array(LicenseCatalog.normalize(text).utf8)).hex
        let termsDigest = SHA256.hash(Array(LicenseCatalog.normalize(terms).utf8)).hex
        #expect(license.publishedDigests == [whole, termsDigest])
        #expect(license.terms?.digest == termsDigest)
        #expect(license.terms?.byteCount == LicenseCatalog.normalize(terms).utf8.count)
        let appendix = LicenseCatalog.normalize(String(text[text.range(of: "END OF TERMS AND CONDITIONS")!.upperBound...]))
        #expect(license.terms?.appendixDigest == SHA256.hash(Array(appendix.utf8)).hex)
    }

    @Test func thePublishedTextIsRecognisedWithOrWithoutTheAppendix() throws {
        let whole = try #require(LicenseCatalog.recognize(Array(text.utf8)))
        #expect(whole.license == LicenseCatalog.apache2)
        #expect(whole.text == .published)
        #expect(LicenseCatalog.recognize(Array(terms.utf8))?.text == .published)
        // Re-flowed, CRLF line ends, a byte-order mark: white space only.
        let reflowed = "\u{FEFF}" + text.split(whereSeparator: \.isWhitespace).joined(separator: " ").replacingOccurrences(of: ". ", with: ".\r\n")
        #expect(LicenseCatalog.recognize(Array(reflowed.utf8))?.text == .published)
    }

    @Test func otherTextAroundTheTermsIsRecognisedAndReported() throws {
        let withCopyright = "Copyright 2024 Acme Labs\n\n" + text
        #expect(LicenseCatalog.recognize(Array(withCopyright.utf8))?.text
                == .publishedWithOtherText(before: "Copyright 2024 Acme Labs", after: ""))
        let filledIn = text.replacingOccurrences(of: "Copyright [yyyy] [name of copyright owner]", with: "Copyright 2024 Acme Labs")
        #expect(filledIn != text)
        let recognition = try #require(LicenseCatalog.recognize(Array(filledIn.utf8)))
        guard case let .publishedWithOtherText(before, after) = recognition.text else {
            Issue.record("a filled-in appendix: \(recognition.text)")
            return
        }
        #expect(before.isEmpty)
        #expect(after.hasPrefix("APPENDIX: How to apply the Apache License to your work."))
        #expect(after.contains("Copyright 2024 Acme Labs"))
    }

    @Test func anyOtherChangeIsNotThePublishedText() throws {
        // One word of §4, and the https spelling of the URL some copies carry.
        for altered in [text.replacingOccurrences(of: "You must give any other recipients", with: "You should give any other recipients"),
                        text.replacingOccurrences(of: "http://www.apache.org/licenses/\n", with: "https://www.apache.org/licenses/\n")] {
            #expect(altered != text)
            let recognition = try #require(LicenseCatalog.recognize(Array(altered.utf8)))
            #expect(recognition.license == LicenseCatalog.apache2)
            #expect(recognition.text == .namesOnly)
        }
        #expect(LicenseCatalog.recognize(Array("Licensed under the Apache License, Version 2.0.".utf8)) == nil)
    }
}
