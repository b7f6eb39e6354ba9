import PedigreeCrypto

/// The SHA-256 of one tensor's raw bytes (its byte range in the file, nothing else).
public struct TensorDigest: Equatable, Sendable {
    public let name: String
    public let digest: SHA256Digest

    public init(name: String, digest: SHA256Digest) {
        self.name = name
        self.digest = digest
    }
}

/// Computes every tensor's SHA-256 from the bytes of its file fed in order, so the pass that
/// computes the file's digest also yields the tensor digests: one read, two digest streams.
///
/// The file's digest stays plain SHA-256 over the whole file (what `sha256sum`, the Hub's LFS
/// oid and OMS use); this second stream covers each tensor's byte range and nothing between
/// them (headers, padding). Feed it every chunk the file hasher reads, from the first byte on,
/// with `consume(_:at:)` — nothing is allocated per chunk — then call `finish()`.
///
/// Tensors do not overlap (the header readers guarantee it), so one SHA-256 context does: a
/// tensor's digest is final when the stream passes its last byte. Where a core is free for it,
/// the hashing engine feeds the digester on a thread of its own from the same read-ahead
/// buffers as the file digest (`ChunkObserver.wantsThread`, `ReadAheadRing`), so the two
/// streams run side by side. Not thread-safe: one per file being hashed, fed by one thread at
/// a time.
public final class TensorDigester {
    fileprivate let core: DigestCore

    /// A digester for `tensors` of the file `file` (named in errors).
    public init(tensors: [TensorInfo], file: String) {
        core = DigestCore(tensors: tensors, file: file)
    }

    /// Feeds the next chunk of the file, which starts at byte `offset`.
    ///
    /// Chunks must follow one another without gaps, from an offset at or before the first tensor.
    /// A chunk out of order is remembered and reported by `finish()`.
    public func consume(_ chunk: UnsafeRawBufferPointer, at offset: Int64) {
        core.consume(chunk, at: offset)
    }

    /// The digests of all the tensors, in the order they were given.
    ///
    /// - Throws: `TensorFileError` when a tensor's bytes were not all fed (the file ended inside
    ///   it: it shrank since its header was read), when chunks came out of order, or when the
    ///   tensors given overlap.
    public func finish() throws(TensorFileError) -> [TensorDigest] {
        try core.finish()
    }
}

/// The state of the tensor stream.
///
/// `@unchecked Sendable`: touched by one thread at a time; a read-ahead ring's helper thread
/// feeds it between its start and its join, and nothing else touches it meanwhile.
private final class DigestCore: @unchecked Sendable {
    let file: String
    let names: [String]
    /// Indexes into `names`, ordered by where the tensor starts.
    let order: [Int]
    /// Byte ranges in `order`.
    let ranges: [Range<Int64>]
    let sha = SHA256()
    var digests: [SHA256Digest?]
    /// The position in `order` of the first tensor not yet finished.
    var next = 0
    /// Whether the tensor at `next` has received bytes.
    var inProgress = false
    var hashedInCurrent: Int64 = 0
    /// The offset the next chunk must start at; `nil` before the first chunk.
    var position: Int64?
    var failure: TensorFileError?

    init(tensors: [TensorInfo], file: String) {
        self.file = file
        names = tensors.map(\.name)
        let order = tensors.indices.sorted {
            (tensors[$0].byteRange.lowerBound, tensors[$0].byteRange.upperBound) < (tensors[$1].byteRange.lowerBound, tensors[$1].byteRange.upperBound)
        }
        self.order = order
        ranges = order.map { tensors[$0].byteRange }
        digests = Array(repeating: nil, count: tensors.count)
        for (a, b) in zip(order, order.dropFirst()) where tensors[b].byteRange.lowerBound < tensors[a].byteRange.upperBound {
            failure = TensorFileError(file: file, field: "tensor '\(tensors[b].name)'", reason: .overlaps(tensors[a].name))
            break
        }
    }

    func consume(_ chunk: UnsafeRawBufferPointer, at offset: Int64) {
        guard failure == nil else { return }
        if let position, position != offset {
            failure = TensorFileError(
                file: file, field: "data", reason: .invalid("a chunk was fed at byte \(offset) where byte \(position) was expected"))
            return
        }
        if position == nil, next < ranges.count, ranges[next].lowerBound < offset {
            failure = TensorFileError(
                file: file, field: "tensor '\(names[order[next]])'",
                reason: .invalid("the first chunk fed starts at byte \(offset), inside the tensor"))
            return
        }
        let end = offset + Int64(chunk.count)
        while next < ranges.count {
            let range = ranges[next]
            // A tensor starting where the chunk ends waits for the next chunk, unless it is empty.
            if range.lowerBound > end || (range.lowerBound == end && !range.isEmpty) { break }
            let from = max(range.lowerBound, offset)
            let to = min(range.upperBound, end)
            if to > from {
                sha.update(UnsafeRawBufferPointer(rebasing: chunk[Int(from - offset)..<Int(to - offset)]))
                hashedInCurrent += to - from
                inProgress = true
            }
            guard range.upperBound <= end else { break }
            digests[order[next]] = sha.finalize()
            next += 1
            inProgress = false
            hashedInCurrent = 0
        }
        position = end
    }

