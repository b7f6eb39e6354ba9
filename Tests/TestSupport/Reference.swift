import Foundation
import Testing

/// The reference material the project does not carry: the genuine text of the OpenAtom Model
/// License 1.0 (never copied into the repository), the OMS v1.0 specification with its schemas
/// and test vectors, and the SPDX 3.0.1 schema, context and model.
///
/// It is read from `../shared/reference/` beside the repository (where CI has it), or from the
/// folder `PEDIGREE_REFERENCE_DIR` names. A fresh clone has neither: a test that needs it takes
/// a trait that skips it, with the reason printed, when it is absent —
///
/// ```swift
/// @Test(.needsOpenAtomText) func recognisesTheGenuineText() throws {
///     let text = try Reference.openAtomText()
///     ...
/// }
/// @Test(.needsOMSSpec) func matchesTheTestVectors() throws {
///     let vectors = try Reference.omsSpecFolder() + "/test-vectors"
///     ...
/// }
/// ```
///
/// — and every other test brings its own license files (``Reference/standInOpenAtomText``,
/// or a made-up text of its own).
public enum Reference {
    /// The file name of the OpenAtom Model License text in the reference folder.
    public static let openAtomFileName = "OpenAtom-Model-License-1.0.txt"
    /// The OMS v1.0 specification's folder in the reference folder.
    public static let omsSpecFolderName = "oms-spec-v1.0"
    /// The SPDX 3.0.1 folder in the reference folder.
    public static let spdxFolderName = "spdx-3.0.1"

    /// Where the reference material is looked for: `PEDIGREE_REFERENCE_DIR` when it is set,
    /// else `../shared/reference` beside the package.
    public static let folder: String = {
        if let custom = ProcessInfo.processInfo.environment["PEDIGREE_REFERENCE_DIR"], !custom.isEmpty {
            return (custom as NSString).standardizingPath
        }
        return ((packageRoot as NSString).deletingLastPathComponent as NSString).appendingPathComponent("shared/reference")
    }()

    /// `folder/relative`, when it exists.
    public static func path(_ relative: String) throws -> String {
        let full = folder + "/" + relative
        guard FileManager.default.fileExists(atPath: full) else { throw ToolError(message: missingReason(relative)) }
        return full
    }

    /// Whether `folder/relative` exists.
    public static func has(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/" + relative)
    }

    /// Whether the genuine OpenAtom Model License text is there.
    public static var hasOpenAtomText: Bool { has(openAtomFileName) }

    /// The genuine text of the OpenAtom Model License 1.0.
    public static func openAtomText() throws -> Data {
        let path = try path(openAtomFileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ToolError(message: "the genuine OpenAtom Model License text at \(path) cannot be read")
        }
        return data
    }

    /// The OMS v1.0 specification folder (`spec-v1.0.md`, `schemas/`, `test-vectors/`).
    public static func omsSpecFolder() throws -> String { try path(omsSpecFolderName) }

    /// The SPDX 3.0.1 folder (`schema.json`, `spdx-context.jsonld`, `spdx-model.ttl`).
    public static func spdxFolder() throws -> String { try path(spdxFolderName) }

    /// Why a test that needs `relative` cannot run.
    public static func missingReason(_ relative: String) -> String {
        """
        reference material \(relative) not found in \(folder): it is read from ../shared/reference/ beside \
        the repository or from the folder PEDIGREE_REFERENCE_DIR names
        """
    }

    /// A made-up license text, not the OpenAtom text: it carries the phrases by which pedigree
    /// recognises the OpenAtom Model License, so `sign` records that license, but `check` does
    /// not take it for the published text (a model's own copy passes only when an ancestor
    /// carried the same file). For tests that need a license file, not the genuine text.
    public static let standInOpenAtomText = """
        OpenAtom Model License, Version 1.0 (a stand-in written for pedigree's tests, not the license)

        1. Definitions. Words a test needs and nothing more.

        3. Conditions of Distribution. A redistributor keeps this file and its notices.

        A Hosted Service is a service that lets others use the model without receiving it.

        """
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where the genuine OpenAtom Model License text is found (see
    /// ``Reference``); elsewhere it is skipped with the reason.
    public static var needsOpenAtomText: Self { needsReference(Reference.openAtomFileName) }

    /// Runs the test only where the OMS v1.0 specification folder is found.
    public static var needsOMSSpec: Self { needsReference(Reference.omsSpecFolderName) }

    /// Runs the test only where the SPDX 3.0.1 folder is found.
    public static var needsSPDXSpec: Self { needsReference(Reference.spdxFolderName) }

    /// Runs the test only where `relative` is found in the reference folder; elsewhere it is
    /// skipped with the reason.
    public static func needsReference(_ relative: String) -> Self {
        .enabled(if: Reference.has(relative), Comment(rawValue: Reference.missingReason(relative)))
    }
}

/// The genuine text of the OpenAtom Model License 1.0.
@available(*, deprecated, message: "use Reference.openAtomText() in a test with the .needsOpenAtomText trait")
public func openAtomLicenseText() throws -> Data { try Reference.openAtomText() }
