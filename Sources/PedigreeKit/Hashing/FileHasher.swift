#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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

    init(bufferSize: Int, pipelined: Bool) {
        precondition(bufferSize > 0, "buffer size must be positive")
        self.bufferSize = bufferSize
        self.pipelined = pipelined
        buffers = .allocate(byteCount: bufferSize * (pipelined ? Self.ringSlots : 1), alignment: 4096)
    }

    deinit { buffers.deallocate() }

    /// Streams the file through SHA-256.
    ///
    /// - Throws: `FileError` when the file cannot be opened or read, is not a regular file,
    ///   or changes (size, modification time, identity, or length read) while it is read.
    func hash(_ source: FileSource, displayPath: String, progress: ByteCounter?) throws(FileError) -> FileDigest {
        let (fd, before) = try source.openRegularFile(displayPath: displayPath)
        defer { close(fd) }
        // The digest cache's seam: a stamp of the opened descriptor, the same before and after.
        let stamp = memo == nil ? nil : FileStamp(descriptor: fd)
        if let stamp, let known = memo?.recall(stamp) {
            progress?.add(known.size)
            return known
        }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
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
        guard let after = fileStatus(fd) else {
            sha.reset()
            throw FileError(path: displayPath, reason: .system(errno))
        }
        if let change = describeChange(before: before, after: after, bytesRead: total) {
            sha.reset()
            throw FileError(path: displayPath, reason: .changedWhileReading(change))
        }
        let result = FileDigest(digest: sha.finalize(), size: total)
        if let stamp, FileStamp(descriptor: fd) == stamp { memo?.remember(result, stamp: stamp) }
        return result
    }

    /// Reads and hashes on this thread; returns the bytes read and `errno` of a failed read.
    private func hashInline(_ fd: Int32, progress: ByteCounter?) -> (Int64, Int32) {
        var total: Int64 = 0
        let base = buffers.baseAddress!
        while true {
            let n = read(fd, base, bufferSize)
            if n > 0 {
                consume(UnsafeRawBufferPointer(start: base, count: n), total: &total, progress: progress)
            } else if n == 0 {
                return (total, 0)
            } else if errno != EINTR {
                return (total, errno)
            }
        }
    }

    /// Reads on a second thread into a ring of buffers while this thread hashes, so reading
    /// costs no time on the hashing core. Without a second thread, reads and hashes here.
    private func hashReadingAhead(_ fd: Int32, progress: ByteCounter?) -> (Int64, Int32) {
        let ring = ReadAheadRing(buffers: buffers, slotSize: bufferSize, slots: Self.ringSlots)
        guard let reader = startThread({ ring.fill(from: fd) }) else { return hashInline(fd, progress: progress) }
        defer { pthread_join(reader, nil) }
        var total: Int64 = 0
        var slot = 0
        while true {
            ring.filled.wait()
            let n = ring.counts[slot]
            if n <= 0 { return (total, n == 0 ? 0 : Int32(-n)) }
            consume(UnsafeRawBufferPointer(start: ring.slot(slot).baseAddress, count: n), total: &total, progress: progress)
            ring.emptied.signal()
            slot = (slot + 1) % ring.slots
        }
    }

    @inline(__always)
    private func consume(_ chunk: UnsafeRawBufferPointer, total: inout Int64, progress: ByteCounter?) {
        sha.update(chunk)
        total += Int64(chunk.count)
        progress?.add(Int64(chunk.count))
        afterChunk?(total)
    }
}

/// The buffers and signals shared by a read-ahead reader and its hashing thread.
///
/// The semaphores order every access: a slot is written by the reader only after the hasher
/// released it (`emptied`), and read by the hasher only after the reader filled it (`filled`).
private final class ReadAheadRing: @unchecked Sendable {
    let buffers: UnsafeMutableRawBufferPointer
    let slotSize: Int
    let slots: Int
    /// Bytes in each slot; 0 marks the end of the file, a negative value `-errno`.
    var counts: [Int]
    let filled = CountingSemaphore(0)
    let emptied: CountingSemaphore

    init(buffers: UnsafeMutableRawBufferPointer, slotSize: Int, slots: Int) {
        self.buffers = buffers
        self.slotSize = slotSize
        self.slots = slots
        counts = Array(repeating: 0, count: slots)
        emptied = CountingSemaphore(slots)
    }

    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffers[(index * slotSize)..<((index + 1) * slotSize)])
    }

    /// Reads the whole file into the ring, one slot at a time, then marks the end.
    func fill(from fd: Int32) {
        var index = 0
        while true {
            emptied.wait()
            let buffer = slot(index)
            var n: Int
            repeat {
                n = read(fd, buffer.baseAddress, slotSize)
            } while n < 0 && errno == EINTR
            counts[index] = n < 0 ? -Int(errno) : n
            filled.signal()
            if n <= 0 { return }
            index = (index + 1) % slots
        }
    }
}


/// What changed about a file between opening it and reading its last byte, if anything.
func describeChange(before: FileStatus, after: FileStatus, bytesRead: Int64) -> String? {
    if after.size != before.size {
        return "size went from \(before.size) to \(after.size) bytes"
    }
    if bytesRead != before.size {
        return "read \(bytesRead) bytes of \(before.size)"
    }
    if after != before {
        return "modification time changed"
    }
    return nil
}
