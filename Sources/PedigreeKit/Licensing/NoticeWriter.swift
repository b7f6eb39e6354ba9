/// What `pedigree notices` is asked to write: the derivative's own description and its
/// derivation.
public struct NoticesRequest: Sendable {
    /// How to describe the folder (name, this publisher's notices, ignore patterns, links).
    public var model: SignRequest
    public var derivation: DerivationRequest
    /// Replace NOTICE and MODIFICATIONS.md even when a paragraph of them would be lost.
    public var force: Bool

    public init(model: SignRequest, derivation: DerivationRequest, force: Bool = false) {
        self.model = model
        self.derivation = derivation
        self.force = force
    }
}

/// What `pedigree notices` wrote.
public struct NoticesResult: Sendable {
    /// The parents as read, with how far each is trusted.
    public var parents: [LoadedParent]
    /// The path of NOTICE and of MODIFICATIONS.md.
    public var noticePath: String
    public var modificationsPath: String
    /// Notices NOTICE carries (retained and added).
    public var noticeCount: Int
    /// Files MODIFICATIONS.md names as modified or added.
    public var modifiedFileCount: Int
}

/// Why the notice files were not written; nothing was written.
public enum NoticesError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding, MultilineDiagnostic {
    /// The folder could not be described (read, listed, hashed).
    case describe(SignError)
    /// A parent or the derivation is unusable.
    case derive(DerivationError)
    /// An existing file has paragraphs the new one would drop.
    case wouldLoseParagraphs(path: String, count: Int)
    /// Writing failed.
    case write(FileError)

    public var description: String {
        switch self {
        case let .describe(error): return error.description
        case let .derive(error): return error.description
        case let .wouldLoseParagraphs(path, count):
            return "\(printable(path)): already exists and the new one would not keep \(plural(count, "paragraph")) of it; "
                + "not overwritten (use --force to replace it)"
        case let .write(error): return error.description
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case let .describe(error): return error.exitStatus
        case let .derive(error): return error.exitStatus
        case .wouldLoseParagraphs, .write: return .cannotCreate
        }
    }
}

/// NOTICE and MODIFICATIONS.md of a folder as they were before a write, to put back when the
/// signing that follows fails (`sign --write-notices` leaves nothing half-done).
public struct NoticeFilesSnapshot: Sendable {
    private let files: [(path: String, bytes: [UInt8]?)]

    /// Reads both files of `folder` (absent ones are remembered as absent).
    public init(folder: String) {
        files = [NoticeFiles.noticeName, NoticeFiles.modificationsName].map { name in
            let path = joinPath(folder, name)
            return (path, try? readSmallFile(path, limit: 16 << 20))
        }
    }

    /// Puts both files back as they were: the old bytes written atomically, or the file removed.
    public func restore() {
        for file in files {
            if let bytes = file.bytes {
                try? AtomicFile.write(bytes, to: file.path, overwrite: true)
            } else {
                AtomicFile.remove(file.path)
            }
        }
    }
}

/// Writes NOTICE and MODIFICATIONS.md into a derivative's folder before it is signed: the
/// notices a recipient must be given (§3.1(2), (3)).
public struct NoticeWriter: Sendable {
    public var engine: HashEngine

    public init(engine: HashEngine = HashEngine()) {
        self.engine = engine
    }

    /// Describes the folder, reads the parents, renders both files and writes them together
    /// (both or neither). An existing file is replaced without `force` only when every
    /// paragraph of it is kept.
    public func write(_ request: NoticesRequest, progress: ByteCounter? = nil) throws(NoticesError) -> NoticesResult {
        let signer = ModelSigner(engine: engine)
        var predicate: ModelPredicate
        do {
            predicate = try signer.describe(request.model, progress: progress)
        } catch {
            throw .describe(error)
        }
        let parents: [LoadedParent]
        do {
            parents = try Deriver.loadParents(request.derivation)
            _ = try Deriver.apply(request.derivation, parents: parents, to: &predicate)
        } catch {
            throw .derive(error)
        }
        let targets = [NoticeFiles.noticeName, NoticeFiles.modificationsName].map { joinPath(request.model.folder, $0) }
        let contents = [NoticeFiles.notice(predicate), NoticeFiles.modifications(predicate)]
        if !request.force {
            for (path, text) in zip(targets, contents) {
                guard let old = try? readSmallFile(path, limit: 16 << 20) else { continue }
                // A paragraph is kept when the new file carries it as pedigree writes it (white
                // space aside, control characters made visible).
                let kept = Set(NoticeText.parse(text).map { LicenseCatalog.normalize($0.text) })
                let lost = NoticeText.parse(String(decoding: old, as: UTF8.self)).filter {
                    !kept.contains(LicenseCatalog.normalize(PlainText.text($0.text)))
                }
                if !lost.isEmpty { throw .wouldLoseParagraphs(path: path, count: lost.count) }
            }
        }
        do {
            try AtomicFile.write(zip(contents, targets).map { (Array($0.utf8), $1) }, overwrite: true)
        } catch {
            throw .write(error)
        }
        return NoticesResult(
            parents: parents, noticePath: targets[0], modificationsPath: targets[1],
            noticeCount: predicate.notices.retained.count + predicate.notices.added.count,
            modifiedFileCount: predicate.modifications.reduce(0) { $0 + $1.files.count })
    }
}
