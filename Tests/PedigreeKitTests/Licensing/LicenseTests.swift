import Foundation
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
