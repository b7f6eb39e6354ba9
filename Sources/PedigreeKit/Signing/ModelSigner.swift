import PedigreeCrypto

/// What to sign and how to describe it.
public struct SignRequest: Sendable {
    /// The model folder.
    public var folder: String
    /// The model's name; the folder's name when `nil`.
    public var name: String?
    public var version: String?
    /// A license id or alias (`--license`); recognised from the license files when `nil`.
    public var license: String?
    /// The license the README's front matter declares (`ModelCard.declared`): recorded only
    /// when `license` is `nil` and no license file's text names a license pedigree knows.
    public var declaredLicense: String? = nil
    /// This publisher's own notices (§3.2): attributions and those read from notice files.
    public var notices: [Notice]
    /// Additional terms this publisher applies to its modifications (§3.2).
    public var additionalTerms: String?
    public var distribution: Distribution
    /// Ignore patterns on top of `ModelFolder.defaultIgnores`.
    public var ignore: [String]
    public var roles: RoleClassifier
    public var followSymlinks: Bool
    /// RFC 3339 time of signing (see `Timestamp.now`).
    public var createdAt: String
    /// Record every safetensors and GGUF file's tensors, digested in the same read
    /// (`sign --tensors`); a header that cannot be read then stops the signing.
    public var tensors: Bool = false
    /// Read the weights files' tensors for evidence against a parent (see `ParentEvidence`)
    /// without requiring them: a header that cannot be read leaves the table out and is
    /// reported by `describeWithTensors`, and signing goes on.
    public var tensorsIfReadable: Bool = false

    public init(
        folder: String, name: String? = nil, version: String? = nil, license: String? = nil,
        notices: [Notice] = [], additionalTerms: String? = nil, distribution: Distribution = .files,
        ignore: [String] = [], roles: RoleClassifier = RoleClassifier(), followSymlinks: Bool = false,
        createdAt: String
    ) {
        self.folder = folder
        self.name = name
        self.version = version
        self.license = license
        self.notices = notices
        self.additionalTerms = additionalTerms
        self.distribution = distribution
        self.ignore = ignore
        self.roles = roles
        self.followSymlinks = followSymlinks
        self.createdAt = createdAt
    }
}

/// Why a folder could not be signed.
public enum SignError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// The folder itself cannot be opened.
    case folder(FileError)
    /// Entries that cannot be part of a signed manifest (links, FIFOs, unreadable files,
    /// names a manifest cannot hold…).
    case problems([FileError])
    /// Nothing to sign.
    case empty(String)
    /// The ignore patterns come to more bytes than a manifest's reader accepts.
    case ignorePatternsTooLarge(Int)
    /// The key could not sign.
    case crypto(CryptoError)
    /// A weights file's tensors could not be read while `--tensors` asked for them.
    case tensors(TensorFileError)

    public var description: String {
        switch self {
        case let .folder(error): return error.description
        case let .problems(errors):
            let count = errors.count == 1 ? "1 problem" : "\(errors.count) problems"
            return "cannot sign, \(count) in the folder:\n" + errors.map { "  \($0)" }.joined(separator: "\n")
        case let .empty(folder): return "\(folder): no files to sign (all empty or ignored)"
        case let .ignorePatternsTooLarge(bytes):
            return "the ignore patterns come to \(bytes) bytes; a manifest may carry at most \(Limits.ignorePatternBytes) "
                + "(verify would not use them), so nothing is signed"
        case let .crypto(error): return "signing failed: \(error)"
        case let .tensors(error):
            return "cannot record the tensors of \(error.description); nothing is signed "
                + "(without --tensors the file is signed by its digest alone)"
        }
    }

    /// 66 when the folder cannot be opened, 70 when the key could not sign, else 65.
    public var exitStatus: ExitStatus {
        switch self {
        case let .folder(error): return error.isUnreadable ? .noInput : .dataError
        case .problems, .empty, .ignorePatternsTooLarge: return .dataError
        case .crypto: return .software
        case let .tensors(error): return error.exitStatus
        }
    }
}

/// A signed manifest ready to be written, and what it says.
public struct SignResult: Sendable {
    public var bundle: ManifestBundle
    /// What the signed Statement says.
    public var predicate: ModelPredicate
    /// sha256 of the signed Statement bytes.
    public var manifestDigest: SHA256Digest
    public var rootDigest: SHA256Digest
    public var keyID: String
    public var totalBytes: Int64
}

/// Hashes a model folder and signs a manifest of it.
public struct ModelSigner: Sendable {
    public var engine: HashEngine

    public init(engine: HashEngine = HashEngine()) {
        self.engine = engine
    }

