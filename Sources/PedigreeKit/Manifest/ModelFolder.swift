import PedigreeCrypto

/// A model folder: which of its files belong to the model, and their digests.
public struct ModelFolder: Sendable {
    /// Paths every scan leaves out, as `model_signing` does and more: version-control files,
    /// Hugging Face's download cache, and the manifests themselves.
    public static let defaultIgnores = [
        ".git", ".gitattributes", ".github", ".gitignore", ".cache/huggingface", "pedigree.json", "model.sig",
    ]

    /// What `model_signing` leaves out of every model whatever its bundle says.
    public static let omsDefaultIgnores = [".git", ".gitattributes", ".github", ".gitignore"]

    /// The folder as the user named it.
    public let path: String
    /// Every ignore pattern in effect (see `Glob`), defaults included.
    public let ignorePatterns: [String]
    /// Whether links whose targets stay inside the folder (or in a Hugging Face cache's
    /// `blobs/`) are followed; links that escape are always refused. Without it, a Hub cache
    /// snapshot's links into `blobs/` are still followed (see `linkPolicy()`).
    public let followSymlinks: Bool

    private let ignores: IgnoreSet

    /// - Parameter ignore: patterns to leave out on top of `defaultIgnores`.
    public init(path: String, ignore: [String] = [], followSymlinks: Bool = false) {
        self.init(path: path, ignorePatterns: Self.defaultIgnores + ignore.filter { !Self.defaultIgnores.contains($0) },
                  followSymlinks: followSymlinks)
    }

    /// A folder scanned with exactly `ignorePatterns` (as a manifest records them).
    public init(path: String, ignorePatterns: [String], followSymlinks: Bool) {
        self.path = path
        self.ignorePatterns = ignorePatterns
        self.followSymlinks = followSymlinks
        ignores = IgnoreSet(ignorePatterns.map(Glob.init))
    }

    /// Whether `relativePath` is left out by an ignore pattern. A walk asks for every folder
    /// before every file in it, so a path whose folder is ignored is never asked about: the
    /// path itself is matched.
    public func isIgnored(_ relativePath: String) -> Bool {
        ignores.contains(relativePath)
    }

    /// The real paths a followed link may lead into: the folder itself, and for a Hugging Face
    /// cache snapshot, the repository's `blobs/`.
    public func allowedLinkRoots() -> [String] {
        guard let root = realPath(path) else { return [] }
        return [root] + (hubCacheBlobs().map { [$0] } ?? [])
    }

    /// The real path of the repository's `blobs/` folder when this folder is a Hugging Face
    /// cache snapshot, else `nil`.
    ///
    /// `huggingface_hub` lays a download out as `<cache>/models--org--name/` (or `datasets--`,
    /// `spaces--`) holding `blobs/` (the content, named by its sha256 for LFS files and by its
    /// git blob sha1 otherwise), `refs/<branch>` and `snapshots/<revision>/`, whose files are
    /// relative links into `../../blobs/`. A folder counts as a snapshot only when, its path
    /// resolved, its parent is `snapshots` and that folder's parent holds a `blobs` folder
    /// (itself not a link).
    public func hubCacheBlobs() -> String? {
        guard let root = realPath(path) else { return nil }
        let snapshots = parentPath(root)
        guard lastComponent(snapshots) == "snapshots" else { return nil }
        let repository = parentPath(snapshots)
        let blobs = repository + "/blobs"
        guard case .success(let status) = fileStatus(atPath: blobs, follow: false), status.kind == .directory else { return nil }
        return blobs
    }

    /// How the folder's symbolic links are treated, from `followSymlinks` and the folder itself.
    public var linkMode: LinkMode {
        if followSymlinks { return .followedWithinFolder }
        return hubCacheBlobs() == nil ? .refused : .followedIntoHubCache
    }

    /// The walk's link policy (see `linkMode`): with `followSymlinks`, links that stay inside
    /// the folder or the Hub cache's `blobs/`; without it, in a Hub cache snapshot, links into
    /// `blobs/` only, since that is how every file of a download is stored; elsewhere none.
    public func linkPolicy() -> LinkPolicy {
        if followSymlinks { return .followWithin(allowedLinkRoots()) }
        if let blobs = hubCacheBlobs() { return .followWithin([blobs]) }
        return .refuse
    }

