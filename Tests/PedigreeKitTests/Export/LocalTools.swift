import Foundation
import Testing
import TestSupport

/// Where the export and licensing tests find the tools and reference files they cross-check
/// against, in one place: when TestSupport gains `TestTools.python` and `Reference` (the
/// `setup` branch), these members become calls to them.
enum LocalTools {
    /// The Python that has the validators' packages: `$PEDIGREE_PYTHON`, else the shared
    /// environment beside the worktrees (`../coord/venv`), else `python3` on the `PATH`.
    static let python: String = {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["PEDIGREE_PYTHON"], !given.isEmpty { return given }
        let shared = packageRoot + "/../coord/venv/bin/python3"
        if FileManager.default.isExecutableFile(atPath: shared) { return shared }
        return "python3"
    }()

    /// Runs `Scripts/<script>` with `arguments` under `python`.
    static func script(_ script: String, _ arguments: [String]) throws -> ProcessResult {
        let command = python.contains("/") ? python : "/usr/bin/env"
        let prefix = python.contains("/") ? [] : [python]
        return try run(command, prefix + [packageRoot + "/Scripts/" + script] + arguments, timeout: 900)
    }

    /// The folder of the SPDX 3.0.1 reference (`schema.json`, `spdx-model.ttl`,
    /// `spdx-context.jsonld`): `$PEDIGREE_REFERENCE_DIR/spdx-3.0.1`, else
    /// `../shared/reference/spdx-3.0.1` beside the repository; `nil` when it is not there.
    static let spdxReference: String? = {
        let folder = (ProcessInfo.processInfo.environment["PEDIGREE_REFERENCE_DIR"] ?? packageRoot + "/../shared/reference")
            + "/spdx-3.0.1"
        let files = ["schema.json", "spdx-model.ttl", "spdx-context.jsonld"]
        return files.allSatisfy { FileManager.default.isReadableFile(atPath: folder + "/" + $0) } ? folder : nil
    }()

    /// Whether `python` can import what the reference checks need (jsonschema, pyshacl).
    static let hasReferenceValidators: Bool = {
        let command = python.contains("/") ? python : "/usr/bin/env"
        let prefix = python.contains("/") ? [] : [python]
        return (try? run(command, prefix + ["-c", "import jsonschema, pyshacl, rdflib"]))?.status == 0
    }()

    /// Why the reference checks are skipped, when they are.
    static let referenceMissing: Comment = """
        the SPDX 3.0.1 reference (schema.json, spdx-model.ttl, spdx-context.jsonld) is not in \
        ../shared/reference/spdx-3.0.1 beside the repository nor in $PEDIGREE_REFERENCE_DIR/spdx-3.0.1
        """
    static let validatorsMissing: Comment = """
        the Python found ($PEDIGREE_PYTHON, ../coord/venv or python3) cannot import jsonschema, pyshacl and rdflib
        """

    /// The Apache License 2.0 as the system ships it (Debian's common-licenses), or `nil`.
    static let apacheText: Data? = FileManager.default.contents(atPath: "/usr/share/common-licenses/Apache-2.0")
    static let apacheMissing: Comment = """
        the system has no /usr/share/common-licenses/Apache-2.0 (Debian's base-files ships it) to read the \
        published Apache License 2.0 text from
        """
}
