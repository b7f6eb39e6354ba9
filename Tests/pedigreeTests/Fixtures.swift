import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

/// A scratch area with a small model folder and keys, for the command-line tests.
final class Workspace: @unchecked Sendable {
    let folder: TemporaryFolder
    var path: String { folder.path }

    init() throws {
        folder = try TemporaryFolder()
    }

    /// A workspace in an existing temporary folder (a `TestPKI`'s, so keys and certificates sit beside the model).
    init(folder: TemporaryFolder) {
        self.folder = folder
    }

    /// Copies the example model shipped in the repository into `name`.
    @discardableResult
    func exampleModel(_ name: String = "model") throws -> String {
        try shell("cp -R '\(packageRoot)/Examples/tiny-model' '\(folder.url(name))'")
        return folder.url(name)
    }

    /// Runs `pedigree keygen` for `name`.key / `name`.pub.
    @discardableResult
    func keygen(_ name: String, _ algorithm: String = "ed25519") throws -> ProcessResult {
        let result = try pedigree(["keygen", "--algorithm", algorithm, "--out", "\(name).key"], currentDirectory: path)
        #expect(result.status == 0, "\(result)")
        return result
    }

    /// Runs pedigree in this workspace.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String]? = nil, stdin: Data? = nil, timeout: TimeInterval = 120) throws -> ProcessResult {
        try pedigree(arguments, stdin: stdin, environment: environment, currentDirectory: path, timeout: timeout)
    }

    func read(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: folder.url(relative))) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: folder.url(relative)) }

    /// The bundle at `relative`, parsed.
    func bundle(_ relative: String) throws -> ManifestBundle { try ManifestBundle.parse(Array(try read(relative))) }

    /// The signed Statement of the bundle at `relative`, as JSON.
    func statement(_ relative: String) throws -> [String: Any] {
        let bundle = try bundle(relative)
        return try JSONSerialization.jsonObject(with: Data(bundle.dsseEnvelope.payload)) as! [String: Any]
    }

    /// Validates bundles against Schemas/ with Python's jsonschema; the problems it finds.
    func schemaProblems(_ relatives: [String]) throws -> String {
        let check = try TestTools.validate("validate-manifest.py", relatives.map(folder.url))
        return check.status == 0 && check.stdout.isEmpty ? "" : check.stdout + check.stderr
    }

    /// Signs `statement` with the key file `keyName` into a bundle at `relative`, bypassing
    /// every check `pedigree sign` makes: how a hostile or careless publisher could write one.
    func forge(_ statement: [String: Any], key keyName: String, to relative: String, payloadType: String = MediaTypes.inToto) throws {
        let payload = Array(try JSONSerialization.data(withJSONObject: statement, options: [.sortedKeys]))
        let key = try PrivateKey(pem: Array(try read(keyName)))
        var envelope = Envelope(payloadType: payloadType, payload: payload, signatures: [])
        try envelope.addSignature(key: key)
        let bundle = ManifestBundle(kind: .pedigree, dsseEnvelope: envelope)
        try folder.write(relative, Data(try bundle.encoded()))
    }
}
