import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

private func digests(_ results: [Result<FileDigest, FileError>]) -> [String] {
    results.map { result in
        switch result {
        case .success(let file): return file.digest.hex
        case .failure(let error): return "error: \(error)"
        }
    }
}

private func job(_ path: String) -> HashJob {
    var st = stat()
    let size = stat(path, &st) == 0 ? Int64(st.st_size) : 0
    return HashJob(displayPath: path, source: .path(path, followLinks: false), sizeHint: size)
}

@Suite struct HashEngineAgainstSha256sum {
    /// Sizes around a small buffer (so boundaries are cheap to reach) and around the read-ahead
    /// threshold of 16 buffers.
    static let bufferSize = 4096
    static let sizes = [0, 1, 55, 56, 63, 64, 65, 4095, 4096, 4097, 3 * 4096 + 7, 16 * 4096 - 1, 16 * 4096, 40 * 4096 + 1]

    @Test(arguments: [false, true])
    func sizesAroundTheBufferMatchSha256sum(readAhead: Bool) throws {
        let folder = try TemporaryFolder()
        var paths: [String] = []
        for (index, size) in Self.sizes.enumerated() {
            paths.append(try folder.write("f\(index)", pseudoRandomBytes(size, seed: UInt64(size) + 1)))
        }
        let engine = HashEngine(jobs: 3, bufferSize: Self.bufferSize, readAhead: readAhead)
        let results = engine.hash(paths.map(job))
        let expected = try paths.map(systemSHA256)
        #expect(digests(results) == expected)
        let sizes = results.map { (try? $0.get().size) ?? -1 }
        #expect(sizes == Self.sizes.map(Int64.init))
    }

    /// Many read-ahead files at once, each handed slot by slot between two threads: run under
    /// `--sanitize=thread`, this is where a count shared outside the handoff would be a race.
    @Test func readAheadHandsEveryChunkOverOnce() throws {
        let folder = try TemporaryFolder()
        var paths: [String] = []
        var expected: [String] = []
        for index in 0..<6 {
            let data = pseudoRandomBytes(17 * Self.bufferSize + 31 * index, seed: UInt64(100 + index))
            paths.append(try folder.write("r\(index)", data))
            expected.append(SHA256.hash(Array(data)).hex)
        }
        let engine = HashEngine(jobs: 2, bufferSize: Self.bufferSize, readAhead: true)
        for _ in 0..<20 {
            #expect(digests(engine.hash(paths.map(job))) == expected)
        }
    }

    @Test func defaultBufferWithReadAheadOnALargeFile() throws {
        let folder = try TemporaryFolder()
        let size = 20 * HashEngine.defaultBufferSize + 12345
        let path = try folder.write("large.bin", pseudoRandomBytes(size, seed: 7))
        for readAhead in [false, true] {
            let result = HashEngine(jobs: 1, readAhead: readAhead).hash([job(path)])
            #expect(digests(result) == [try systemSHA256(path)])
        }
    }

    @Test func resultsComeInInputOrderWhateverTheCompletionOrder() throws {
        let folder = try TemporaryFolder()
        let sizes = [10, 7, 5000, 1, 300_000, 2_000_000]
        let paths = try sizes.enumerated().map { try folder.write("file\($0.offset)", pseudoRandomBytes($0.element, seed: 99)) }
        let emitted = EmittedOrder()
        let finished = EmittedOrder()
        var engine = HashEngine(jobs: 2, bufferSize: 4096)
        // The first file is held back until a later one has finished (not for a set time, which a
        // busy machine could outlast).
        let laterFileDone = DispatchSemaphore(value: 0)
        engine.afterChunk = { path, bytes in
            guard let index = paths.firstIndex(of: path) else { return }
            if index == 0 { _ = laterFileDone.wait(timeout: .now() + 30) }
            if bytes == Int64(sizes[index]) {
                finished.append(index)
                if index != 0 { laterFileDone.signal() }
            }
        }
        let results = engine.hash(paths.map(job)) { index, _ in emitted.append(index) }
        #expect(finished.values.first != 0, "the held-back file finished first: \(finished.values)")
        #expect(finished.values.count == 6)
        #expect(emitted.values == Array(paths.indices))
        #expect(digests(results) == (try paths.map(systemSHA256)))
    }

    @Test func anUnreadableFileIsReportedAndTheRestAreHashed() throws {
        let folder = try TemporaryFolder()
        let good = try folder.write("good", "data")
        let missing = folder.url("missing")
        let results = HashEngine(jobs: 2).hash([job(good), job(missing), job(good)])
        #expect(digests(results)[0] == (try systemSHA256(good)))
        #expect(digests(results)[2] == (try systemSHA256(good)))
        guard case .failure(let error) = results[1] else {
            Issue.record("a missing file hashed")
            return
        }
        #expect(error == FileError(path: missing, reason: .system(ENOENT)))
        #expect(error.description == "\(missing): No such file or directory")
    }
}

