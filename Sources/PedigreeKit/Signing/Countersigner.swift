import PedigreeCrypto

/// How a folder was checked against a manifest before a new signature vouches for it.
public struct FolderCheck: Sendable {
    /// The bundle, as read.
    public var bundle: ManifestBundle
    public var manifest: SignedManifest
    /// How many files were found to have their signed digests.
    public var filesChecked: Int
    /// Whether a signature of the manifest is by one of the trusted keys given.
    public var signerTrusted: Bool
    /// The manifest's own ignore patterns that were used beyond the defaults, when any were.
    public var manifestPatterns: [String]
    /// Whether links were followed because the manifest says so.
    public var followedLinks: Bool
}

/// One signature a countersignature added.
public struct AddedSignature: Equatable, Sendable {
    /// 1-based position in the envelope.
    public var index: Int
    public var keyID: String
}

/// A countersigned bundle, ready to be written, and what was checked.
public struct CountersignResult: Sendable {
    public var check: FolderCheck
    /// The bundle with the new signatures appended; its payload is unchanged.
    public var bundle: ManifestBundle
    /// The signatures added, one per key, in the order the keys were given.
    public var signatures: NonEmptyArray<AddedSignature>
}

/// Why a manifest was not countersigned (or exported).
public enum CountersignError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    case manifest(path: String, ManifestError)
    case alreadySigned(path: String, keyID: String)
    /// The envelope holds `held` signatures, and `adding` more would pass
    /// `Limits.signaturesPerEnvelope`.
    case signatureLimit(path: String, held: Int, adding: Int)
    /// The manifest walks the folder its own way (patterns beyond the defaults, or links
    /// followed), nobody trusted signed it, and the caller did not accept that.
    case untrustedSerialization(path: String, patterns: [String], followsLinks: Bool)
    /// The folder does not match the manifest: one line per difference.
    case folderDiffers(path: String, [String])
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case let .manifest(path, error): return "\(printable(path)): \(error)"
        case let .alreadySigned(path, keyID): return "\(printable(path)): already signed by this key (\(keyID.prefix(12))…)"
        case let .signatureLimit(path, held, adding):
            if held >= Limits.signaturesPerEnvelope {
                return "\(printable(path)): already holds \(held) signatures, the most an envelope may "
                    + "carry (verify refuses more); not countersigned"
            }
            return "\(printable(path)): carries \(held) signatures; \(adding) more would pass the limit of "
                + "\(Limits.signaturesPerEnvelope) a verifier reads; not countersigned"
        case let .untrustedSerialization(path, patterns, followsLinks):
            var what: [String] = []
            if !patterns.isEmpty { what.append("leaves out " + patterns.map { "'\(printable($0))'" }.joined(separator: ", ")) }
            if followsLinks { what.append("follows symbolic links") }
            return "\(printable(path)): no trusted key signed it, and it walks the folder its own way (it "
                + what.joined(separator: " and ") + "); not countersigned. Give its signer's key with --trusted-key, "
                + "or pass --accept-manifest-serialization to check the folder its way"
        case let .folderDiffers(path, differences):
            return "\(printable(path)): the folder does not match the manifest; not countersigned:\n"
                + differences.map { "  \($0)" }.joined(separator: "\n")
        case let .crypto(error): return "signing failed: \(error)"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case let .manifest(_, error): return error.exitStatus
        case .alreadySigned, .signatureLimit, .untrustedSerialization: return .dataError
        case .folderDiffers: return .failure
        case .crypto: return .software
        }
    }
}

/// Adds a signature to an existing manifest after checking the folder against it: the
/// workflow of `pedigree sign --append`.
///
/// A countersignature vouches for the files, so the folder must match. How the folder is
/// walked is itself part of what is vouched for: a manifest's own ignore patterns and link
/// setting are used only when one of `trustedKeys` signed it or the caller says so
/// (`acceptManifestSerialization`); otherwise a manifest that departs from the defaults is
/// refused, naming what it would leave out, rather than checked the defaults' way and
/// reported as a mismatch the signer cannot explain.
public enum Countersigner {
    /// Checks `folder` against the manifest at `manifestPath` (see the type's summary).
    ///
    /// - Throws: `.manifest` for a bundle that cannot be read, `.untrustedSerialization`,
    ///   `.folderDiffers`.
    public static func checkFolder(
        folder: String, manifestPath: String, trustedKeys: [TrustedKey], acceptManifestSerialization: Bool,
        engine: HashEngine = HashEngine(), progress: ByteCounter? = nil
    ) throws(CountersignError) -> FolderCheck {
        let bundle: ManifestBundle
        let manifest: SignedManifest
        do {
            bundle = try ManifestBundle.load(manifestPath)
            manifest = try SignedManifest(envelope: bundle.dsseEnvelope)
        } catch {
            throw .manifest(path: manifestPath, error)
        }
        return try checkFolder(
            folder: folder, manifestPath: manifestPath, bundle: bundle, manifest: manifest, trustedKeys: trustedKeys,
            acceptManifestSerialization: acceptManifestSerialization, engine: engine, progress: progress)
    }

