import PedigreeCrypto

/// One side of a comparison: a manifest's signed file list, or a folder's hashed files.
public struct ComparisonSide: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable {
        case folder, manifest
    }

    /// The path as given.
    public var path: String
    public var kind: Kind
    /// The model's name, for a manifest.
    public var model: String?
    public var files: [HashedEntry]

    /// A file of a side: its name and digest.
    public struct HashedEntry: Equatable, Sendable {
        public var name: String
        public var digest: SHA256Digest
    }
}

/// Two models compared file by file.
public struct ModelComparison: Sendable {
    public var old: ComparisonSide
    public var new: ComparisonSide
    public var changes: FileChanges

    /// Whether any file was modified, added, removed or renamed.
    public var differ: Bool {
        !(changes.modified.isEmpty && changes.added.isEmpty && changes.removed.isEmpty && changes.renamed.isEmpty)
    }
}

/// Why a side could not be read.
public enum ComparisonError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// Neither a file nor a folder.
    case missing(String)
    /// A manifest that cannot be read.
    case manifest(path: String, ManifestError)
    /// A manifest that contradicts itself (the first problem).
    case inconsistent(path: String, String)
    /// A folder that cannot be listed.
    case folder(FileError)
    /// A file in a folder that cannot be hashed (a link, a FIFO, a read error), named from the
    /// folder given.
    case entry(FileError)

    public var description: String {
        switch self {
        case let .missing(path): return "\(printable(path)): No such file or directory"
        case let .manifest(path, error): return "\(printable(path)): \(error)"
        case let .inconsistent(path, problem): return "\(printable(path)): \(problem)"
        case let .folder(error), let .entry(error): return error.description
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .missing: return .noInput
        case let .manifest(_, error): return error.exitStatus
        case .inconsistent: return .dataError
        case let .folder(error): return error.exitStatus
        case .entry: return .dataError
        }
    }
}

/// Compares two models, each a manifest or a folder (see `FileDiff.compare`).
public struct ModelComparer: Sendable {
    public var engine: HashEngine

    public init(engine: HashEngine = HashEngine()) {
        self.engine = engine
    }

    /// The file-level changes from `old` to `new`; folders are hashed (counted on `progress`).
    public func compare(old: String, new: String, progress: ByteCounter? = nil) throws(ComparisonError) -> ModelComparison {
        let before = try side(old, progress: progress)
        let after = try side(new, progress: progress)
        let changes = FileDiff.compare(old: before.files.map { ($0.name, $0.digest) }, new: after.files.map { ($0.name, $0.digest) })
        return ModelComparison(old: before, new: after, changes: changes)
    }

    /// A side: a manifest's signed list, or a folder's hashed contents.
    public func side(_ path: String, progress: ByteCounter? = nil) throws(ComparisonError) -> ComparisonSide {
        guard case .success(let status) = fileStatus(atPath: path, follow: true) else { throw .missing(path) }
        if status.kind != .directory {
            let manifest: SignedManifest
            do {
                manifest = try ModelChain.load(path).manifest
            } catch {
                throw .manifest(path: path, error)
            }
            if let problem = manifest.consistencyProblems().first { throw .inconsistent(path: path, problem) }
            return ComparisonSide(
                path: path, kind: .manifest, model: manifest.name,
                files: manifest.entries.map { ComparisonSide.HashedEntry(name: $0.name.string, digest: $0.digest) })
        }
        let hashed: (files: [HashedFile], problems: [FileError])
        do {
            hashed = try ModelFolder(path: path).hash(engine: engine, progress: progress)
        } catch {
            throw .folder(error)
        }
        if let problem = hashed.problems.first {
            throw .entry(FileError(path: joinPath(path, problem.path), reason: problem.reason))
        }
        return ComparisonSide(
            path: path, kind: .folder, model: nil,
            files: hashed.files.map { ComparisonSide.HashedEntry(name: $0.name, digest: $0.digest) })
    }
}