    /// Hashes `request.folder` and builds the predicate for it (everything but lineage).
    ///
    /// Every file's name goes through `ResourceName`, the validator `verify` applies to a
    /// manifest's names, so nothing is signed that its own verifier would refuse: a name
    /// with a backslash (legal on POSIX, not in a manifest: OMS §6.1.2 makes `/` the only
    /// separator) is a problem naming the file and the `--ignore` that leaves it out.
    ///
    /// - Parameter extraIgnores: exact relative paths to leave out (an output file that lies
    ///   inside the folder).
    public func describe(
        _ request: SignRequest, extraIgnores: [String] = [], progress: ByteCounter? = nil
    ) throws(SignError) -> ModelPredicate {
        try describeWithTensors(request, extraIgnores: extraIgnores, progress: progress).predicate
    }

    /// `describe`, and the tensors read in the same pass (`tensors` or `tensorsIfReadable`):
    /// the inventory of the folder's weights files (for evidence), or why they could not be
    /// read (`tensorsIfReadable` only; with `tensors` that refuses the signing).
    public func describeWithTensors(
        _ request: SignRequest, extraIgnores: [String] = [], progress: ByteCounter? = nil
    ) throws(SignError) -> (predicate: ModelPredicate, tensors: TensorInventory?, tensorError: TensorFileError?) {
        let folder = ModelFolder(path: request.folder, ignore: request.ignore + extraIgnores,
                                 followSymlinks: request.followSymlinks)
        let patternBytes = folder.ignorePatterns.reduce(0) { $0 + $1.utf8.count }
        guard patternBytes <= Limits.ignorePatternBytes else { throw .ignorePatternsTooLarge(patternBytes) }
        var listing: (files: [(name: String, job: HashJob)], problems: [FileError])
        do {
            listing = try folder.scan()
        } catch {
            throw .folder(error)
        }
        var collector: TensorTableCollector?
        // A long list's digests are recalled from the memo on a second thread while this one
        // names the files and finds their roles, when the engine would ask the memo for every
        // listed file at once anyway (a re-sign through the digest cache: its main thread sets
        // the pace). The memo reads no file, so a bad name is still reported before any is read.
        let tensorsWanted = request.tensors || request.tensorsIfReadable
        let recallAhead = !tensorsWanted && engine.asksAsListed && listing.files.count >= Self.parallelRoles
        var names: [ResourceName] = []
        var jobs: [HashJob] = []
        let roles = request.roles
        let classified: (other: [Role], result: [Result<FileDigest, FileError>])
        if recallAhead {
            let stamps = listing.files.map(\.job.listedStamp)
            let engine = self.engine
            let made = try inParallel({ engine.recallAsListed(stamps) }, while: { () throws(SignError) -> [Role] in
                (names, jobs) = try Self.nameFiles(&listing, folder: request.folder)
                return names.map { roles.role(of: $0.string) }
            })
            classified = (made.result, engine.hash(jobs, progress: progress, recalled: made.other))
        } else {
            (names, jobs) = try Self.nameFiles(&listing, folder: request.folder)
            var engine = self.engine
            if tensorsWanted {
                let made = Self.tensorCollector(zip(names, jobs).map { ($0.string, $1) }, engine: engine)
                engine.observers = made
                collector = made
            }
            // A long list's roles are found on a second thread while the files are hashed.
            if names.count >= Self.parallelRoles {
                let named = names
                classified = inParallel({ named.map { roles.role(of: $0.string) } }, while: { engine.hash(jobs, progress: progress) })
            } else {
                classified = (names.map { roles.role(of: $0.string) }, engine.hash(jobs, progress: progress))
            }
        }
        var resources: [Resource] = []
        resources.reserveCapacity(names.count)
        var failures: [FileError] = []
        for ((name, role), result) in zip(zip(names, classified.other), classified.result) {
            switch result {
            case .success(let hashed):
                resources.append(Resource(name: name, digest: hashed.digest, size: hashed.size, role: role))
            case .failure(let error):
                failures.append(error)
            }
        }
        guard failures.isEmpty else { throw .problems(failures) }
        // Only license files are opened again (to recognise the license): keep only their sources.
        var sources: [ResourceName: FileSource] = [:]
        // By index, so that only a license file's job is copied (not every job and resource).
        for index in resources.indices where resources[index].role == .license && sources[resources[index].name] == nil {
            sources[resources[index].name] = jobs[index].source
        }
        var predicate = makePredicate(request, resources: resources, ignorePatterns: folder.ignorePatterns, sources: sources)
        guard let collector else { return (predicate, nil, nil) }
        let weights = zip(names, jobs).map { ($0.string, $1) }
        let rows: [TensorRecord]
        do throws(SignError) {
            rows = try Self.tensorTable(collector, files: weights)
            // A shard index must agree with the shards, as when a folder is read for a diff.
            do throws(TensorFileError) {
                try collector.checkIndexes(zip(jobs, resources).map { job, resource in
                    .init(name: resource.name.string, source: job.source, displayPath: job.displayPath, digest: resource.digest)
                })
            } catch {
                throw .tensors(error)
            }
        } catch {
            guard !request.tensors, case .tensors(let failure) = error else { throw error }
            return (predicate, nil, failure)
        }
        if request.tensors { predicate.tensors = rows }
        let summaries = weights.compactMap { collector.table(for: $0.1.displayPath)?.summary }
        return (predicate, TensorInventory(records: rows, files: summaries, folder: request.folder), nil)
    }

