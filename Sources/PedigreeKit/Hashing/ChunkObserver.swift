/// Sees every chunk of one file as the hashing engine reads it, so a second digest stream (the
/// tensor digests) comes from the same read as the file's own SHA-256.
///
/// Made per file by a `ChunkObserverFactory`; used by one thread at a time: the hashing
/// thread, or, when it `wantsThread` and the file is large enough to be read ahead, a helper
/// thread of its own that sees the same buffers as the file digest while that runs (see
/// `ReadAheadRing`), ended before `finish` is called.
public protocol ChunkObserver: AnyObject {
    /// Whether to consume on a thread of its own beside the file digest's (a core is free for it).
    var wantsThread: Bool { get }

    /// Takes the chunk of the file that starts at byte `offset`; the chunk's memory is reused
    /// once this returns. Chunks come in file order, from byte 0, without gaps.
    func consume(_ chunk: UnsafeRawBufferPointer, at offset: Int64)

    /// The file was read to its end, unchanged, with this digest.
    func finish(_ digest: FileDigest)
}

/// Decides, for each file the engine opens, whether something observes its bytes.
///
/// The engine asks with the descriptor it opened, before reading anything, so what the factory
/// learns about the file (a weights file's header, read with `pread`, which leaves the
/// sequential read position alone) is about the very file then hashed. A file with an observer
/// is always read: the digest memo (`DigestMemo`) is not asked, since a remembered digest
/// comes without the bytes the observer needs.
public protocol ChunkObserverFactory: Sendable {
    /// The observer of the file `displayPath`, open as `descriptor` with `size` bytes; `nil` to
    /// hash it plainly. A factory that cannot read what it needs records why and returns `nil`.
    func observer(displayPath: String, descriptor: Int32, size: Int64) -> (any ChunkObserver)?
}
