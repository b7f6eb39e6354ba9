import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// What one consumer of a ring saw: its bytes in order and whether every chunk started where
/// the previous one ended.
private final class Seen: Sendable {
    private let state = Locked((bytes: [UInt8](), contiguous: true, chunks: 0))

    func take(_ chunk: UnsafeRawBufferPointer, at offset: Int64) {
        state.withLock { state in
            if Int64(state.bytes.count) != offset { state.contiguous = false }
            state.bytes += chunk
            state.chunks += 1
        }
    }

    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var contiguous: Bool { state.withLock { $0.contiguous } }
    var chunks: Int { state.withLock { $0.chunks } }
}

private func open(_ path: String) throws -> Int32 {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    try #require(fd >= 0)
    return fd
}

@Suite struct ReadAheadRingTests {
    static let slot = 4096
    static let slots = 3
    static let sizes = [0, 1, slot - 1, slot, slot + 1, slots * slot, 7 * slots * slot + 5]

    /// Streams `fd` through a ring of `slots` slots to two consumers: the ring's result and
    /// what each consumer saw.
    private static func streamToBoth(_ fd: Int32, slots: Int = Self.slots) -> (result: (Int64, Int32)?, primary: Seen, secondary: Seen) {
        let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: slot * slots, alignment: 64)
        defer { buffers.deallocate() }
        let primary = Seen()
        let secondary = Seen()
        let result = ReadAheadRing.stream(
            fd, buffers: buffers, slotSize: slot, slots: slots, secondary: { secondary.take($0, at: $1) },
            primary: { primary.take($0, at: $1) })
        return (result, primary, secondary)
    }

    /// Both consumers see every byte once, in order, at their offsets; the ring is smaller than
    /// the file, so every slot is reused many times.
    @Test(arguments: sizes)
    func bothConsumersSeeTheWholeFileInOrder(size: Int) throws {
        let folder = try TemporaryFolder()
        let data = Array(pseudoRandomBytes(size, seed: UInt64(size) + 7))
        let fd = try open(try folder.write("f", Data(data)))
        defer { close(fd) }
        let (result, primary, secondary) = Self.streamToBoth(fd)
        #expect(result?.0 == Int64(size))
        #expect(result?.1 == 0)
        #expect(primary.bytes == data)
        #expect(secondary.bytes == data)
        #expect(primary.contiguous && secondary.contiguous)
        #expect(primary.chunks == (size + Self.slot - 1) / Self.slot)
        #expect(secondary.chunks == primary.chunks)
    }

    /// A slot is refilled only once both consumers released it: whichever is slow, it still sees
    /// the bytes of its chunk, not those of a later one read into the same slot.
    @Test(arguments: [true, false])
    func aSlowConsumerIsNeverOverwritten(secondaryIsSlow: Bool) throws {
        let folder = try TemporaryFolder()
        let data = Array(pseudoRandomBytes(40 * Self.slot + 17, seed: 5))
        let fd = try open(try folder.write("f", Data(data)))
        defer { close(fd) }
        let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slot * Self.slots, alignment: 64)
        defer { buffers.deallocate() }
        let primary = Seen()
        let secondary = Seen()
        let slow = secondaryIsSlow
        let overwritten = Locked(0)
        let result = ReadAheadRing.stream(
            fd, buffers: buffers, slotSize: Self.slot, slots: Self.slots,
            secondary: { chunk, offset in
                // Reads the chunk before and after a pause: a refill in between would show.
                let before = Array(chunk)
                if slow { usleep(2000) }
                if Array(chunk) != before { overwritten.update { $0 += 1 } }
                secondary.take(chunk, at: offset)
            },
            primary: { chunk, offset in
                let before = Array(chunk)
                if !slow { usleep(2000) }
                if Array(chunk) != before { overwritten.update { $0 += 1 } }
                primary.take(chunk, at: offset)
            })
        #expect(result?.0 == Int64(data.count))
        #expect(overwritten.withLock { $0 } == 0)
        #expect(primary.bytes == data)
        #expect(secondary.bytes == data)
    }

    /// Two consumers share the reads, chunk by chunk, in rings of one slot per thread up to
    /// more slots than the file has chunks (an odd count is rounded down to pair them).
    @Test(arguments: [2, 3, 8, 64])
    func twoConsumersShareTheReadsWhateverTheRingSize(slots: Int) throws {
        let folder = try TemporaryFolder()
        for size in [2 * Self.slot, 2 * Self.slot + 1, 9 * Self.slot - 1, 37 * Self.slot] {
            let data = Array(pseudoRandomBytes(size, seed: UInt64(size + slots)))
            let fd = try open(try folder.write("f\(size)", Data(data)))
            defer { close(fd) }
            let (result, primary, secondary) = Self.streamToBoth(fd, slots: slots)
            #expect(result?.0 == Int64(size))
            #expect(result?.1 == 0)
            #expect(primary.bytes == data)
            #expect(secondary.bytes == data)
            #expect(primary.contiguous && secondary.contiguous)
        }
    }

    /// With two consumers the ring reads at offsets: from byte 0 whatever the file position,
    /// which it leaves where it was.
    @Test func twoConsumersReadFromTheStartAndLeaveTheFilePositionAlone() throws {
        let folder = try TemporaryFolder()
        let data = Array(pseudoRandomBytes(11 * Self.slot + 3, seed: 9))
        let fd = try open(try folder.write("f", Data(data)))
        defer { close(fd) }
        #expect(lseek(fd, 1000, SEEK_SET) == 1000)
        let (result, primary, secondary) = Self.streamToBoth(fd)
        #expect(result?.0 == Int64(data.count))
        #expect(primary.bytes == data)
        #expect(secondary.bytes == data)
        #expect(lseek(fd, 0, SEEK_CUR) == 1000)
    }

    /// A file that grows while two consumers read it ends where a read first came back short:
    /// both consumers stop at the same byte, and neither sees bytes past it.
    @Test func aFileThatGrowsWhileSharedIsConsumedToTheSameEndByBoth() throws {
        let folder = try TemporaryFolder()
        let data = Array(pseudoRandomBytes(6 * Self.slot + 10, seed: 13))
        let path = try folder.write("f", Data(data))
        let fd = try open(path)
        defer { close(fd) }
        let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slot * 2, alignment: 64)
        defer { buffers.deallocate() }
        let primary = Seen()
        let secondary = Seen()
        let appended = Locked(false)
        let result = ReadAheadRing.stream(
            fd, buffers: buffers, slotSize: Self.slot, slots: 2,
            secondary: { chunk, offset in
                secondary.take(chunk, at: offset)
                // After the first chunk: appends whole slots, which later reads may or may not see.
                if offset == 0 {
                    let handle = FileHandle(forWritingAtPath: path)
                    handle?.seekToEndOfFile()
                    handle?.write(Data(repeating: 7, count: 3 * Self.slot))
                    handle?.closeFile()
                    appended.update { $0 = true }
                }
            },
            primary: { primary.take($0, at: $1) })
        #expect(appended.withLock { $0 })
        let read = try #require(result?.0)
        #expect(read >= Int64(data.count))
        #expect(primary.bytes.count == Int(read))
        #expect(secondary.bytes == primary.bytes)
        #expect(Array(primary.bytes.prefix(data.count)) == data)
    }

    @Test func aFailedReadEndsBothConsumersWithItsErrno() throws {
        let folder = try TemporaryFolder()
        // A directory opens for reading but fails every read with EISDIR.
        let fd = try open(folder.path)
        defer { close(fd) }
        let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slot * Self.slots, alignment: 64)
        defer { buffers.deallocate() }
        let secondary = Seen()
        let result = ReadAheadRing.stream(
            fd, buffers: buffers, slotSize: Self.slot, slots: Self.slots, secondary: { secondary.take($0, at: $1) }, primary: { _, _ in })
        #expect(result?.0 == 0)
        #expect(result?.1 == EISDIR)
        #expect(secondary.chunks == 0)
    }
}