    /// The listed files' names, each through `ResourceName`, and their jobs, in two lists (so the
    /// engine hashes `jobs` as they are, no copy of the file list); the listing is emptied.
    ///
    /// Each file is moved out of the listing, an empty stand-in left in its place: a job is never
    /// copied.
    ///
    /// - Throws: `.problems` with the walk's problems and every name a manifest cannot hold;
    ///   `.empty` when there is no file.
    static func nameFiles(
        _ listing: inout (files: [(name: String, job: HashJob)], problems: [FileError]), folder: String
    ) throws(SignError) -> (names: [ResourceName], jobs: [HashJob]) {
        var problems = listing.problems
        var names: [ResourceName] = []
        var jobs: [HashJob] = []
        names.reserveCapacity(listing.files.count)
        jobs.reserveCapacity(listing.files.count)
        for index in listing.files.indices {
            var file = (name: "", job: HashJob(displayPath: "", source: .path("", followLinks: false), sizeHint: 0))
            swap(&file, &listing.files[index])
            do throws(ResourceNameError) {
                names.append(try ResourceName(file.name))
                jobs.append(file.job)
            } catch {
                problems.append(FileError(path: file.job.displayPath, reason: .unsafeName(error.problem, ignore: Glob.escape(file.name))))
            }
        }
        listing = ([], [])
        guard problems.isEmpty else { throw .problems(problems) }
        guard !names.isEmpty else { throw .empty(folder) }
        return (names, jobs)
    }

    /// A collector of the tensors of the safetensors and GGUF files among `files`, hashing the
    /// tensor stream on a helper thread when every hashing thread has a core beside it.
    static func tensorCollector(_ files: [(name: String, job: HashJob)], engine: HashEngine) -> TensorTableCollector {
        var weights: [String: (name: String, format: WeightFormat)] = [:]
        for file in files {
            if let format = TensorTableCollector.format(of: file.name) { weights[file.job.displayPath] = (file.name, format) }
        }
        let busy = min(engine.jobs, max(weights.count, 1))
        return TensorTableCollector(files: weights, concurrent: busy * 2 <= availableProcessors())
    }

    /// The tensor table of `files` as `collector` gathered it, in file order.
    ///
    /// - Throws: `.tensors` with the first file whose header or tensors could not be read:
    ///   a manifest that says "these are the tensors" must not leave a weights file out.
    static func tensorTable(_ collector: TensorTableCollector, files: [(name: String, job: HashJob)]) throws(SignError) -> [TensorRecord] {
        var rows: [TensorRecord] = []
        for file in files where TensorTableCollector.format(of: file.name) != nil {
            if let error = collector.error(for: file.job.displayPath) { throw .tensors(error) }
            guard let table = collector.table(for: file.job.displayPath) else {
                throw .tensors(TensorFileError(file: file.name, field: "data", reason: .invalid("was not read")))
            }
            rows += table.records
        }
        return rows
    }

    /// The predicate (everything but lineage) for `resources`; `sources` open the files whose
    /// text is read to recognise the license (none when signing from a list without the folder).
    func makePredicate(
        _ request: SignRequest, resources: [Resource], ignorePatterns: [String], sources: [ResourceName: FileSource]
    ) -> ModelPredicate {
        let name = request.name ?? defaultModelName(request.folder)
        let license = licenseInfo(request, resources: resources, sources: sources)
        var predicate = ModelPredicate(
            model: ModelInfo(name: name, version: request.version),
            resources: resources,
            serialization: Serialization(allowSymlinks: request.followSymlinks, ignorePaths: ignorePatterns),
            license: license,
            notices: Notices(added: request.notices, additionalTerms: request.additionalTerms),
            lineage: nil,
            modifications: [],
            distribution: request.distribution,
            generator: Generator(),
            createdAt: request.createdAt)
        predicate.licenseFromDeclaration = request.license == nil && request.declaredLicense != nil
            && license.map { $0.id == LicenseCatalog.canonicalID(request.declaredLicense ?? "") } == true
            && !licenseFilesRecognized(resources: resources, sources: sources)
        return predicate
    }

