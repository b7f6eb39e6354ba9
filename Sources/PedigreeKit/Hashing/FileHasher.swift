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
/// Memory is the buffers, whatever the size of the files: one buffer, or a ring of
/// `ringSlots` once a file is read ahead. Not thread-safe: one per thread.
final class FileHasher {
    /// Buffers in the read-ahead ring: deep enough that the reader and the two digest streams
    /// of an observed file rarely wait for one another.
    static let ringSlots = 8
    /// Files smaller than this many buffers are read and hashed on one thread.
    static let pipelineThresholdBuffers: Int64 = 16

    private let bufferSize: Int
    /// One buffer, grown to a ring of `ringSlots` the first time a file is read ahead.
    private var buffers: UnsafeMutableRawBufferPointer
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
        buffers = .allocate(byteCount: self.bufferSize, alignment: 4096)
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
        let large = before.size >= Self.pipelineThresholdBuffers * Int64(bufferSize)
        if large && (pipelined || observer?.wantsThread == true) {
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
                let chunk = UnsafeRawBufferPointer(start: base, count: n)
                sha.update(chunk)
                observer?.consume(chunk, at: total)
                counted(chunk.count, total: &total, progress: progress)
            } else {
                return (total, Int32(-n))
            }
        }
    }

    /// Reads on a second thread into a ring of buffers while this thread hashes, so reading
    /// costs no time on the hashing core; an observer that wants a thread of its own consumes
    /// the same slots on a third, at its own pace (see `ReadAheadRing`). Without those threads,
    /// reads and hashes here.
    private func hashReadingAhead(_ fd: Int32, progress: ByteCounter?) -> (Int64, Int32) {
        if buffers.count < bufferSize * Self.ringSlots {
            buffers.deallocate()
            buffers = .allocate(byteCount: bufferSize * Self.ringSlots, alignment: 4096)
        }
        var secondary: (@Sendable (UnsafeRawBufferPointer, Int64) -> Void)?
        var inline = observer
        if let observer, observer.wantsThread {
            let box = ObserverBox(observer)
            secondary = { chunk, offset in box.observer.consume(chunk, at: offset) }
            inline = nil
        }
        let sha = self.sha
        var total: Int64 = 0
        let read = ReadAheadRing.stream(
            fd, buffers: buffers, slotSize: bufferSize, slots: Self.ringSlots, secondary: secondary,
            primary: { (chunk: UnsafeRawBufferPointer, offset: Int64) in
                sha.update(chunk)
                inline?.consume(chunk, at: offset)
                self.counted(chunk.count, total: &total, progress: progress)
            })
        return read ?? hashInline(fd, progress: progress)
    }

    @inline(__always)
    private func counted(_ count: Int, total: inout Int64, progress: ByteCounter?) {
        total += Int64(count)
        progress?.add(Int64(count))
        afterChunk?(total)
    }
}

/// An observer handed to the ring's helper thread.
///
/// `@unchecked Sendable`: the helper uses the observer only between the ring's start and its
/// join, while the hashing thread does not touch it; the thread start and join order the two.
private final class ObserverBox: @unchecked Sendable {
    let observer: any ChunkObserver
    init(_ observer: any ChunkObserver) { self.observer = observer }
}

/// A ring of buffers filled by a reader thread and consumed, in file order, by one or two
/// consumers at once; the read-ahead of the hashing engine and of the tensor digests.
///
/// A slot travels with what is known about it, through channels only. With one consumer, a
/// reader thread takes a free slot, fills it and sends it with its byte count and offset on
/// `filled` to the calling thread, which hashes it and sends its index back on `released`.
/// With two, the calling thread reads each slot itself, sends it on `observed` to the helper
/// thread and hashes it; the slot is free again once the helper sends it back on `released`.
/// Nothing else is shared, so there is nothing to race on: each free list lives on one
/// thread's stack, and the channels' locks order a slot's bytes (written before `send`, read
/// after `receive`, written again only after the release). The two consumers never wait for
/// each other chunk by chunk: the helper may fall up to `slots` chunks behind.
final class ReadAheadRing: Sendable {
    /// A filled slot: its index, how many bytes it holds and where they start in the file; a
    /// count of 0 marks the end of the file, a negative one `-errno`.
    struct Chunk: Sendable {
        var slot: Int
        var count: Int
        var offset: Int64
    }

    private let memory: SlotMemory
    let slotSize: Int
    let slots: Int
    let filled: BoundedChannel<Chunk>
    let observed: BoundedChannel<Chunk>
    let released: BoundedChannel<Int>

