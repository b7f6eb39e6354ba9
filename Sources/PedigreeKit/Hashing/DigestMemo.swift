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
}
