import PedigreeCrypto

// The exit status each library error ends a run with, declared once per error type. They sit
// together here until each moves beside its type (when a type declares its own conformance,
// delete its extension here); patterns are written so that a new case gets the type's usual
// status rather than breaking the build. Which errors print on several lines is declared at
// the end, apart from their statuses.

/// An error whose description has several lines, each break placed by the library: the
/// console escapes each line on its own instead of showing the breaks as `\x0a`.
///
/// Adopt it only when every name inside the description is already escaped (`printable`), so
/// that the only line breaks are the library's own.
public protocol MultilineDiagnostic: Error, CustomStringConvertible {}

extension FileError: ExitStatusProviding {
    /// A file that does not exist or cannot be read is missing input (66); an output that
    /// exists cannot be created (73); anything else about it is unusable input (65).
    public var exitStatus: ExitStatus {
        switch reason {
        case .system: return .noInput
        case .exists: return .cannotCreate
        default: return .dataError
        }
    }
}

extension ManifestError: ExitStatusProviding {
    public var exitStatus: ExitStatus {
        if case .unreadable(let error) = self { return error.exitStatus }
        return .dataError
    }
}

extension KeyFileError: ExitStatusProviding {
    public var exitStatus: ExitStatus { isUnreadable ? .noInput : .dataError }
}

extension SignError: ExitStatusProviding {
    public var exitStatus: ExitStatus {
        if case .folder(let error) = self { return error.exitStatus }
        if case .crypto = self { return .software }
        return .dataError
    }
}

extension DerivationError: ExitStatusProviding {
    /// A changed file without a modification notice fails the license's condition (1); a
    /// parent that cannot be read is missing or malformed input.
    public var exitStatus: ExitStatus {
        if case .parentUnreadable(_, let error) = self { return error.exitStatus }
        if case .uncoveredChanges = self { return .failure }
        return .dataError
    }
}

extension CheckError: ExitStatusProviding {
    public var exitStatus: ExitStatus {
        if case .folder(let error) = self { return error.exitStatus }
        return .dataError
    }
}

extension ExportError: ExitStatusProviding {
    public var exitStatus: ExitStatus { .dataError }
}

extension SpecError: ExitStatusProviding {
    public var exitStatus: ExitStatus { .dataError }
}

extension JSONReadError: ExitStatusProviding {
    public var exitStatus: ExitStatus { .dataError }
}

extension JSONProblem: ExitStatusProviding {
    public var exitStatus: ExitStatus { .dataError }
}

extension TimestampError: ExitStatusProviding {
    /// `SOURCE_DATE_EPOCH` is part of how the command was invoked.
    public var exitStatus: ExitStatus { .usage }
}

extension JSONOutput.EncodingFailure: ExitStatusProviding {
    public var exitStatus: ExitStatus { .software }
}

extension YAMLFrontMatter.EmitFailure: ExitStatusProviding {
    public var exitStatus: ExitStatus { .software }
}

extension SignError: MultilineDiagnostic {}
extension DerivationError: MultilineDiagnostic {}
