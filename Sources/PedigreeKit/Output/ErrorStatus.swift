import PedigreeCrypto

// The exit status each library error ends a run with, declared once per error type: here for
// the types that do not declare it beside themselves (most do). Patterns are written so that a
// new case gets the type's usual status rather than breaking the build. Which errors print on
// several lines is declared at the end, apart from their statuses.

/// An error whose description has several lines, each break placed by the library: the
/// console escapes each line on its own instead of showing the breaks as `\x0a`.
///
/// Adopt it only when every name inside the description is already escaped (`printable`), so
/// that the only line breaks are the library's own.
public protocol MultilineDiagnostic: Error, CustomStringConvertible {}

extension CheckError: ExitStatusProviding {
    public var exitStatus: ExitStatus {
        if case .folder(let error) = self { return error.exitStatus }
        return .dataError
    }
}

extension ExportError: ExitStatusProviding {
    public var exitStatus: ExitStatus { .dataError }
}

extension JSONReadError: ExitStatusProviding {
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
extension CountersignError: MultilineDiagnostic {}