    func finish() throws(TensorFileError) -> [TensorDigest] {
        if let failure { throw failure }
        // Empty tensors at the very end of the data get the digest of no bytes.
        while next < ranges.count, ranges[next].isEmpty, ranges[next].lowerBound <= (position ?? 0) {
            digests[order[next]] = sha.finalize()
            next += 1
        }
        if next < ranges.count {
            let range = ranges[next]
            throw TensorFileError(
                file: file, field: "tensor '\(names[order[next]])'",
                reason: .truncated(needed: UInt64(range.count), available: UInt64(hashedInCurrent)))
        }
        var out: [TensorDigest] = []
        out.reserveCapacity(names.count)
        for (index, name) in names.enumerated() {
            guard let digest = digests[index] else {
                throw TensorFileError(file: file, field: "tensor '\(name)'", reason: .invalid("was never reached by the data fed"))
            }
            out.append(TensorDigest(name: name, digest: digest))
        }
        return out
    }
}

/// The file digest and the tensor digests of one weights file, from one read.
public struct WeightFileDigests: Equatable, Sendable {
    public let file: FileDigest
    public let tensors: [TensorDigest]
}

extension TensorDigester {
    /// Reads the file at `path` once, in `chunkSize`-byte chunks, and returns its plain SHA-256
    /// and the SHA-256 of each of `tensors`.
    ///
    /// The integrated path is the hashing engine feeding a digester as it hashes; this stands
    /// alone for `diff --tensors` on unsigned folders, the tests and the benchmark.
    /// - Parameter concurrent: read ahead on one thread and hash the tensor stream on another,
    ///   beside the file digest on this one.
    public static func digests(
        path: String, displayName: String? = nil, tensors: [TensorInfo], chunkSize: Int = 1 << 20, concurrent: Bool = true
    ) throws(TensorFileError) -> WeightFileDigests {
        let handle = try TensorFileHandle(path: path, displayName: displayName ?? path)
        return try digests(handle, tensors: tensors, chunkSize: chunkSize, concurrent: concurrent)
    }

    static func digests(
        _ handle: TensorFileHandle, tensors: [TensorInfo], chunkSize: Int, concurrent: Bool, progress: ByteCounter? = nil
    ) throws(TensorFileError) -> WeightFileDigests {
        let digester = TensorDigester(tensors: tensors, file: handle.displayName)
        let sha = SHA256()
        let chunkSize = max(chunkSize, 1)
        var total: Int64 = 0
        var streamed = false
        if concurrent, handle.rewind() {
            let slots = FileHasher.ringSlots
            let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize * slots, alignment: 4096)
            defer { buffers.deallocate() }
            let core = digester.core
            FileReading.adviseSequential(handle.fd)
            if let (read, error) = ReadAheadRing.stream(
                handle.fd, buffers: buffers, slotSize: chunkSize, slots: slots,
                secondary: { chunk, offset in core.consume(chunk, at: offset) },
                primary: { chunk, _ in
                    sha.update(chunk)
                    progress?.add(Int64(chunk.count))
                })
            {
                guard error == 0 else { throw TensorFileError(file: handle.displayName, field: "data", reason: .unreadable(errno: error)) }
                total = read
                streamed = true
            }
        }
        if !streamed {
            total = try handle.stream(from: 0, chunkSize: chunkSize) { chunk, offset in
                sha.update(chunk)
                digester.consume(chunk, at: offset)
                progress?.add(Int64(chunk.count))
            }
        }
        guard total == handle.size else {
            throw TensorFileError(
                file: handle.displayName, field: "file", reason: .changedWhileReading("read \(total) bytes of \(handle.size)"))
        }
        try handle.checkUnchanged()
        return WeightFileDigests(file: FileDigest(digest: sha.finalize(), size: total), tensors: try digester.finish())
    }
}

extension TensorDigester {
    /// Reads the file of `handle` once and returns the SHA-256 of each of `tensors`, without the
    /// file's own digest: for a comparison, which matches tensors and never files, at half the
    /// hashing.
    ///
    /// - Parameter readAhead: read on a second thread while this one hashes.
    static func tensorDigests(
        _ handle: TensorFileHandle, tensors: [TensorInfo], chunkSize: Int, readAhead: Bool, progress: ByteCounter? = nil
    ) throws(TensorFileError) -> [TensorDigest] {
        let digester = TensorDigester(tensors: tensors, file: handle.displayName)
        let chunkSize = max(chunkSize, 1)
        var total: Int64?
        if readAhead, handle.rewind() {
            let slots = FileHasher.ringSlots
            let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize * slots, alignment: 4096)
            defer { buffers.deallocate() }
            FileReading.adviseSequential(handle.fd)
            if let (read, error) = ReadAheadRing.stream(handle.fd, buffers: buffers, slotSize: chunkSize, slots: slots, primary: { chunk, offset in
                digester.consume(chunk, at: offset)
                progress?.add(Int64(chunk.count))
            }) {
                guard error == 0 else { throw TensorFileError(file: handle.displayName, field: "data", reason: .unreadable(errno: error)) }
                total = read
            }
        }
        let read: Int64
        if let total {
            read = total
        } else {
            read = try handle.stream(from: 0, chunkSize: chunkSize) { chunk, offset in
                digester.consume(chunk, at: offset)
                progress?.add(Int64(chunk.count))
            }
        }
        guard read == handle.size else {
            throw TensorFileError(
                file: handle.displayName, field: "file", reason: .changedWhileReading("read \(read) bytes of \(handle.size)"))
        }
        try handle.checkUnchanged()
        return try digester.finish()
    }
}
