import PedigreeCrypto

/// The state of one file after verification.
public enum FileStatusCode: String, Encodable, Sendable {
    /// Present with the signed digest.
    case ok = "OK"
    /// Present with another digest or size.
    case modified = "MODIFIED"
    /// Listed in the manifest, absent from the folder.
    case missing = "MISSING"
    /// Present in the folder, absent from the manifest.
    case unexpected = "UNEXPECTED"
    /// Present but refused or unreadable (a link, a FIFO, a read error, a change mid-read).
    case unreadable = "UNREADABLE"
}

/// One file's verdict.
public struct FileVerdict: Encodable, Sendable, Equatable {
    public var name: String
    public var status: FileStatusCode
    public var expected: String?
    public var actual: String?
    /// Why the file could not be read, for `UNREADABLE`.
    public var detail: String?
}

/// How far an embedded ancestor's signature is trusted.
public enum AncestorTrust: String, Encodable, Sendable {
    /// Signed by a trusted key.
    case trusted
    /// Signed only by keys that are not trusted: the descendant vouches for it by digest alone.
    case untrusted
    /// A signature names a trusted key but does not verify: it was altered.
    case invalid
}

/// One ancestor in the embedded chain and its trust.
public struct AncestorVerdict: Encodable, Sendable, Equatable {
    public var name: String
    public var manifestDigest: String
    public var rootDigest: String
    public var format: ManifestFormat
    /// 1 for a parent, 2 for a grandparent, …
    public var depth: Int
    public var trust: AncestorTrust
    public var signatures: [SignatureResult]
}

/// Everything `verify` found out about a folder and its manifest.
public struct VerificationReport: Encodable, Sendable {
    public var manifest: String
    public var format: ManifestFormat?
    public var model: String?
    public var rootDigest: String?
    public var manifestDigest: String?
    public var signatures: [SignatureResult] = []
    /// Failures of the manifest itself: structure, statement, unsafe names, subject digest,
    /// signatures.
    public var problems: [String] = []
    public var files: [FileVerdict] = []
    /// The embedded ancestors, nearest first.
    public var ancestors: [AncestorVerdict] = []
    /// The `--only` patterns, when only a subset was verified.
    public var only: [String]?
    /// How many files the manifest lists in all.
    public var listed: Int = 0
    /// True only when the manifest is sound, trusted, and every selected file is OK.
    public var verified: Bool { problems.isEmpty && !files.isEmpty && files.allSatisfy { $0.status == .ok } }

    enum CodingKeys: String, CodingKey {
        case manifest, format, model, rootDigest, manifestDigest, signatures, ancestors, problems, files, only, listed, verified
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(manifest, forKey: .manifest)
        try container.encodeIfPresent(format, forKey: .format)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encodeIfPresent(rootDigest, forKey: .rootDigest)
        try container.encodeIfPresent(manifestDigest, forKey: .manifestDigest)
        try container.encode(signatures, forKey: .signatures)
        try container.encode(ancestors, forKey: .ancestors)
        try container.encode(problems, forKey: .problems)
        try container.encode(files, forKey: .files)
        try container.encodeIfPresent(only, forKey: .only)
        try container.encode(listed, forKey: .listed)
        try container.encode(verified, forKey: .verified)
    }

    /// The number of files with each status.
    public func count(_ status: FileStatusCode) -> Int { files.count { $0.status == status } }
}

/// Checks a model folder against its signed manifest.
public struct ManifestVerifier: Sendable {
    public var keys: [TrustedKey]
    /// Verify only the files matching one of these patterns (`--only`).
    public var only: [Glob]
    public var engine: HashEngine

    public init(keys: [TrustedKey], only: [Glob] = [], engine: HashEngine = HashEngine()) {
        self.keys = keys
        self.only = only
        self.engine = engine
    }

    /// Verifies `folder` against the manifest at `manifestPath`.
    ///
    /// Order: the bundle's structure, the Statement, every resource name (all before any file
    /// is opened), the subject digest, the signatures; then the folder is re-hashed and every
    /// file reported. Files are opened one component at a time beneath the folder without
    /// following links (unless the manifest was made with links followed, and then only links
    /// that stay inside), so no name in a manifest can make this read outside the folder.
    public func verify(folder: String, manifestPath: String, progress: ByteCounter? = nil) -> VerificationReport {
        var report = VerificationReport(manifest: manifestPath)
        if !only.isEmpty { report.only = only.map(\.pattern) }
        let chain: ModelChain
        do {
            chain = try ModelChain(bundle: try ManifestBundle.load(manifestPath))
        } catch {
            report.problems.append("\(manifestPath): \(error)")
            return report
        }
        let manifest = chain.manifest
        report.format = manifest.format
        report.model = manifest.name
        report.rootDigest = manifest.rootDigest.hex
        report.manifestDigest = manifest.manifestDigest.hex
        report.listed = manifest.entries.count

        let consistency = manifest.consistencyProblems()
        report.problems += consistency
        report.signatures = manifest.envelope.checkSignatures(payload: manifest.payload, keys: keys)
        report.problems += signatureProblems(report.signatures)
        checkAncestors(chain, into: &report)
        // A name that is not a safe relative path stops here: no file is opened for it or any other.
        if consistency.contains(where: { $0.hasPrefix("resource ") }) { return report }

        report.files = checkFiles(folder: folder, manifest: manifest, manifestPath: manifestPath, progress: progress,
                                  problems: &report.problems)
        return report
    }