private final class EmittedOrder: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int] = []
    func append(_ value: Int) {
        lock.lock()
        storage.append(value)
        lock.unlock()
    }
    var values: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

@Suite struct FilesThatChangeOrRefuse {
    @Test(arguments: [false, true])
    func aFileThatGrowsWhileReadIsAnErrorNamingIt(readAhead: Bool) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("growing.bin", pseudoRandomBytes(64 * 4096, seed: 3))
        var engine = HashEngine(jobs: 1, bufferSize: 4096, readAhead: readAhead)
        engine.afterChunk = { _, bytes in
            if bytes == 4096 {
                let handle = FileHandle(forWritingAtPath: path)!
                handle.seekToEndOfFile()
                handle.write(Data("more".utf8))
                handle.closeFile()
            }
        }
        let result = engine.hash([job(path)])
        guard case .failure(let error) = result[0], case .changedWhileReading(let detail) = error.reason else {
            Issue.record("a file that grew while read was hashed: \(result)")
            return
        }
        #expect(error.path == path)
        #expect(detail == "size went from 262144 to 262148 bytes")
        #expect(error.description.hasSuffix("changed while it was read (size went from 262144 to 262148 bytes); digest discarded"))
    }

    @Test func aFileTruncatedWhileReadIsAnError() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("shrinking.bin", pseudoRandomBytes(64 * 4096, seed: 4))
        var engine = HashEngine(jobs: 1, bufferSize: 4096, readAhead: false)
        engine.afterChunk = { _, bytes in
            if bytes == 8192 { truncate(path, 10000) }
        }
        let result = engine.hash([job(path)])
        guard case .failure(let error) = result[0] else {
            Issue.record("a truncated file was hashed")
            return
        }
        #expect(error.reason == .changedWhileReading("size went from 262144 to 10000 bytes"))
    }

    @Test func aFileRewrittenInPlaceIsAnError() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("rewritten.bin", pseudoRandomBytes(16 * 4096, seed: 5))
        var engine = HashEngine(jobs: 1, bufferSize: 4096, readAhead: false)
        engine.afterChunk = { _, bytes in
            if bytes == 4096 {
                // Same size, new content and a new modification time.
                var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
                let fd = open(path, O_WRONLY)
                _ = pwrite(fd, "X", 1, 0)
                futimens(fd, &times)
                close(fd)
            }
        }
        let result = engine.hash([job(path)])
        guard case .failure(let error) = result[0] else {
            Issue.record("a file rewritten while read was hashed")
            return
        }
        #expect(error.reason == .changedWhileReading("modification time changed"))
    }

    /// The edit the modification time cannot show: same size, new content, and the old mtime put
    /// back — only the change time (ctime), which no user can set, records it.
    @Test(arguments: [false, true])
    func aFileEditedInPlaceWithItsModificationTimeRestoredIsAnError(readAhead: Bool) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("restored.bin", pseudoRandomBytes(64 * 4096, seed: 6))
        var original = stat()
        #expect(stat(path, &original) == 0)
        // Let the clock leave the file's ctime tick, so the edit's ctime is a later one.
        usleep(20_000)
        let restored = [original.st_atim, original.st_mtim]
        var engine = HashEngine(jobs: 1, bufferSize: 4096, readAhead: readAhead)
        engine.afterChunk = { _, bytes in
            guard bytes == 4096 else { return }
            var times = restored
            let fd = open(path, O_WRONLY)
            _ = pwrite(fd, "X", 1, 100)
            futimens(fd, &times)
            close(fd)
        }
        let result = engine.hash([job(path)])
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(after.st_size == original.st_size)
        #expect(after.st_mtim.tv_sec == original.st_mtim.tv_sec && after.st_mtim.tv_nsec == original.st_mtim.tv_nsec)
        #expect(after.st_ctim.tv_sec != original.st_ctim.tv_sec || after.st_ctim.tv_nsec != original.st_ctim.tv_nsec)
        guard case .failure(let error) = result[0] else {
            Issue.record("a file edited in place with its mtime restored was hashed")
            return
        }
        #expect(error == FileError(path: path, reason: .changedWhileReading("change time moved, modification time kept")))
        #expect(error.description == "\(path): changed while it was read (change time moved, modification time kept); digest discarded")
    }

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let folder = try TemporaryFolder()
        let fifo = folder.url("pipe")
        #expect(mkfifo(fifo, 0o644) == 0)
        // No writer ever opens the FIFO: a blocking open would hang this test.
        let result = HashEngine(jobs: 1).hash([HashJob(displayPath: fifo, source: .path(fifo, followLinks: true), sizeHint: 0)])
        guard case .failure(let error) = result[0] else {
            Issue.record("a FIFO was hashed")
            return
        }
        #expect(error.reason == .special("FIFO"))
        #expect(error.description == "\(fifo): is a FIFO; refused, never read")
    }

    @Test func aDeviceIsRefused() throws {
        let result = HashEngine(jobs: 1).hash([HashJob(displayPath: "/dev/zero", source: .path("/dev/zero", followLinks: true), sizeHint: 0)])
        guard case .failure(let error) = result[0] else {
            Issue.record("/dev/zero was hashed")
            return
        }
        #expect(error.reason == .special("character device"))
    }

    @Test func aSparseFileHashesAsItsZeros() throws {
        let folder = try TemporaryFolder()
        let path = folder.url("sparse")
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(fd, 3 << 20) == 0)
        _ = pwrite(fd, "end", 3, (3 << 20) - 3)
        close(fd)
        let result = HashEngine(jobs: 1, readAhead: true).hash([job(path)])
        #expect(digests(result) == [try systemSHA256(path)])
    }
}