    /// Whether the text of a license file names a license pedigree knows.
    private func licenseFilesRecognized(resources: [Resource], sources: [ResourceName: FileSource]) -> Bool {
        resources.filter { $0.role == .license }.contains { file in
            guard let source = sources[file.name],
                let bytes = try? readSmallFile(from: source, displayPath: file.name.string, limit: 1 << 20),
                SHA256.hash(bytes) == file.digest
            else { return false }
            return LicenseCatalog.recognize(bytes) != nil
        }
    }

    /// Signs `predicate` with `key` into a bundle, embedding `ancestors`.
    ///
    /// - Throws: `.crypto` when the key cannot sign; `DerivationError`'s limit is checked by
    ///   `Deriver.apply`, and the ancestors given here are embedded as they are.
    public func sign(
        _ predicate: ModelPredicate, key: PrivateKey, ancestors: [AncestorEntry] = []
    ) throws(SignError) -> SignResult {
        let root: SHA256Digest
        var payload: [UInt8]
        do {
            (payload, root) = try StatementCodec.encodeComputingRoot(predicate)
        } catch {
            throw .crypto(.openssl(function: "JSON encoding", reason: "\(error)"))
        }
        do throws(CryptoError) {
            // The payload moves into the envelope and is signed there: one copy of it. An ECDSA
            // key reads it where it lies, so the manifest digest is taken meanwhile on a second
            // thread; Ed25519 signs it in place (moved), so only after the digest.
            let manifestDigest: SHA256Digest
            let envelope: Envelope
            if key.signsInParts && payload.count >= Self.parallelDigestBytes {
                // Both threads hold the one buffer; neither changes it.
                let shared = consume payload
                (manifestDigest, envelope) = try inParallel({ SHA256.hash(shared) }, while: { () throws(CryptoError) in
                    try Envelope.sign(payload: shared, payloadType: MediaTypes.inToto, key: key)
                })
            } else {
                manifestDigest = SHA256.hash(payload)
                envelope = try Envelope.sign(payload: consume payload, payloadType: MediaTypes.inToto, key: key)
            }
            let bundle = ManifestBundle(kind: .pedigree, dsseEnvelope: envelope, ancestors: ancestors)
            return SignResult(
                bundle: bundle, predicate: predicate, manifestDigest: manifestDigest, rootDigest: root,
                keyID: try key.publicKey.keyID, totalBytes: predicate.resources.reduce(0) { $0 + $1.size })
        } catch {
            throw .crypto(error)
        }
    }

    /// Folders of this many files or more have their roles found on a second thread while they
    /// are hashed.
    static let parallelRoles = 4096

    /// Payloads this large or larger are digested on a second thread while they are signed.
    static let parallelDigestBytes = 1 << 18

    private func licenseInfo(_ request: SignRequest, resources: [Resource], sources: [ResourceName: FileSource]) -> LicenseInfo? {
        let files = resources.filter { $0.role == .license }.map { FileReference(name: $0.name, digest: $0.digest) }
        if let given = request.license {
            let known = LicenseCatalog.license(named: given)
            return LicenseInfo(id: known?.id ?? given, name: known?.name, files: files)
        }
        // Recognise the license from the text of the first license file that names one (read as
        // it was hashed, and only if it still has the digest just recorded).
        for file in files {
            guard let source = sources[file.name],
                let bytes = try? readSmallFile(from: source, displayPath: file.name.string, limit: 1 << 20),
                SHA256.hash(bytes) == file.digest,
                let recognition = LicenseCatalog.recognize(bytes)
            else { continue }
            return LicenseInfo(id: recognition.license.id, name: recognition.license.name, files: files)
        }
        // Neither an option nor a license file's text: what the README's front matter declares.
        if let declared = request.declaredLicense {
            let known = LicenseCatalog.license(named: declared)
            return LicenseInfo(id: known?.id ?? declared, name: known?.name, files: files)
        }
        return files.isEmpty ? nil : LicenseInfo(id: "NOASSERTION", name: nil, files: files)
    }
}

/// The name `model_signing` gives a model: the folder's last component.
public func defaultModelName(_ folder: String) -> String {
    var trimmed = folder
    while trimmed.utf8.count > 1 && trimmed.utf8.last == UInt8(ascii: "/") { trimmed.removeLast() }
    let name = lastComponent(trimmed)
    if name.isEmpty || name == "." || name == ".." {
        return lastComponent(realPath(folder) ?? folder)
    }
    return name
}
