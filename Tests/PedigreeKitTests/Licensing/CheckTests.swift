import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

/// `pedigree check`'s §4(a) on a model folder whose LICENSE is, or only names, the Apache
/// License 2.0 text (read from the system's copy).
@Suite(.enabled(if: LocalTools.apacheText != nil, LocalTools.apacheMissing))
struct ApacheLicenseCopyChecks {
    /// Signs a folder holding `license` as LICENSE (its license recognised from that text) and
    /// checks it.
    static func check(license: String) throws -> (report: CheckReport, copy: Obligation) {
        let folder = try TemporaryFolder()
        try folder.write("model/LICENSE", license)
        try folder.write("model/model.safetensors", pseudoRandomBytes(256, seed: 7))
        let signer = ModelSigner()
        let predicate = try signer.describe(SignRequest(folder: folder.url("model"), name: "acme/model", createdAt: "2024-05-01T00:00:00Z"))
        let signed = try signer.sign(predicate, key: PrivateKey.generate(.ed25519))
        let report = try ObligationChecker().check(folder: folder.url("model"), chain: ModelChain(bundle: signed.bundle))
        let copy = try #require(report.obligations.first { $0.clause == "Apache-2.0 §4(a)" })
        return (report, copy)
    }

    var text: String { String(decoding: LocalTools.apacheText ?? Data(), as: UTF8.self) }

    @Test func thePublishedTextPasses() throws {
        let (report, copy) = try Self.check(license: text)
        #expect(report.licenses == ["Apache-2.0"])
        #expect(copy.verdict == .pass, "\(copy)")
        #expect(copy.evidence.count == 1)
        #expect(copy.evidence.first?.hasSuffix("(the published text of the Apache License 2.0)") == true, "\(copy.evidence)")
        #expect(copy.problems.isEmpty)
    }

    @Test func aCopyrightLineAboveTheTextPassesAndIsShown() throws {
        let (_, copy) = try Self.check(license: "Copyright 2024 Acme Labs\n\n" + text)
        #expect(copy.verdict == .pass, "\(copy)")
        #expect(copy.evidence.first?.hasSuffix(
            "(the published text of the Apache License 2.0, with other text before it: \"Copyright 2024 Acme Labs\")") == true,
            "\(copy.evidence)")
    }

    @Test func aTextThatOnlyNamesTheLicenseFailsFourA() throws {
        let altered = text.replacingOccurrences(of: "You must give any other recipients", with: "You should give any other recipients")
        let (_, copy) = try Self.check(license: altered)
        #expect(copy.verdict == .fail)
        #expect(copy.title == "a copy of the license")
        #expect(copy.problems == ["LICENSE names the Apache License 2.0 but is not its published text"])
        #expect(copy.evidence.first?.hasSuffix("(names the Apache License 2.0 but is not its published text)") == true)
    }
}