    /// Lists the folder's files in manifest order, with every link, FIFO, device or unreadable
    /// entry reported as a problem.
    ///
    /// - Throws: `FileError` when the folder itself cannot be opened.
    ///
    /// A path naming a regular file (not a link) is a single-file model: its one resource is
    /// named by the file's basename (OMS v1.0 §6.1 item 1, §6.1.2 item 5).
    public func scan() throws(FileError) -> (files: [(name: String, job: HashJob)], problems: [FileError]) {
        if let single = singleFile() { return ([single], []) }
        let policy = linkPolicy()
        // The walk asks for every file: it captures the patterns alone, not the whole folder value.
        let ignores = self.ignores
        let walker = TreeWalker(linkPolicy: policy) { relative, _ in ignores.contains(relative) }
        let root = policy == .refuse || followSymlinks ? nil : realPath(path)
        let found = try walker.walk(path: path, displayPrefix: "", collecting: ScanCollector.self)
        return (found.files, found.problems.map { refusalWithoutFlag($0, root: root) })
    }

    /// A walk's results as `scan` returns them, collected as the walk goes: no list of walk items
    /// is made and copied, only the one list of files.
    private struct ScanCollector: WalkCollector {
        /// Of the type `scan` returns: an unlabeled list would be copied whole to be returned.
        var files: [(name: String, job: HashJob)] = []
        var problems: [FileError] = []

        mutating func file(_ relativePath: consuming String, _ job: consuming HashJob) {
            files.append((relativePath, job))
        }

        mutating func failure(_ error: FileError) { problems.append(error) }
    }

    /// In a Hub cache snapshot walked without `followSymlinks`, a link that is refused because
    /// it does not lead into `blobs/` but stays inside the folder is one `--follow-symlinks`
    /// would follow: it is reported as such rather than as escaping.
    private func refusalWithoutFlag(_ error: FileError, root: String?) -> FileError {
        guard let root, case .linkEscapes = error.reason, let resolved = realPath(joinPath(path, error.path)),
            isWithin(resolved, root)
        else { return error }
        return FileError(path: error.path, reason: .symbolicLink)
    }

    /// Whether `path` names a single-file model: a regular file, not reached through a link.
    public var isSingleFile: Bool {
        if case .success(let status) = fileStatus(atPath: path, follow: false) { return status.kind == .regular }
        return false
    }

    /// The one file of a single-file model, named by its basename; `nil` for a folder.
    private func singleFile() -> (name: String, job: HashJob)? {
        guard case .success(let status) = fileStatus(atPath: path, follow: false), status.kind == .regular else { return nil }
        return (lastComponent(path), HashJob(displayPath: path, source: .path(path, followLinks: false), sizeHint: status.size))
    }

    /// Scans and hashes the folder.
    ///
    /// - Returns: the files with digests and sizes, in manifest order, and every problem met
    ///   (files that could not be listed, opened or read, or changed while read).
    public func hash(
        engine: HashEngine, progress: ByteCounter? = nil
    ) throws(FileError) -> (files: [HashedFile], problems: [FileError]) {
        let (listed, problems) = try scan()
        let results = engine.hash(listed.map(\.job), progress: progress)
        var files: [HashedFile] = []
        var failures = problems
        for (entry, result) in zip(listed, results) {
            switch result {
            case .success(let digest): files.append(HashedFile(name: entry.name, digest: digest.digest, size: digest.size))
            case .failure(let error): failures.append(error)
            }
        }
        return (files, failures)
    }
}

/// How a walk of a model folder treats symbolic links, as a report states it.
public enum LinkMode: String, Encodable, Sendable, Equatable {
    /// Every link is refused and named.
    case refused
    /// A Hugging Face cache snapshot: links into the repository's `blobs/` are followed
    /// without being asked; any other link is refused.
    case followedIntoHubCache = "hub-cache"
    /// `--follow-symlinks` (or a manifest signed with it): links that stay inside the folder,
    /// or in a Hub cache snapshot inside `blobs/`, are followed.
    case followedWithinFolder = "within-folder"
}

/// A file of a model folder with its digest.
public struct HashedFile: Equatable, Sendable {
    public var name: String
    public var digest: SHA256Digest
    public var size: Int64

    public init(name: String, digest: SHA256Digest, size: Int64) {
        self.name = name
        self.digest = digest
        self.size = size
    }
}

/// Ignore patterns as a walk tests them, once for every file and folder: the literal ones
/// (all of `ModelFolder.defaultIgnores`), which match one path each, grouped by length so a
/// path is compared only with those of its own length; the others run as globs.
struct IgnoreSet: Sendable {
    private var literalsByLength: [Int: [[UInt8]]] = [:]
    private var patterns: [Glob] = []

    init(_ globs: [Glob]) {
        for glob in globs {
            if let literal = glob.literalBytes {
                literalsByLength[literal.count, default: []].append(literal)
            } else {
                patterns.append(glob)
            }
        }
    }

    /// Whether one of the patterns matches `path` (`Glob.matches`).
    func contains(_ path: String) -> Bool {
        if let candidates = literalsByLength[path.utf8.count], candidates.contains(where: { path.utf8.elementsEqual($0) }) {
            return true
        }
        return patterns.contains { $0.matches(path) }
    }
}