/// An observer that digests what it is fed, on a thread of its own when asked to.
private final class DigestingObserver: ChunkObserver {
    let wantsThread: Bool
    let sha = SHA256()
    var next: Int64 = 0
    var inOrder = true
    let factory: DigestingObservers

    init(wantsThread: Bool, factory: DigestingObservers) {
        self.wantsThread = wantsThread
        self.factory = factory
    }

    func consume(_ chunk: UnsafeRawBufferPointer, at offset: Int64) {
        if offset != next { inOrder = false }
        next = offset + Int64(chunk.count)
        sha.update(chunk)
    }

    func finish(_ digest: FileDigest) {
        factory.record(digest: digest.digest.hex, observed: inOrder ? sha.finalize().hex : "out of order")
    }
}

private final class DigestingObservers: ChunkObserverFactory {
    let wantsThread: Bool
    let finished = Locked([(file: String, observed: String)]())

    init(wantsThread: Bool) { self.wantsThread = wantsThread }

    func observer(displayPath: String, descriptor: Int32, size: Int64) -> (any ChunkObserver)? {
        DigestingObserver(wantsThread: wantsThread, factory: self)
    }

    func record(digest: String, observed: String) {
        finished.withLock { $0.append((digest, observed)) }
    }
}

@Suite struct ObserverThreadTests {
    /// Observers on threads of their own, with and without the engine's read-ahead, see the very
    /// bytes the file digest sees; run under `--sanitize=thread`, this is where a slot or the
    /// observer shared outside the ring's handoffs would be a race.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func anObserverOnItsOwnThreadSeesWhatTheFileDigestSees(readAhead: Bool, wantsThread: Bool) throws {
        let folder = try TemporaryFolder()
        var paths: [String] = []
        var expected: [String] = []
        for index in 0..<4 {
            // Large enough to be read ahead (16 buffers), and one too small to be.
            let size = index == 3 ? 5 * 4096 : 33 * 4096 + 101 * index
            let data = pseudoRandomBytes(size, seed: UInt64(40 + index))
            paths.append(try folder.write("o\(index)", data))
            expected.append(SHA256.hash(Array(data)).hex)
        }
        for _ in 0..<5 {
            let observers = DigestingObservers(wantsThread: wantsThread)
            var engine = HashEngine(jobs: 1, bufferSize: 4096, readAhead: readAhead)
            engine.observers = observers
            let results = engine.hash(paths.map { HashJob(displayPath: $0, source: .path($0, followLinks: false), sizeHint: 0) })
            #expect(results.map { (try? $0.get().digest.hex) ?? "error" } == expected)
            let finished = observers.finished.withLock { $0 }
            #expect(finished.map(\.file) == expected)
            #expect(finished.map(\.observed) == expected)
        }
    }

    @Test func aFileThatGrowsWhileAnObserverThreadReadsItIsAnErrorAndNotFinished() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("growing.bin", pseudoRandomBytes(64 * 4096, seed: 3))
        let observers = DigestingObservers(wantsThread: true)
        var engine = HashEngine(jobs: 1, bufferSize: 4096, readAhead: false)
        engine.observers = observers
        engine.afterChunk = { _, bytes in
            if bytes == 4096 {
                let handle = FileHandle(forWritingAtPath: path)!
                handle.seekToEndOfFile()
                handle.write(Data("more".utf8))
                handle.closeFile()
            }
        }
        let result = engine.hash([HashJob(displayPath: path, source: .path(path, followLinks: false), sizeHint: 0)])
        guard case .failure(let error) = result[0] else {
            Issue.record("a file that grew while read was hashed: \(result)")
            return
        }
        #expect(error.description.hasSuffix("changed while it was read (size went from 262144 to 262148 bytes); digest discarded"))
        #expect(observers.finished.withLock { $0 }.isEmpty)
    }
}
