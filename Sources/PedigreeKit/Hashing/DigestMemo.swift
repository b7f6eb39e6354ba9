/// Digests of files read before, which the engine consults around each file it reads: the seam
/// through which the digest cache (`DigestCache`) plugs into hashing.
///
/// The engine asks only with a stamp taken from the descriptor it opened (so the answer is about
/// the very file it would read, whatever happens to its name meanwhile), and offers a digest
/// only when the stamps taken before and after the read are equal.
public protocol DigestMemo: AnyObject, Sendable {
    /// The digest of the file in the state `stamp` describes, if one is known; `nil` to read it.
    func recall(_ stamp: FileStamp) -> FileDigest?

    /// Offers `digest` as the content of the file that was in the state `stamp` before and
    /// after it was read; the memo may decline it (see `DigestCache`).
    func remember(_ digest: FileDigest, stamp: FileStamp)

    /// The digests of many files at once, as `recall(_:)` would give them one by one (`nil` for a
    /// `nil` stamp or one not known); the engine asks this once, with the walk's stamps, before it
    /// opens any file.
    func recall(_ stamps: [FileStamp?]) -> [FileDigest?]
}

extension DigestMemo {
    /// One `recall(_:)` per stamp, for a memo with no faster way.
    public func recall(_ stamps: [FileStamp?]) -> [FileDigest?] {
        stamps.map { $0.flatMap(recall) }
    }
}
