#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that could not be hashed, and why.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// Why a file could not be hashed.
    public enum Reason: Equatable, Sendable {
        /// A system call failed with this `errno`.
        case system(Int32)
        /// A symbolic link met while links are not followed.
        case symbolicLink
        /// A symbolic link whose target lies outside the folder being read.
        case linkEscapes(target: String)
        /// A symbolic link that points at nothing.
        case danglingLink(target: String)
        /// A FIFO, socket or device: never opened for reading.
        case special(String)
        /// A directory where a file was expected.
        case isDirectory
        /// The file's size, modification time or change time moved while it was read.
        case changedWhileReading(String)
        /// The name is not valid UTF-8, so it cannot be written to a manifest.
        case invalidName
        /// A folder on the way to the file is a symbolic link (named relative to the root).
        case linkInPath(String)
        /// An output file that already exists and is not to be replaced.
        case exists
        /// Larger than a file of its kind may be.
        case tooLarge(limit: Int64)
        /// A link to a folder that another link already brought into the walk.
        case linkToFollowedFolder
        /// Following links led back into a folder already being walked.
        case linkCycle
        /// A name a manifest cannot hold (`problem` says why); `ignore` is the pattern that
        /// leaves the file out.
        case unsafeName(String, ignore: String)
    }

    /// The path as the user or the manifest named it.
    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// The reason alone, in the words of `sha256sum` where it has some.
    public var reasonText: String {
        switch reason {
        case let .system(code): return systemErrorText(code)
        case .symbolicLink: return "is a symbolic link; not followed (use --follow-symlinks)"
        case let .linkEscapes(target): return "is a symbolic link to '\(printable(target))', outside the folder; refused"
        case let .danglingLink(target): return "is a symbolic link to '\(printable(target))', which does not exist"
        case let .special(kind): return "is a \(kind); refused, never read"
        case .isDirectory: return "Is a directory"
        case let .changedWhileReading(detail): return "changed while it was read (\(detail)); digest discarded"
        case .invalidName: return "file name is not valid UTF-8; refused"
        case let .linkInPath(link): return "passes through the symbolic link '\(printable(link))'; refused"
        case .exists: return "already exists; not overwritten (use --force to replace it)"
        case let .tooLarge(limit): return "larger than \(limit) bytes; refused"
        case .linkToFollowedFolder: return "is a symbolic link to a folder already included through another link; refused"
        case .linkCycle: return "symbolic link leads back into a folder being read; refused"
        case let .unsafeName(problem, ignore):
            return "the name \(problem), which a manifest cannot hold ('/' is the only separator in a manifest's names); "
                + "rename the file or leave it out with --ignore '\(printable(ignore))'"
        }
    }

    /// The status for this error about an input: 66 when it could not be read at all, 73 when
    /// it is an output that exists, else 65 (read and refused). A failed write is the caller's
    /// to report as 73.
    public var exitStatus: ExitStatus {
        switch reason {
        case .system: return .noInput
        case .exists: return .cannotCreate
        default: return .dataError
        }
    }

    /// Whether the file could not be read at all (a system call failed), as opposed to read
    /// and refused.
    public var isUnreadable: Bool {
        if case .system = reason { return true }
        return false
    }

    /// Whether the file does not exist (`ENOENT`).
    public var isNotFound: Bool { reason == .system(ENOENT) }

    /// The path and the reason, with control characters escaped: names come from the file
    /// system and from manifests, and must not drive the terminal that shows them.
    public var description: String { "\(printable(path)): \(reasonText)" }
}
