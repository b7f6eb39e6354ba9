/// A signed manifest larger than its readers accept (`Limits.manifestBytes`), refused before it
/// is written: the tensor table is what makes a manifest that large, one row per tensor.
public struct ManifestTooLarge: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// The encoded manifest's size.
    public let bytes: Int
    /// The most a reader reads.
    public let limit: Int
    /// The rows of its tensor table (0 without one).
    public let tensorCount: Int

    public var description: String {
        let what = "the manifest would take \(bytes) bytes"
            + (tensorCount > 0 ? " with its table of \(tensorCount) tensor\(tensorCount == 1 ? "" : "s")" : "")
            + ", more than the \(limit) a manifest may take (verify and every other reader refuse a larger one); nothing is written"
        return tensorCount > 0 ? what + " (sign with --no-tensors to sign the weights files by their digests alone)" : what
    }

    /// 65: what the folder holds is too much for one manifest.
    public var exitStatus: ExitStatus { .dataError }
}

/// The size check of a manifest about to be written.
public enum ManifestSizeCheck {
    /// Throws when a manifest of `bytes` bytes carrying `tensorCount` tensor rows is larger than
    /// readers accept.
    public static func check(bytes: Int, tensorCount: Int) throws(ManifestTooLarge) {
        try check(bytes: bytes, tensorCount: tensorCount, limit: Limits.manifestBytes)
    }

    /// `check(bytes:tensorCount:)` against another limit: the tests' seam.
    static func check(bytes: Int, tensorCount: Int, limit: Int) throws(ManifestTooLarge) {
        guard bytes > limit else { return }
        throw ManifestTooLarge(bytes: bytes, limit: limit, tensorCount: tensorCount)
    }
}
