import Foundation
import Testing
import TestSupport

/// What the export and licensing tests read besides the test tools: the SPDX 3.0.1 reference
/// and the system's copy of the Apache License 2.0 text.
enum LocalTools {
    /// Runs `Scripts/<script>` with `arguments` under the test tools' Python.
    static func script(_ script: String, _ arguments: [String]) throws -> ProcessResult {
        try TestTools.validate(script, arguments, timeout: 900)
    }

    /// The folder of the SPDX 3.0.1 reference (`schema.json`, `spdx-model.ttl`,
    /// `spdx-context.jsonld`); the tests that read it carry `.needsSPDXSpec`.
    static var spdxReference: String { get throws { try Reference.spdxFolder() } }

    /// The Apache License 2.0 as the system ships it (Debian's common-licenses), or `nil`.
    static let apacheText: Data? = FileManager.default.contents(atPath: "/usr/share/common-licenses/Apache-2.0")
    static let apacheMissing: Comment = """
        the system has no /usr/share/common-licenses/Apache-2.0 (Debian's base-files ships it) to read the \
        published Apache License 2.0 text from
        """
}
