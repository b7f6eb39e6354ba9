import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hash a model folder and write its signed manifest (DIR/pedigree.json).",
        discussion: """
            The manifest is an in-toto Statement v1 in a DSSE envelope. It is written \
            atomically and never over an existing file without --force; model files are never \
            modified. With --append, an existing manifest gets one more signature over the same \
            payload after the folder is checked against it.
            """
    )

    @Argument(help: "The model folder.")
    var folder: String

    @Option(name: .shortAndLong, help: "The private key (PEM).")
    var key: String

    @Option(name: .shortAndLong, help: "Where to write the manifest (default: DIR/pedigree.json).")
    var output: String?

    @Flag(help: "Replace an existing manifest.")
    var force = false

    @Flag(help: "Add a signature to the existing manifest instead of writing a new one.")
    var append = false

    @Option(help: "The model's name (default: the folder's name).")
    var name: String?

    @Option(help: "The model's version.")
    var version: String?

    @Option(help: "The license: an SPDX id, or 'openatom' for the OpenAtom Model License 1.0.")
    var license: String?

    @Option(help: "A notice of this publisher's to record (repeatable).")
    var attribution: [String] = []

    @Option(help: "A file of notices, one per paragraph, to record as this publisher's (repeatable).")
    var noticeFile: [String] = []

    @Option(help: "A file with additional terms for this publisher's modifications.")
    var additionalTermsFile: String?

    @Option(help: "How the model is distributed: files or hosted.")
    var distribution: Distribution = .files

    @Option(help: "A path pattern to leave out, relative to the folder (repeatable).")
    var ignore: [String] = []

    @Option(help: "GLOB=ROLE: give matching files this role (repeatable).")
    var role: [RoleOverride] = []

    @Flag(help: "Follow links that stay inside the folder (or a Hugging Face cache's blobs).")
    var followSymlinks = false

    @OptionGroup(title: "Deriving from parents") var derivation: DerivationOptions
    @OptionGroup var hashing: HashingOptions
    @OptionGroup(title: "Reusing digests") var cache: CacheOptions
    @OptionGroup(title: "Signing from digests computed elsewhere") var supplied: DigestOptions
    @OptionGroup var passphrase: PassphraseOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    var manifestPath: String { output ?? joinPath(folder, "pedigree.json") }

    func validate() throws {
        if append, force { throw ValidationError("--append adds to a manifest; --force would replace it") }
        if append, !derivation.parent.isEmpty || !derivation.teacher.isEmpty || derivation.spec != nil {
            throw ValidationError("--append countersigns an existing manifest; it takes no parents")
        }
        if append, supplied.isEnabled { throw ValidationError("--append checks the folder itself; it takes no --digests") }
        if supplied.noFolder, output == nil { throw ValidationError("--no-folder needs --output: there is no folder to write into") }
    }

    func run() throws {
        var isFolder: ObjCBool = false
        guard supplied.noFolder || FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue else {
            throw fail("\(folder): not a folder", code: Exit.noInput)
        }
        let privateKey: PrivateKey
        do {
            privateKey = try KeyFiles.privateKey(key, passphrase: try passphrase.passphrase())
        } catch let error as KeyFileError {
            throw fail(error.description, code: error.isUnreadable ? Exit.noInput : Exit.dataError)
        }
        if append {
            try appendSignature(privateKey)
        } else {
            try signAnew(privateKey)
        }
    }

    private func signAnew(_ privateKey: PrivateKey) throws {
        if !force, FileManager.default.fileExists(atPath: manifestPath) {
            throw fail("\(manifestPath): already exists; not overwritten (use --force to replace it)", code: Exit.cannotCreate)
        }
        let derivative = try derivation.resolve()
        var notices = attribution.map { Notice(kind: .attribution, text: $0) }
        for file in noticeFile {
            notices += NoticeText.parse(try readText(file))
        }
        let request = SignRequest(
            folder: folder, name: name ?? derivative.name, version: version ?? derivative.version, license: license, notices: notices,
            additionalTerms: try additionalTermsFile.map(readText), distribution: distribution,
            ignore: ignore, roles: RoleClassifier(overrides: role.map { ($0.glob, $0.role) }),
            followSymlinks: followSymlinks, createdAt: try createdAt())
        let derivationRequest = derivative.request
        var engine = hashing.engine
        let digestCache = supplied.isEnabled ? nil : cache.open()
        engine.memo = digestCache
        let signer = ModelSigner(engine: engine)
        let counter = ByteCounter()
        let progress = ProgressLine(counter: counter, total: 0, enabled: !hashing.quiet && !json)
        var predicate: ModelPredicate
        do {
            let extra = supplied.noFolder ? [] : relativeInside(manifestPath).map { [Glob.escape($0)] } ?? []
            if supplied.isEnabled {
                defer { progress.finish() }
                predicate = try supplied.describe(signer, request, extraIgnores: extra, progress: counter)
            } else {
                predicate = try signer.describe(request, extraIgnores: extra, progress: counter)
            }
            progress.finish()
        } catch let error as SignError {
            progress.finish()
            throw fail(error.description, code: inputStatusOf(error))
        }
        let reused = digestCache.map(finishDigestCache)
        var ancestors: [AncestorEntry] = []
        if let derivationRequest {
            ancestors = try derivation.derive(derivationRequest, into: &predicate, quiet: json)
        }
        let result: SignResult
        do {
            result = try signer.sign(predicate, key: privateKey, ancestors: ancestors)
        } catch {
            throw fail(error.description, code: inputStatusOf(error))
        }
        try write(result.bundle)
        report(result, algorithm: privateKey.algorithm, reused: reused)
    }

    private func appendSignature(_ privateKey: PrivateKey) throws {
        var bundle: ManifestBundle
        let manifest: SignedManifest
        do {
            bundle = try ManifestBundle.load(manifestPath)
            manifest = try SignedManifest(envelope: bundle.dsseEnvelope)
        } catch {
            if case .unreadable(let fileError) = error {
                throw fail("\(manifestPath): \(fileError.reasonText)", code: inputStatus(fileError))
            }
            throw fail("\(manifestPath): \(error)", code: Exit.dataError)
        }
        let keyID = try privateKey.publicKey.keyID
        if bundle.dsseEnvelope.signatures.contains(where: { $0.keyid == keyID }) {
            throw fail("\(manifestPath): already signed by this key (\(short(keyID))…)", code: Exit.dataError)
        }
        // A countersignature vouches for the files: check them before signing.
        let differences = filesDifferingFromManifest(folder: folder, manifestPath: manifestPath, engine: hashing.engine)
        if !differences.isEmpty {
            throw fail(
                "\(manifestPath): the folder does not match the manifest; not countersigned:\n"
                    + differences.map { "  \($0)" }.joined(separator: "\n"),
                code: 1)
        }
        do {
            try bundle.dsseEnvelope.addSignature(payload: manifest.payload, key: privateKey)
        } catch {
            throw fail("signing failed: \(error)", code: 70)
        }
        do {
            try AtomicFile.write(try bundle.encoded(), to: manifestPath, overwrite: true)
        } catch let error as FileError {
            throw fail(error.description, code: Exit.cannotCreate)
        }
        if json {
            try Console.json(["manifest": manifestPath, "keyid": keyID, "signatures": "\(bundle.dsseEnvelope.signatures.count)"])
        } else {
            Console.out("countersigned \(manifest.name): \(plural(manifest.entries.count, "file")) checked, signature \(bundle.dsseEnvelope.signatures.count) added")
            Console.out("  key             \(privateKey.algorithm.displayName) \(keyID)")
            Console.out("wrote \(manifestPath)")
        }
    }

    private func write(_ bundle: ManifestBundle) throws {
        do {
            try AtomicFile.write(try bundle.encoded(), to: manifestPath, overwrite: force)
        } catch let error as FileError {
            throw fail(error.description, code: Exit.cannotCreate)
        }
    }

    private func report(_ result: SignResult, algorithm: KeyAlgorithm, reused: Int?) {
        let predicate = result.statement.predicate
        if json {
            try? Console.json(SignSummary(result: result, manifest: manifestPath, reused: reused))
            return
        }
        Console.out("signed \(predicate.model.name): \(plural(predicate.resources.count, "file")), \(formatBytes(result.totalBytes))")
        if let reused {
            Console.out("  digest cache    \(reused) of \(plural(predicate.resources.count, "file")) reused, the rest read")
        }
        if let supplied = predicate.suppliedDigests {
            Console.out("  digests         \(supplied.summary)")
        }
        Console.out("  root digest     \(result.rootDigest.hex)")
        Console.out("  manifest digest \(result.manifestDigest.hex)")
        Console.out("  key             \(algorithm.displayName) \(result.keyID)")
        if let license = predicate.license {
            let files = license.files.map(\.name).joined(separator: ", ")
            Console.out("  license         \(license.id)\(files.isEmpty ? "" : " (\(files))")")
        }
        if let lineage = predicate.lineage {
            for (parent, changes) in zip(lineage.parents, lineage.changes) {
                var parts = ["\(changes.unchanged.count) unchanged"]
                if !changes.modified.isEmpty { parts.append("\(changes.modified.count) modified") }
                if !changes.added.isEmpty { parts.append("\(changes.added.count) added") }
                if !changes.removed.isEmpty { parts.append("\(changes.removed.count) removed") }
                if !changes.renamed.isEmpty { parts.append("\(changes.renamed.count) renamed") }
                let role = parent.role == "base" ? "" : " (\(parent.role))"
                Console.out("  \(parent.relation.rawValue) of \(parent.name)\(role): \(parts.joined(separator: ", "))")
            }
            let notices = predicate.notices
            Console.out("  notices         \(notices.retained.count) retained, \(notices.added.count) added, \(notices.dropped.count) dropped")
        }
        Console.out("wrote \(manifestPath)")
    }

    /// The manifest's path relative to the folder when it is written inside it (and is not
    /// the default name, which is always left out).
    private func relativeInside(_ path: String) -> String? {
        guard let relative = relativePath(of: path, inside: folder), relative != "pedigree.json" else { return nil }
        return relative
    }
}

