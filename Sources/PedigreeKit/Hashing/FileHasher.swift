import PedigreeCrypto

/// The SHA-256 digest and the size of one file.
public struct FileDigest: Equatable, Sendable {
    public var digest: SHA256Digest
    public var size: Int64

    public init(digest: SHA256Digest, size: Int64) {
        self.digest = digest
        self.size = size
    }
}

/// Hashes files one after another through reusable buffers and one SHA-256 context.
///
/// Memory is the buffers, whatever the size of the files. Not thread-safe: one per thread.
final class FileHasher {
    /// Buffers in the read-ahead ring of a pipelined read.
    static let ringSlots = 4
    /// Files smaller than this many buffers are read and hashed on one thread.
    static let pipelineThresholdBuffers: Int64 = 16

    private let bufferSize: Int
    private let buffers: UnsafeMutableRawBufferPointer
    private let sha = SHA256()
    /// Whether to read ahead on a second thread while this one hashes.
    let pipelined: Bool
    /// Called after each chunk is hashed; tests use it to change a file mid-read.
    var afterChunk: (@Sendable (Int64) -> Void)?
    /// Remembered digests, asked before a read and told after (see `DigestMemo`).
    var memo: (any DigestMemo)?
    /// Second digest streams fed from the same reads (see `ChunkObserverFactory`).
    var observers: (any ChunkObserverFactory)?
    /// The observer of the file being hashed.
    private var observer: (any ChunkObserver)?

    init(bufferSize: Int, pipelined: Bool) {
        self.bufferSize = max(1, bufferSize)
        self.pipelined = pipelined
        buffers = .allocate(byteCount: self.bufferSize * (pipelined ? Self.ringSlots : 1), alignment: 4096)
    }

    deinit { buffers.deallocate() }

    /// Streams the file through SHA-256.
    ///
    /// - Throws: `FileError` when the file cannot be opened or read, is not a regular file,
    ///   or changes (size, modification or change time, identity, or length read) while it is read.
    ///
    /// - Parameter alreadyAsked: a stamp the memo was asked about and did not know; it is not
    ///   asked again when the opened file has the same stamp.
    func hash(
        _ source: FileSource, displayPath: String, progress: ByteCounter?, alreadyAsked: FileStamp? = nil
    ) throws(FileError) -> FileDigest {
        let (fd, before) = try source.openRegularFile(displayPath: displayPath)
        defer { FileReading.close(fd) }
        // The digest cache's seam: a stamp of the opened descriptor, the same before and after.
        observer = observers?.observer(displayPath: displayPath, descriptor: fd, size: before.size)
        defer { observer = nil }
        let stamp = memo == nil ? nil : FileStamp(descriptor: fd)
        if observer == nil, let stamp, stamp != alreadyAsked, let known = memo?.recall(stamp) {
            progress?.add(known.size)
            return known
        }
        // Read-ahead advice helps only a file longer than one read: a small file would pay a
        // system call for nothing (one in eight of a small file's calls).
        if before.size > Int64(bufferSize) { FileReading.adviseSequential(fd) }
        sha.reset()
        let total: Int64
        let readError: Int32
        if pipelined && before.size >= Self.pipelineThresholdBuffers * Int64(bufferSize) {
            (total, readError) = hashReadingAhead(fd, progress: progress)
        } else {
            (total, readError) = hashInline(fd, progress: progress)
        }
        if readError != 0 {
            sha.reset()
            throw FileError(path: displayPath, reason: .system(readError))
        }
        let after: FileStatus
        switch FileReading.status(fd) {
        case .success(let status): after = status
        case .failure(let failure):
            sha.reset()
            throw FileError(path: displayPath, reason: .system(failure.code))
        }
        if let change = describeChange(before: before, after: after, bytesRead: total) {
            sha.reset()
            throw FileError(path: displayPath, reason: .changedWhileReading(change))
        }
        let result = FileDigest(digest: sha.finalize(), size: total)
        observer?.finish(result)
        if let stamp, FileStamp(descriptor: fd) == stamp { memo?.remember(result, stamp: stamp) }
        return result
    }

    /// Reads and hashes on this thread; returns the bytes read and `errno` of a failed read.
    private func hashInline(_ fd: Int32, progress: ByteCounter?) -> (Int64, Int32) {
        var total: Int64 = 0
        let base = buffers.baseAddress
        while true {
            let n = FileReading.read(fd, into: base, count: bufferSize)
            if n > 0 {
                consume(UnsafeRawBufferPointer(start: base, count: n), total: &total, progress: progress)
            } else {
                return (total, Int32(-n))
            }
        }
    }