/// Many small files of a walk: opened through their folder's descriptor, taken in batches after
/// the large files, and still delivered in the walk's order (issue 12 item 5).
@Suite struct HashEngineManySmallFiles {
    @Test(arguments: [1, 2, 3])
    func smallFilesOfManyFoldersAndALargeOneMatchSha256sumInWalkOrder(jobs: Int) throws {
        let folder = try TemporaryFolder()
        var expected: [String: String] = [:]
        for index in 0..<300 {
            let name = "m/d\(index % 7)/sub\(index % 2)/f\(index).bin"
            let path = try folder.write(name, pseudoRandomBytes(index * 13 % 900, seed: UInt64(index) + 1))
            expected[String(name.dropFirst(2))] = try systemSHA256(path)
        }
        let large = try folder.write("m/large.bin", pseudoRandomBytes(3 << 20, seed: 99))
        expected["large.bin"] = try systemSHA256(large)
        let items = try TreeWalker(linkPolicy: .refuse).walk(path: folder.url("m"), displayPrefix: "")
        let listed: [(String, HashJob)] = items.compactMap {
            if case let .file(relative, job) = $0 { return (relative, job) }
            return nil
        }
        #expect(listed.count == 301)
        let emitted = Locked<[Int]>([])
        let results = HashEngine(jobs: jobs, bufferSize: 1 << 16).hash(listed.map(\.1)) { index, _ in
            emitted.withLock { $0.append(index) }
        }
        #expect(emitted.withLock { $0 } == Array(listed.indices))
        for ((name, _), result) in zip(listed, results) {
            #expect((try? result.get().digest.hex) == expected[name], "\(name)")
        }
    }

    @Test func aWalksFileNamesItsFolderOnceAndItsLeaf() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/a/b/c.txt", "c")
        try folder.write("m/a/b/d.txt", "d")
        let items = try TreeWalker(linkPolicy: .refuse).walk(path: folder.url("m"), displayPrefix: "m")
        let sources: [(WalkFolder, String)] = items.compactMap {
            if case let .file(_, job) = $0, case let .inFolder(walkFolder, name) = job.source { return (walkFolder, name) }
            return nil
        }
        #expect(sources.map(\.1) == ["c.txt", "d.txt"])
        #expect(sources[0].0 === sources[1].0)
        #expect(sources[0].0.components == ["a", "b"])
        // Opened the long way too (as `readSmallFile(from:)` does), with the same bytes.
        let bytes = try readSmallFile(from: .inFolder(sources[1].0, name: "d.txt"), displayPath: "m/a/b/d.txt", limit: 10)
        #expect(bytes == Array("d".utf8))
    }

    @Test func aFileSwappedForALinkAfterTheWalkIsRefusedInItsOpenFolder() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/sub/a.txt", "a")
        try folder.write("m/sub/b.txt", "b")
        try folder.write("outside.txt", "outside")
        let items = try TreeWalker(linkPolicy: .refuse).walk(path: folder.url("m"), displayPrefix: "m")
        let jobs: [HashJob] = items.compactMap {
            if case let .file(_, job) = $0 { return job }
            return nil
        }
        try FileManager.default.removeItem(atPath: folder.url("m/sub/b.txt"))
        #expect(symlink(folder.url("outside.txt"), folder.url("m/sub/b.txt")) == 0)
        let results = HashEngine(jobs: 1).hash(jobs)
        #expect((try? results[0].get().digest.hex) == (try systemSHA256(folder.url("m/sub/a.txt"))))
        guard case .failure(let error) = results[1] else {
            Issue.record("read through a link swapped in after listing")
            return
        }
        #expect(error.path == "m/sub/b.txt")
        #expect(error.reason == .symbolicLink)
    }
}
