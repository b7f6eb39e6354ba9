import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

@Suite("Writing notice files")
struct NoticeWriterTests {
    @Test func writesBothFilesAndRefusesToLoseAParagraph() throws {
        let model = try SignedFolder(
            files: ["model.safetensors": "w", "NOTICE": "Copyright 2024 Acme\u{1B}[2J\u{2028}# two\n"],
            notices: [Notice(kind: .copyright, text: "Copyright 2024 Acme\u{1B}[2J\u{2028}# two")])
        try model.copy(to: "child", changes: ["model.safetensors": "w2"])
        let request = NoticesRequest(
            model: SignRequest(folder: model.root.url("child"), name: "acme/child", createdAt: "1970-01-01T00:00:00Z"),
            derivation: DerivationRequest(parents: [ParentSource(path: model.base)], relation: .quantization,
                                          derivation: Derivation(method: "GPTQ <b>4-bit</b>")))
        let result = try NoticeWriter().write(request)
        #expect(result.parents.map(\.reference.trusted) == [false])
        #expect(result.noticeCount == 1)
        #expect(result.modifiedFileCount == 1)
        let notice = String(decoding: try Data(contentsOf: URL(fileURLWithPath: result.noticePath)), as: UTF8.self)
        #expect(notice == "Copyright 2024 Acme\\x1b[2J\n# two\n")
        let modifications = String(decoding: try Data(contentsOf: URL(fileURLWithPath: result.modificationsPath)), as: UTF8.self)
        #expect(modifications.contains("- `model.safetensors` (modified): Quantized from acme/base: GPTQ \\<b\\>4-bit\\</b\\>\n"))
        // A paragraph someone added by hand would be lost: refused, and the file is as it was.
        try model.root.write("child/NOTICE", notice + "\nHand-written paragraph.\n")
        let before = try Data(contentsOf: URL(fileURLWithPath: result.noticePath))
        #expect(throws: NoticesError.wouldLoseParagraphs(path: result.noticePath, count: 1)) { try NoticeWriter().write(request) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: result.noticePath)) == before)
        #expect(NoticesError.wouldLoseParagraphs(path: "x", count: 1).exitStatus == .cannotCreate)
        var forced = request
        forced.force = true
        _ = try NoticeWriter().write(forced)
        #expect(try Data(contentsOf: URL(fileURLWithPath: result.noticePath)) != before)
    }
}
