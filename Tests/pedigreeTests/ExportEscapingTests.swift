import Foundation
import PedigreeKit
import Testing
import TestSupport

/// CycloneDX, SPDX and SLSA documents are written by `JSONOutput`: a hostile name is escaped
/// and the document still validates.
@Suite struct ExportEscapingTests {
    static let hostile = "acme/evil\u{202E}gpj.exe\u{1B}[2J\u{2028}x"

    @Test func aHostileNameInAnExportIsEscapedAndTheExportValidates() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--license", "MIT"]).status == 0)
        var statement = try work.statement("model/pedigree.json")
        var subject = (statement["subject"] as! [[String: Any]])[0]
        subject["name"] = Self.hostile
        statement["subject"] = [subject]
        var predicate = statement["predicate"] as! [String: Any]
        var model = predicate["model"] as! [String: Any]
        model["name"] = Self.hostile
        predicate["model"] = model
        statement["predicate"] = predicate
        try work.forge(statement, key: "signer.key", to: "model/pedigree.json")
        for (format, validator) in [("cyclonedx", "validate-cyclonedx.py"), ("spdx", "validate-spdx.py"), ("slsa", "validate-slsa.py")] {
            let printed = try work.run(["export", "model", "--format", format])
            #expect(printed.status == 0, "\(format): \(printed)")
            for raw in ["\u{202E}", "\u{1B}", "\u{2028}"] { #expect(!printed.stdout.contains(raw), "\(format) prints \(raw.unicodeScalars.first!.value) raw") }
            #expect(printed.stdout.contains("acme/evil\\u202egpj.exe\\u001b[2J\\u2028x"), "\(format)")
            // The escapes read back as the name, and the document is valid.
            let document = try JSONSerialization.jsonObject(with: Data(printed.stdout.utf8))
            #expect(String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self).contains("gpj.exe"))
            try work.folder.write("\(format).json", printed.stdout)
            let result = try TestTools.validate(validator, [work.folder.url("\(format).json")])
            #expect(result.status == 0, "\(format): \(result)")
        }
    }
}