    /// Reads on a second thread into a ring of buffers while this thread hashes, so reading
    /// costs no time on the hashing core. Without a second thread, reads and hashes here.
    private func hashReadingAhead(_ fd: Int32, progress: ByteCounter?) -> (Int64, Int32) {
        let ring = ReadAheadRing(buffers: buffers, slotSize: bufferSize, slots: Self.ringSlots)
        guard let reader = startJoinableThread({ ring.fill(from: fd) }) else { return hashInline(fd, progress: progress) }
        defer { reader.join() }
        var total: Int64 = 0
        while true {
            let chunk = ring.filled.receive()
            if chunk.count <= 0 { return (total, chunk.count == 0 ? 0 : Int32(-chunk.count)) }
            consume(UnsafeRawBufferPointer(start: ring.slot(chunk.slot).baseAddress, count: chunk.count), total: &total, progress: progress)
            ring.free.send(chunk.slot)
        }
    }

    @inline(__always)
    private func consume(_ chunk: UnsafeRawBufferPointer, total: inout Int64, progress: ByteCounter?) {
        if let observer {
            observer.consume(chunk, at: total) { sha.update(chunk) }
        } else {
            sha.update(chunk)
        }
        total += Int64(chunk.count)
        progress?.add(Int64(chunk.count))
        afterChunk?(total)
    }
}

/// The buffers shared by a read-ahead reader and its hashing thread, and the two channels
/// that hand slots back and forth.
///
/// A slot travels with what is known about it: the reader takes a free slot from `free`,
/// fills it and sends it on `filled` with its byte count; the hasher takes it from `filled`,
/// hashes it and sends it back on `free`. Nothing else is shared, so there is nothing to race
/// on: each count exists only inside the message that carries it, and the channel's lock
/// orders the slot's bytes (written before `send`, read after `receive`).
private final class ReadAheadRing: Sendable {
    /// A filled slot: its index and how many bytes it holds; 0 marks the end of the file, a
    /// negative value `-errno`.
    struct Chunk: Sendable {
        var slot: Int
        var count: Int
    }

    private let memory: SlotMemory
    let slotSize: Int
    let filled: BoundedChannel<Chunk>
    let free: BoundedChannel<Int>

    init(buffers: UnsafeMutableRawBufferPointer, slotSize: Int, slots: Int) {
        memory = SlotMemory(buffers)
        self.slotSize = slotSize
        filled = BoundedChannel(capacity: slots)
        free = BoundedChannel(capacity: slots)
        for index in 0..<slots { free.send(index) }
    }

    /// The memory of slot `index`: written only by the thread that holds the slot.
    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory.buffers[(index * slotSize)..<((index + 1) * slotSize)])
    }

    /// Reads the whole file into the ring, one slot at a time, then sends the end.
    func fill(from fd: Int32) {
        while true {
            let index = free.receive()
            let n = FileReading.read(fd, into: slot(index).baseAddress, count: slotSize)
            filled.send(Chunk(slot: index, count: n))
            if n <= 0 { return }
        }
    }
}

/// The ring's memory, shared by the two threads.
///
/// `@unchecked Sendable`: raw memory has no lock of its own; `ReadAheadRing` hands each slot
/// to one thread at a time through its channels, which order every access to it.
private final class SlotMemory: @unchecked Sendable {
    let buffers: UnsafeMutableRawBufferPointer
    init(_ buffers: UnsafeMutableRawBufferPointer) { self.buffers = buffers }
}

/// What changed about a file between opening it and reading its last byte, if anything.
///
/// The change time is compared too: a write in place whose modification time was restored
/// (`touch -d`, `futimens`) keeps size and mtime but always moves ctime. A rename, a new hard
/// link or a `chmod` during the read moves it as well and is reported the same way — harmless
/// to the digest, but indistinguishable from an edit, so the digest is discarded.
func describeChange(before: FileStatus, after: FileStatus, bytesRead: Int64) -> String? {
    if after.size != before.size {
        return "size went from \(before.size) to \(after.size) bytes"
    }
    if bytesRead != before.size {
        return "read \(bytesRead) bytes of \(before.size)"
    }
    if after.modified.tv_sec != before.modified.tv_sec || after.modified.tv_nsec != before.modified.tv_nsec {
        return "modification time changed"
    }
    if after != before {
        return "change time moved, modification time kept"
    }
    return nil
}