    private init(buffers: UnsafeMutableRawBufferPointer, slotSize: Int, slots: Int) {
        memory = SlotMemory(buffers)
        self.slotSize = slotSize
        self.slots = slots
        filled = BoundedChannel(capacity: slots)
        observed = BoundedChannel(capacity: slots)
        // One thread releases (the caller, or the helper), each slot once before it is refilled.
        released = BoundedChannel(capacity: slots)
    }

    /// Reads `fd` from its current position to its end through a ring of `slots` slots of
    /// `slotSize` bytes in `buffers` (at least `slots × slotSize` bytes), on a reader thread —
    /// or, with a `secondary`, on the calling thread between its hashes (see `readAndHash`).
    ///
    /// Every chunk goes, in order, to `primary` on the calling thread and to `secondary` (if
    /// any) on a helper thread, each with its offset from the start of the read; the two run
    /// at once. Returns when both have seen every chunk and both threads are joined: the bytes
    /// read and the `errno` of a failed read (0 when the file ended), or `nil`, having read
    /// nothing, when the system refused a thread.
    static func stream(
        _ fd: Int32, buffers: UnsafeMutableRawBufferPointer, slotSize: Int, slots: Int,
        secondary: (@Sendable (UnsafeRawBufferPointer, Int64) -> Void)? = nil,
        primary: (UnsafeRawBufferPointer, Int64) -> Void
    ) -> (Int64, Int32)? {
        let ring = ReadAheadRing(buffers: buffers, slotSize: slotSize, slots: slots)
        if let secondary {
            guard let helper = startJoinableThread({ ring.drain(ring.observed, into: secondary) }) else { return nil }
            defer { helper.join() }
            return ring.readAndHash(fd, primary: primary)
        }
        guard let reader = startJoinableThread({ ring.fill(from: fd) }) else { return nil }
        defer { reader.join() }
        var total: Int64 = 0
        while true {
            let chunk = ring.filled.receive()
            if chunk.count <= 0 { return (total, chunk.count == 0 ? 0 : Int32(-chunk.count)) }
            primary(ring.bytes(chunk), chunk.offset)
            total += Int64(chunk.count)
            ring.released.send(chunk.slot)
        }
    }

    /// With a second consumer: reads on the calling thread, sends each chunk to the helper
    /// and hashes it here, so two threads share two cores rather than three (a reader and two
    /// digests) taking turns on them.
    ///
    /// The calling thread is done with a slot when `primary` returns, so only the helper's
    /// release makes a slot free again; the helper may fall up to `slots` chunks behind.
    private func readAndHash(_ fd: Int32, primary: (UnsafeRawBufferPointer, Int64) -> Void) -> (Int64, Int32) {
        var free = Array((0..<slots).reversed())
        var total: Int64 = 0
        while true {
            let index = free.popLast() ?? released.receive()
            let n = FileReading.read(fd, into: memory.buffers.baseAddress.map { $0 + index * slotSize }, count: slotSize)
            let chunk = Chunk(slot: index, count: n, offset: total)
            observed.send(chunk)
            if n <= 0 { return (total, n == 0 ? 0 : Int32(-n)) }
            primary(bytes(chunk), chunk.offset)
            total += Int64(n)
        }
    }

    /// The bytes a chunk holds: read only by the threads it was sent to.
    private func bytes(_ chunk: Chunk) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: memory.buffers[(chunk.slot * slotSize)..<(chunk.slot * slotSize + chunk.count)])
    }

    /// Hands every chunk of `channel` to `body` until the end, releasing each slot after it.
    private func drain(_ channel: BoundedChannel<Chunk>, into body: (UnsafeRawBufferPointer, Int64) -> Void) {
        while true {
            let chunk = channel.receive()
            if chunk.count <= 0 { return }
            body(bytes(chunk), chunk.offset)
            released.send(chunk.slot)
        }
    }

    /// Reads the whole file into the ring, one slot at a time, then sends the end; a slot is
    /// reused once the calling thread has released it.
    private func fill(from fd: Int32) {
        var free = Array((0..<slots).reversed())
        var offset: Int64 = 0
        while true {
            let index = free.popLast() ?? released.receive()
            let n = FileReading.read(fd, into: memory.buffers.baseAddress.map { $0 + index * slotSize }, count: slotSize)
            filled.send(Chunk(slot: index, count: n, offset: offset))
            if n <= 0 { return }
            offset += Int64(n)
        }
    }
}

/// The ring's memory, shared by its threads.
///
/// `@unchecked Sendable`: raw memory has no lock of its own; `ReadAheadRing` hands each slot
/// to its consumers through its channels, and refills it only after its release.
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
