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
    /// costs no time on the hashing core; with an observer that wants a thread of its own, that
    /// thread and this one share the reads and each feeds its own stream from the same slots
    /// (see `ReadAheadRing`). Without a second thread, reads and hashes here.
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

/// A ring of buffers filled from a file and consumed, in file order, by one or two consumers
/// at once; the read-ahead of the hashing engine and of the tensor digests.
///
/// A slot travels with what is known about it, through channels only. With one consumer, a
/// reader thread takes a free slot, fills it and sends it with its byte count and offset on
/// `filled` to the calling thread, which hashes it and sends its index back on `released`.
/// With two, the calling thread and a helper thread share the reading as they share the
/// hashing: chunk `n` of the file goes to slot `n % slots`, the calling thread reads the even
/// chunks and the helper the odd ones (with `pread` at the chunk's offset, so there is no
/// shared file position), each sends what it read to the other on `handedTo` and consumes
/// every chunk in order; a slot read by one is refilled only after the other sends it back on
/// `returnedTo`. Nothing else is shared, so there is nothing to race on: the channels' locks
/// order a slot's bytes (written before `send`, read after `receive`, written again only after
/// the return). Each thread reads ahead as far as the ring allows, so the two may drift up to
/// about `slots` chunks apart without waiting for each other.
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
    let released: BoundedChannel<Int>
    /// With two consumers: chunks read by one thread for the other (index 0: for the calling
    /// thread, 1: for the helper).
    let handedTo: [BoundedChannel<Chunk>]
    /// With two consumers: the numbers of chunks a thread read and the other is done with,
    /// in order (index 0: to the calling thread, 1: to the helper).
    let returnedTo: [BoundedChannel<Int>]

    private init(buffers: UnsafeMutableRawBufferPointer, slotSize: Int, slots: Int) {
        memory = SlotMemory(buffers)
        self.slotSize = slotSize
        self.slots = slots
        filled = BoundedChannel(capacity: slots)
        // One thread releases (the caller), each slot once before it is refilled.
        released = BoundedChannel(capacity: slots)
        handedTo = [BoundedChannel(capacity: slots), BoundedChannel(capacity: slots)]
        returnedTo = [BoundedChannel(capacity: slots), BoundedChannel(capacity: slots)]
    }

    /// Reads `fd` through a ring of `slots` slots of `slotSize` bytes in `buffers` (at least
    /// `slots × slotSize` bytes): from its current position to its end on a reader thread or,
    /// with a `secondary`, from byte 0 to the end on the calling thread and a helper, which
    /// share the reads (see `shareReads`; the file position is left alone).
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
        if let secondary {
            // The two threads read alternate chunks, so the slots pair up: an even count.
            let ring = ReadAheadRing(buffers: buffers, slotSize: slotSize, slots: max(2, slots & ~1))
            guard let helper = startJoinableThread({ _ = ring.shareReads(fd, role: 1, consume: secondary) }) else { return nil }
            defer { helper.join() }
            return ring.shareReads(fd, role: 0, consume: primary)
        }
        let ring = ReadAheadRing(buffers: buffers, slotSize: slotSize, slots: slots)
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

    /// With two consumers, the part of one thread (`role` 0 the calling thread, 1 the helper):
    /// reads the chunks `n` with `n % 2 == role`, and hands every chunk of the file, in order,
    /// to `consume`. Returns the bytes consumed and the `errno` of a failed read (0 at the end).
    ///
    /// Both threads read and both hash, so neither alone pays the copy out of the page cache
    /// that sets the pace when one thread reads for both (on two cores, about a fifth of the
    /// reading thread's time). The file ends at the first chunk shorter than a slot; a thread
    /// may have read one chunk past it, which nobody consumes. A slot read here is refilled
    /// only once this thread consumed its chunk (it is `slots` chunks behind) and the other
    /// returned it; until the chunk about to be consumed is this thread's own and unread, the
    /// return is only taken when already there, so a thread ahead keeps hashing.
    private func shareReads(_ fd: Int32, role: Int, consume: (UnsafeRawBufferPointer, Int64) -> Void) -> (Int64, Int32) {
        let other = 1 - role
        // The byte counts of this thread's chunks, by slot, until consumed.
        var counts = Array(repeating: 0, count: slots)
        var nextRead = role
        var readAll = false
        var total: Int64 = 0
        var next = 0
        while true {
            while !readAll, nextRead < next + slots {
                if nextRead >= slots {
                    let returned = nextRead <= next ? returnedTo[role].receive() : returnedTo[role].tryReceive()
                    guard returned != nil else { break }
                }
                let slot = nextRead % slots
                let offset = Int64(nextRead) * Int64(slotSize)
                let n = FileReading.read(fd, into: memory.buffers.baseAddress.map { $0 + slot * slotSize }, count: slotSize, at: offset)
                counts[slot] = n
                handedTo[other].send(Chunk(slot: slot, count: n, offset: offset))
                if n < slotSize { readAll = true }
                nextRead += 2
            }
            let mine = next % 2 == role
            let chunk = mine
                ? Chunk(slot: next % slots, count: counts[next % slots], offset: Int64(next) * Int64(slotSize))
                : handedTo[role].receive()
            if chunk.count > 0 {
                consume(bytes(chunk), chunk.offset)
                total += Int64(chunk.count)
            }
            if chunk.count < slotSize { return (total, chunk.count < 0 ? Int32(-chunk.count) : 0) }
            if !mine { returnedTo[other].send(next) }
            next += 1
        }
    }

    /// The bytes a chunk holds: read only by the threads it was sent to.
    private func bytes(_ chunk: Chunk) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: memory.buffers[(chunk.slot * slotSize)..<(chunk.slot * slotSize + chunk.count)])
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