/// The time to record: `SOURCE_DATE_EPOCH` when set, else now.
func createdAt() throws -> String {
    do {
        return try Timestamp.now(environment: ProcessInfo.processInfo.environment)
    } catch {
        throw fail(error.description, code: 64)
    }
}

/// The contents of a small text file named on the command line.
func readText(_ path: String) throws -> String {
    do {
        return String(decoding: try readSmallFile(path, limit: 16 << 20), as: UTF8.self)
    } catch {
        throw fail(error.description, code: inputStatus(error))
    }
}

private struct SignSummary: Encodable {
    var manifest: String
    var model: String
    var files: Int
    var bytes: Int64
    var rootDigest: String
    var manifestDigest: String
    var keyid: String
    /// Files whose digest came from the digest cache; absent when the cache was not used.
    var reused: Int?
    var suppliedDigests: SuppliedDigests?

    init(result: SignResult, manifest: String, reused: Int?) {
        self.manifest = manifest
        model = result.statement.predicate.model.name
        files = result.statement.predicate.resources.count
        bytes = result.totalBytes
        rootDigest = result.rootDigest.hex
        manifestDigest = result.manifestDigest.hex
        keyid = result.keyID
        self.reused = reused
        suppliedDigests = result.statement.predicate.suppliedDigests
    }
}
