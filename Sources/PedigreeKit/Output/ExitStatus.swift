/// How a run of the command-line tool ends, as its exit status (the failures beyond 1 follow
/// `sysexits.h`). Library errors say which one they mean through `ExitStatusProviding`, so the
/// mapping from an error to a status is made once, where the error is defined.
public enum ExitStatus: Int32, Sendable, Equatable {
    /// Everything held: hashed, signed, verified, every condition passed.
    case success = 0
    /// A verification or a check failed: a signature, a file, a chain, a license condition.
    case failure = 1
    /// `check`: a license pedigree does not know, so its conditions were not evaluated.
    case unchecked = 2
    /// The command line was wrong.
    case usage = 64
    /// An input exists but is malformed or unusable: a manifest, a key, a spec, a folder.
    case dataError = 65
    /// An input file or folder does not exist or cannot be read.
    case noInput = 66
    /// The cryptographic library failed.
    case software = 70
    /// An output exists (without `--force`) or cannot be written.
    case cannotCreate = 73
}

/// An error that knows the exit status it ends a run with.
public protocol ExitStatusProviding: Error {
    var exitStatus: ExitStatus { get }
}
