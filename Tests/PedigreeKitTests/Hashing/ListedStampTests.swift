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

    /// Answers recalled beforehand (`recallAsListed`) are taken as they are: the memo is not asked
    /// again, a remembered file is not opened, and one it did not know is read and asked about
    /// no more than `hash` alone would.
    @Test func answersRecalledBeforehandAreNotAskedAgain() throws {
        let folder = try TemporaryFolder()
        let keptPath = try folder.write("kept.bin", "kept")
        let newPath = try folder.write("new.bin", "new content")
        let kept = try #require(descriptorStamp(keptPath))
        let fresh = try #require(descriptorStamp(newPath))
        let remembered = FileDigest(digest: SHA256.hash(Array("remembered".utf8)), size: kept.size)
        let memo = CountingMemo([kept: remembered])
        var engine = HashEngine(jobs: 1)
        engine.memo = memo
        let jobs = [
            HashJob(displayPath: "kept.bin", source: .path(folder.url("not-there"), followLinks: false), sizeHint: 4, listedStamp: kept),
            HashJob(displayPath: "new.bin", source: .path(newPath, followLinks: false), sizeHint: fresh.size, listedStamp: fresh),
        ]
        let recalled = try #require(engine.recallAsListed(jobs.map(\.listedStamp)))
        #expect(memo.asked == [kept, fresh])
        let results = engine.hash(jobs, progress: nil, recalled: recalled)
        #expect(try results[0].get() == remembered)
        #expect(try results[1].get().digest.hex == (try systemSHA256(newPath)))
        #expect(memo.asked == [kept, fresh])
        #expect(memo.told == [fresh])
        engine.observers = nil
        engine.memo = nil
        #expect(engine.recallAsListed(jobs.map(\.listedStamp)) == nil)
    }

    /// A folder long enough that the memo is asked on a second thread while the files are named:
    /// every file is asked about once, with its listed stamp, a remembered file gets the memo's
    /// digest (here not its content's, to tell them apart) and only the others are read.
    @Test func aLongListIsRecalledBesideTheNamingAndEachFileAskedOnce() throws {
        let folder = try TemporaryFolder()
        let count = ModelSigner.parallelRoles + 5
        var known: [FileStamp: FileDigest] = [:]
        var unknown: Set<String> = []
        for index in 0..<count {
            let name = "d\(index % 7)/\(index).txt"
            let path = try folder.write("m/" + name, "\(index)")
            if index % 1000 == 3 {
                unknown.insert(name)
            } else {
                let stamp = try #require(descriptorStamp(path))
                known[stamp] = FileDigest(digest: SHA256.hash(Array("remembered \(index)".utf8)), size: stamp.size)
            }
        }
        let memo = CountingMemo(known)
        var engine = HashEngine(jobs: 2)
        engine.memo = memo
        let request = SignRequest(folder: folder.url("m"), createdAt: "2026-01-01T00:00:00Z")
        let predicate = try ModelSigner(engine: engine).describe(request)
        let plain = try ModelSigner(engine: HashEngine(jobs: 2)).describe(request)
        #expect(predicate.resources.map(\.name) == plain.resources.map(\.name))
        #expect(predicate.resources.map(\.role) == plain.resources.map(\.role))
        for (resource, read) in zip(predicate.resources, plain.resources) {
            let index = resource.name.string.split(separator: "/").last.map { $0.dropLast(4) } ?? ""
            let expected = unknown.contains(resource.name.string) ? read.digest : SHA256.hash(Array("remembered \(index)".utf8))
            #expect(resource.digest == expected, "\(resource.name.string)")
        }
        #expect(memo.asked.count == count)
        #expect(Set(memo.asked).count == count)
        #expect(memo.told.count == unknown.count)
    }

    /// A name a manifest cannot hold in a folder that long is reported as without a memo, and no
    /// file is read (the memo is told of none).
    @Test func aBadNameInALongListIsReportedAsWithoutAMemo() throws {
        let folder = try TemporaryFolder()
        for index in 0..<ModelSigner.parallelRoles { try folder.write("m/d\(index % 3)/\(index)", "\(index)") }
        try folder.write("m/back\\slash.txt", "x")
        let request = SignRequest(folder: folder.url("m"), createdAt: "2026-01-01T00:00:00Z")
        let memo = CountingMemo()
        var engine = HashEngine(jobs: 2)
        engine.memo = memo
        let withMemo = #expect(throws: SignError.self) { try ModelSigner(engine: engine).describe(request) }
        let without = #expect(throws: SignError.self) { try ModelSigner(engine: HashEngine(jobs: 2)).describe(request) }
        #expect(withMemo == without)
        guard case .problems(let problems)? = withMemo else {
            Issue.record("expected problems, got \(String(describing: withMemo))")
            return
        }
        #expect(problems.count == 1)
        #expect(memo.told.isEmpty)
    }
}