    /// Walks the embedded chain: every parent reference must resolve to an embedded manifest
    /// with the name and root it names, and every ancestor's signatures are checked.
    private func checkAncestors(_ chain: ModelChain, into report: inout VerificationReport) {
        report.problems += chain.problems()
        for (ancestor, depth) in chain.lineage() {
            let signatures = ancestor.envelope.checkSignatures(payload: ancestor.payload, keys: keys)
            let trust: AncestorTrust =
                signatures.contains { $0.status == .invalid } ? .invalid
                : signatures.contains { $0.status == .trusted } ? .trusted : .untrusted
            if trust == .invalid {
                report.problems.append(
                    "ancestor \(ancestor.name) (manifest \(ancestor.manifestDigest.hex.prefix(12))…): a signature does not "
                        + "verify with the trusted key it names")
            }
            report.ancestors.append(AncestorVerdict(
                name: ancestor.name, manifestDigest: ancestor.manifestDigest.hex, rootDigest: ancestor.rootDigest.hex,
                format: ancestor.format, depth: depth, trust: trust, signatures: signatures))
        }
    }

    private func signatureProblems(_ results: [SignatureResult]) -> [String] {
        var problems: [String] = []
        for result in results where result.status == .invalid {
            problems.append(
                "signature \(result.index) does not verify with the trusted key \(result.key ?? "?") "
                    + "it names: the signed payload or the signature was altered")
        }
        if !results.contains(where: { $0.status == .trusted }) {
            let ids = results.map { $0.keyid.isEmpty ? "(no key id)" : String($0.keyid.prefix(16)) + "…" }
            problems.append("no signature is by a trusted key (signed by \(ids.joined(separator: ", ")))")
        }
        return problems
    }

    private func selected(_ name: String) -> Bool {
        only.isEmpty || only.contains { $0.matches(name) }
    }

    private func checkFiles(
        folder: String, manifest: SignedManifest, manifestPath: String, progress: ByteCounter?,
        problems: inout [String]
    ) -> [FileVerdict] {
        var ignore: [String]
        switch manifest.format {
        case .pedigree:
            ignore = manifest.serialization.ignorePaths
        case .oms:
            // `model_signing` always leaves out the top-level git files; its ignore_paths are
            // literal paths, not patterns. pedigree's own manifest beside it is never model content.
            ignore = ModelFolder.omsDefaultIgnores + ["pedigree.json"] + manifest.serialization.ignorePaths.map(Glob.escape)
        }
        // The manifest being verified is never part of the model, wherever it sits.
        if let inside = relativePath(of: manifestPath, inside: folder) { ignore.append(Glob.escape(inside)) }
        let model = ModelFolder(path: folder, ignorePatterns: ignore, followSymlinks: manifest.serialization.allowSymlinks)
        let scan: (files: [(name: String, job: HashJob)], problems: [FileError])
        do {
            scan = try model.scan()
        } catch {
            problems.append("cannot read the folder: \(error)")
            return []
        }
        var present: [ByteKey: HashJob] = [:]
        for file in scan.files where selected(file.name) { present[ByteKey(file.name)] = file.job }
        var refused: [ByteKey: FileError] = [:]
        for error in scan.problems where selected(error.path) { refused[ByteKey(error.path)] = error }

        var verdicts: [FileVerdict] = []
        var jobs: [HashJob] = []
        var jobEntries: [(verdict: Int, entry: ManifestEntry)] = []
        var listed = Set<ByteKey>()
        for entry in manifest.entries where selected(entry.name) {
            let key = ByteKey(entry.name)
            listed.insert(key)
            var verdict = FileVerdict(name: entry.name, status: .missing, expected: entry.digest.hex)
            if let job = present[key] {
                jobEntries.append((verdicts.count, entry))
                jobs.append(job)
            } else if let error = refused[key] {
                verdict.status = .unreadable
                verdict.detail = error.reasonText
            }
            verdicts.append(verdict)
        }
        let results = engine.hash(jobs, progress: progress)
        for ((slot, entry), result) in zip(jobEntries, results) {
            switch result {
            case .success(let file):
                verdicts[slot].actual = file.digest.hex
                let sizeMatches = entry.size.map { $0 == file.size } ?? true
                verdicts[slot].status = file.digest == entry.digest && sizeMatches ? .ok : .modified
            case .failure(let error):
                verdicts[slot].status = .unreadable
                verdicts[slot].detail = error.reasonText
            }
        }
        for file in scan.files where selected(file.name) && !listed.contains(ByteKey(file.name)) {
            verdicts.append(FileVerdict(name: file.name, status: .unexpected))
        }
        for error in scan.problems where selected(error.path) && !listed.contains(ByteKey(error.path)) {
            verdicts.append(FileVerdict(name: error.path, status: .unexpected, detail: error.reasonText))
        }
        if verdicts.isEmpty, !only.isEmpty {
            problems.append("no file of the manifest or the folder matches --only \(only.map(\.pattern).joined(separator: ", "))")
        }
        return verdicts
    }
}

/// `path` relative to `folder` when it lies directly or deeply inside it, else `nil`.
public func relativePath(of path: String, inside folder: String) -> String? {
    guard let file = realPath(parentPath(path).isEmpty ? "." : parentPath(path)), let root = realPath(folder) else {
        return nil
    }
    let full = joinPath(file, lastComponent(path))
    let prefix = root.utf8.last == UInt8(ascii: "/") ? root : root + "/"
    guard full.utf8.starts(with: prefix.utf8) else { return nil }
    return String(decoding: full.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
}
