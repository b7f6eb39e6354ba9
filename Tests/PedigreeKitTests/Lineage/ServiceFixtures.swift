import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import TestSupport

/// A model folder signed in-process, for the services that read folders and manifests.
struct SignedFolder {
    let root: TemporaryFolder
    let key: PrivateKey
    let trusted: TrustedKey

    init(files: [String: String], name: String = "acme/base", notices: [Notice] = [], license: String? = "MIT") throws {
        root = try TemporaryFolder()
        key = try PrivateKey.generate(.ed25519)
        trusted = TrustedKey(key: try key.publicKey, label: "signer.pub")
        for (relative, contents) in files { try root.write("base/\(relative)", contents) }
        try sign("base", name: name, notices: notices, license: license)
    }

    var base: String { root.url("base") }

    /// Signs the folder `relative` into its `pedigree.json`, as a derivative when `derivation` is given.
    @discardableResult
    func sign(
        _ relative: String, name: String, notices: [Notice] = [], license: String? = "MIT", derivation: DerivationRequest? = nil
    ) throws -> SignResult {
        let signer = ModelSigner()
        var predicate = try signer.describe(SignRequest(
            folder: root.url(relative), name: name, license: license, notices: notices, createdAt: "2024-05-01T10:00:00Z"))
        var ancestors: [AncestorEntry] = []
        if let derivation {
            ancestors = try Deriver.apply(derivation, parents: try Deriver.loadParents(derivation), to: &predicate)
        }
        let result = try signer.sign(predicate, key: key, ancestors: ancestors)
        try root.write("\(relative)/pedigree.json", Data(try result.bundle.encoded()))
        return result
    }

    /// Copies `base` to `relative` without its manifest, with `changes` written over it.
    func copy(to relative: String, changes: [String: String]) throws {
        try FileManager.default.copyItem(atPath: base, toPath: root.url(relative))
        try FileManager.default.removeItem(atPath: root.url("\(relative)/pedigree.json"))
        for (file, contents) in changes { try root.write("\(relative)/\(file)", contents) }
    }
}
