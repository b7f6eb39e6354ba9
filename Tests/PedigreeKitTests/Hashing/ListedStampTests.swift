import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

/// A memo that knows the digests it was given and counts what it was asked.
private final class CountingMemo: DigestMemo, @unchecked Sendable {
    private let lock = NSLock()
    private var known: [FileStamp: FileDigest]
    private(set) var asked: [FileStamp] = []
    private(set) var told: [FileStamp] = []

    init(_ known: [FileStamp: FileDigest] = [:]) { self.known = known }

    func recall(_ stamp: FileStamp) -> FileDigest? {
        lock.lock()
        defer { lock.unlock() }
        asked.append(stamp)
        return known[stamp]
    }

    func remember(_ digest: FileDigest, stamp: FileStamp) {
        lock.lock()
        defer { lock.unlock() }
        told.append(stamp)
    }
}

private func descriptorStamp(_ path: String) -> FileStamp? {
    let fd = open(path, O_RDONLY)
    defer { if fd >= 0 { close(fd) } }
    return fd >= 0 ? FileStamp(descriptor: fd) : nil
}

/// The walk's stamp of each file, asked of the memo before the file is opened (issue 12: a
/// re-sign opens only what changed).
@Suite struct ListedStamps {
    @Test func theWalkStampsEachFileAsItsOpenDescriptorWould() throws {
        let folder = try TemporaryFolder()
        for name in ["a.bin", "sub/b.txt", "sub/deeper/c"] { try folder.write("m/" + name, name) }
        let items = try TreeWalker(linkPolicy: .refuse).walk(path: folder.url("m"), displayPrefix: "m")
        var checked = 0
        for case let .file(relative, job) in items {
            let expected = try #require(descriptorStamp(folder.url("m/" + relative)), "the temporary folder keeps ctime")
            #expect(job.listedStamp == expected, "\(relative)")
            checked += 1
        }
        #expect(checked == 3)
    }

    @Test func aRememberedFileIsNotOpened() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("kept.bin", "kept")
        let stamp = try #require(descriptorStamp(path))
        let remembered = FileDigest(digest: SHA256.hash(Array("remembered".utf8)), size: stamp.size)
        let memo = CountingMemo([stamp: remembered])
        var engine = HashEngine(jobs: 1)
        engine.memo = memo
        // The source names a file that does not exist: a hit must not try to open it.
        let missing = folder.url("not-there")
        let job = HashJob(displayPath: "kept.bin", source: .path(missing, followLinks: false), sizeHint: 4, listedStamp: stamp)
        let results = engine.hash([job])
        #expect(try results[0].get() == remembered)
        #expect(memo.asked == [stamp])
        #expect(memo.told.isEmpty)
    }

    @Test func anUnknownFileIsReadAndTheMemoIsNotAskedTwice() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("new.bin", "new content")
        let stamp = try #require(descriptorStamp(path))
        let memo = CountingMemo()
        var engine = HashEngine(jobs: 1)
        engine.memo = memo
        let job = HashJob(displayPath: "new.bin", source: .path(path, followLinks: false), sizeHint: stamp.size, listedStamp: stamp)
        let results = engine.hash([job])
        #expect(try results[0].get().digest.hex == (try systemSHA256(path)))
        #expect(memo.asked == [stamp])
        #expect(memo.told == [stamp])
    }

    @Test func aFileChangedAfterTheWalkIsAskedAboutAsOpened() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("edited.bin", "before")
        let listed = try #require(descriptorStamp(path))
        let rememberedForOpened = FileDigest(digest: SHA256.hash(Array("before".utf8)), size: listed.size)
        Thread.sleep(forTimeInterval: 0.02)
        try folder.write("edited.bin", "after!")
        let opened = try #require(descriptorStamp(path))
        #expect(opened != listed)
        // The memo knows the listed state only under a stamp the walk did not see.
        let memo = CountingMemo([opened: rememberedForOpened])
        var engine = HashEngine(jobs: 1)
        engine.memo = memo
        let job = HashJob(displayPath: "edited.bin", source: .path(path, followLinks: false), sizeHint: listed.size, listedStamp: listed)
        let results = engine.hash([job])
        // Asked with the listed stamp (unknown), then with the opened file's own stamp.
        #expect(memo.asked == [listed, opened])
        #expect(try results[0].get() == rememberedForOpened)
    }
}