    private static func checkFolder(
        folder: String, manifestPath: String, bundle: ManifestBundle, manifest: SignedManifest, trustedKeys: [TrustedKey],
        acceptManifestSerialization: Bool, engine: HashEngine, progress: ByteCounter?
    ) throws(CountersignError) -> FolderCheck {
        let trusted = bundle.dsseEnvelope.checkSignatures(keys: trustedKeys).isTrusted
        let own = ManifestVerifier.serializationBeyondDefaults(manifest)
        let departs = !own.patterns.isEmpty || own.followsLinks
        if departs, !trusted, !acceptManifestSerialization {
            throw .untrustedSerialization(path: manifestPath, patterns: own.patterns, followsLinks: own.followsLinks)
        }
        let verifier = ManifestVerifier(keys: trustedKeys, engine: engine, acceptUntrustedSerialization: acceptManifestSerialization)
        // The bundle checked is the bundle signed: the file is not read a second time.
        let report = verifier.verify(folder: folder, bundle: bundle, manifestPath: manifestPath, progress: progress)
        let differences = report.findings.filter { $0.kind != .untrusted }.map(\.message)
            + report.files.filter { $0.status != .ok }.map { "\(printable($0.name)): \($0.status.rawValue)" }
        guard differences.isEmpty else { throw .folderDiffers(path: manifestPath, differences) }
        return FolderCheck(
            bundle: bundle, manifest: manifest, filesChecked: report.files.count, signerTrusted: trusted,
            manifestPatterns: departs ? own.patterns : [], followedLinks: departs && own.followsLinks)
    }

    /// Checks the folder, then appends one signature per key over the same payload.
    ///
    /// Refuses before reading any file when one of `keys` already signed the manifest or the
    /// new signatures would take the envelope past `Limits.signaturesPerEnvelope`; nothing is
    /// written here (the caller writes `result.bundle`).
    public static func countersign(
        folder: String, manifestPath: String, keys: NonEmptyArray<PrivateKey>, trustedKeys: [TrustedKey],
        acceptManifestSerialization: Bool, engine: HashEngine = HashEngine(), progress: ByteCounter? = nil
    ) throws(CountersignError) -> CountersignResult {
        let bundle: ManifestBundle
        let manifest: SignedManifest
        do {
            bundle = try ManifestBundle.load(manifestPath)
            manifest = try SignedManifest(envelope: bundle.dsseEnvelope)
        } catch {
            throw .manifest(path: manifestPath, error)
        }
        func keyID(_ key: PrivateKey) throws(CountersignError) -> String {
            do {
                return try key.publicKey.keyID
            } catch {
                throw .crypto(error)
            }
        }
        let signers = NonEmptyArray((key: keys.first, id: try keyID(keys.first)), try keys.dropFirst().map { key throws(CountersignError) in
            (key: key, id: try keyID(key))
        })
        for signer in signers where bundle.dsseEnvelope.signatures.contains(where: { $0.keyid == signer.id }) {
            throw .alreadySigned(path: manifestPath, keyID: signer.id)
        }
        let held = bundle.dsseEnvelope.signatures.count
        guard held + keys.count <= Limits.signaturesPerEnvelope else {
            throw .signatureLimit(path: manifestPath, held: held, adding: keys.count)
        }
        let check = try checkFolder(
            folder: folder, manifestPath: manifestPath, bundle: bundle, manifest: manifest, trustedKeys: trustedKeys,
            acceptManifestSerialization: acceptManifestSerialization, engine: engine, progress: progress)
        var signed = bundle
        func add(_ signer: (key: PrivateKey, id: String)) throws(CountersignError) -> AddedSignature {
            do {
                try signed.dsseEnvelope.addSignature(key: signer.key)
            } catch {
                throw .crypto(error)
            }
            return AddedSignature(index: signed.dsseEnvelope.signatures.count, keyID: signer.id)
        }
        let first = try add(signers.first)
        let rest = try signers.dropFirst().map { signer throws(CountersignError) in try add(signer) }
        return CountersignResult(check: check, bundle: signed, signatures: NonEmptyArray(first, rest))
    }

    /// Checks the folder, then appends `key`'s signature (see `countersign(folder:manifestPath:keys:…)`).
    public static func countersign(
        folder: String, manifestPath: String, key: PrivateKey, trustedKeys: [TrustedKey],
        acceptManifestSerialization: Bool, engine: HashEngine = HashEngine(), progress: ByteCounter? = nil
    ) throws(CountersignError) -> CountersignResult {
        try countersign(
            folder: folder, manifestPath: manifestPath, keys: NonEmptyArray(key), trustedKeys: trustedKeys,
            acceptManifestSerialization: acceptManifestSerialization, engine: engine, progress: progress)
    }
}
