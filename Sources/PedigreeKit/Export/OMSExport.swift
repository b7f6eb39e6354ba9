import PedigreeCrypto

/// A signed manifest as an OpenSSF Model Signing (OMS) v1.0 bundle: the Sigstore bundle v0.3
/// that `model_signing` 1.x writes with `sign key` and reads with `verify key`.
///
/// The Statement's subject is the model's root digest, its predicate (`https://model_signing/
/// signature/v1.0`) lists every file with its digest and how the folder was serialized; the
/// signature is ECDSA (P-256 over SHA-256, P-384 over SHA-384, P-521 over SHA-512 — OMS algorithm registry, "Signing Key Types"; DER) over the DSSE PAE, and the
/// public-key hint is the SHA-256 of the key's PEM text, as `model_signing` computes it.
public enum OMSExport {
    /// The bundle for `manifest` signed by `key`.
    ///
    /// - Parameter ignorePaths: paths (relative, literal) in the folder that are not part of the
    ///   model, so that `model_signing` leaves them out as pedigree did.
    /// - Throws: `ExportError` for a key OMS cannot use (Ed25519).
    ///
    /// - Parameter certificate: sign with the certificate method (OMS v1.0 §4.1): the bundle
    ///   carries `x509CertificateChain` (leaf first, DER) instead of the key hint. Its private
    ///   key must be `key`.
    ///
    /// - Parameter folder: the model's folder. A manifest signed following links may list files
    ///   beneath a link to a folder, which OMS v1.0 §6.1.1 does not enumerate (a folder link is
    ///   not a file, and model_signing 1.1.1 skips it): with the folder at hand those files are
    ///   left out of the bundle and its root digest is computed over the rest.
    public static func bundle(
        _ manifest: SignedManifest, key: PrivateKey, ignorePaths: [String], certificate: CertificateSigningKey? = nil,
        folder: String? = nil
    ) throws -> ManifestBundle {
        guard key.algorithm.isECDSA else {
            throw ExportError(
                "OMS key signing uses ECDSA (P-256, P-384 or P-521), as the OMS algorithm registry lists; this key is \(key.algorithm.displayName): "
                    + "make one with 'pedigree keygen --algorithm ecdsa-p256'")
        }
        var entries = manifest.entries
        var root = manifest.rootDigest
        if manifest.serialization.allowSymlinks, let folder {
            let files = entries.filter { !OMSEnumeration.isBeyondFolderLink($0.name.string, root: folder) }
            if files.count != entries.count {
                guard !files.isEmpty else {
                    throw ExportError("every file of the manifest lies beneath a link to a folder, which OMS v1.0 §6.1.1 does not enumerate")
                }
                entries = files
                root = RootDigest.compute(files.map { ($0.name.string, $0.digest) })
            }
        }
        let payload = try StatementCodec.encodeOMS(
            name: manifest.name, root: root,
            serialization: Serialization(allowSymlinks: manifest.serialization.allowSymlinks, ignorePaths: ignorePaths),
            // Listed in model_signing's order (path components compared one by one), the order
            // the root digest is computed in: a verifier hashes them as listed.
            entries: entries.sorted { RelativePath.precedes($0.name.string, $1.name.string) }.map { ($0.name, $0.digest) })
        let envelope = try Envelope.sign(payload: payload, payloadType: MediaTypes.inToto, key: key)
        let material: VerificationMaterial
        if let certificate {
            material = VerificationMaterial(certificateChain: certificate.chain.certificates.map(\.derEncoded))
        } else {
            material = VerificationMaterial(publicKeyHint: SHA256.hash(Array(try key.publicKey.pem.utf8)).hex)
        }
        return ManifestBundle(kind: .sigstore, dsseEnvelope: envelope, verificationMaterial: material)
    }

    /// The paths in `folder` that `model_signing` would hash but that are not files of the
    /// manifest (left out by pedigree's ignore patterns, or the manifest itself): they go into
    /// the bundle's `ignore_paths`. Folders left out whole are named once.
    public static func ignorePaths(folder: String, manifest: SignedManifest) throws(FileError) -> [String] {
        let everything = ModelFolder(
            path: folder, ignorePatterns: ModelFolder.omsDefaultIgnores, followSymlinks: manifest.serialization.allowSymlinks)
        let (files, problems) = try everything.scan()
        let listed = Set(manifest.entries.map { ByteKey($0.name.string) })
        let present = files.map(\.name) + problems.map(\.path)
        let extra = present.filter { !listed.contains(ByteKey($0)) }
        // Name the highest folders that hold nothing of the model, then the lone files.
        var ignored: [String] = []
        for path in extra.sorted(by: RelativePath.precedes) {
            if ignored.contains(where: { path.utf8.starts(with: ($0 + "/").utf8) }) { continue }
            var components = path.split(separator: "/").map(String.init)
            var candidate = path
            while components.count > 1 {
                components.removeLast()
                let folderPath = components.joined(separator: "/")
                let prefix = folderPath + "/"
                if listed.contains(where: { String(decoding: $0.bytes, as: UTF8.self).utf8.starts(with: prefix.utf8) }) { break }
                candidate = folderPath
            }
            if !ignored.contains(candidate) { ignored.append(candidate) }
        }
        return ignored
    }
}
