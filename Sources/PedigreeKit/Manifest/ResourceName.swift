/// The name of a file inside a model folder: a POSIX path relative to the folder that can only
/// ever name something inside it.
///
/// Every name a manifest lists and every name the signer's walk finds becomes one of these
/// through the same validator (`RelativePath.problem(with:)`), so `sign` writes exactly the
/// names `verify` accepts. Names compare and hash by their UTF-8 bytes, as a file system
/// does: `é` precomposed and decomposed are two names.
public struct ResourceName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The name as text.
    public let string: String

    /// Validates `string`.
    ///
    /// - Throws: `ResourceNameError` saying why it is not a safe relative path.
    public init(_ string: String) throws(ResourceNameError) {
        if let problem = RelativePath.problem(with: string) { throw ResourceNameError(name: string, problem: problem) }
        self.string = string
    }

    public var description: String { string }

    public static func == (a: ResourceName, b: ResourceName) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }

    public func hash(into hasher: inout Hasher) {
        for byte in string.utf8 { hasher.combine(byte) }
    }

    /// `model_signing`'s order: path components compared one by one (`RelativePath.precedes`).
    public static func < (a: ResourceName, b: ResourceName) -> Bool { RelativePath.precedes(a.string, b.string) }
}

/// A name that cannot be a resource name, and why.
public struct ResourceNameError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// The name as it was found.
    public var name: String
    /// Why it is refused: "leaves the folder ('..')", "contains a backslash", …
    public var problem: String

    public var description: String { "name '\(printable(name))' \(problem)" }

    public var exitStatus: ExitStatus { .dataError }
}
