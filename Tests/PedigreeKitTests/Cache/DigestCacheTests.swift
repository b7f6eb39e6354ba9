import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

/// A model folder and a cache folder, and runs of the hashing engine over the one with the
/// other, each run opening the cache afresh as a new process would.
private final class CacheBench: @unchecked Sendable {
    let scratch: TemporaryFolder
    var model: String { scratch.url("model") }
    var cacheFolder: String { scratch.url("cache/pedigree") }
    var database: String { cacheFolder + "/" + DigestCache.fileName }

    init(files: [String: String]) throws {
        scratch = try TemporaryFolder()
        for (name, text) in files { try scratch.write("model/" + name, text) }
    }

    /// The stamp of a model file as the hashing engine takes it.
    func stamp(_ name: String) throws -> FileStamp? {
        let fd = open(model + "/" + name, O_RDONLY)
        guard fd >= 0 else { throw POSIXError(.ENOENT) }
        defer { close(fd) }
        return FileStamp(descriptor: fd)
    }

    /// Lets the files' change times fall more than a clock tick behind the next run's start.
    func settle() { Thread.sleep(forTimeInterval: 0.25) }

    /// Hashes the model through a freshly opened cache: the digests by name and what the cache did.
    @discardableResult
    func run(
        _ mode: DigestCache.Mode = .readWrite, runStart: StampTime? = nil, afterOpening: () throws -> Void = {}
    ) throws -> (digests: [String: String], stats: DigestCacheStats, cache: DigestCache) {
        let cache = try DigestCache(folder: cacheFolder, mode: mode, runStart: runStart ?? StampTime.now())
        try afterOpening()
        var engine = HashEngine(jobs: 2)
        engine.memo = cache
        let (files, problems) = try ModelFolder(path: model).hash(engine: engine)
        #expect(problems.isEmpty, "\(problems)")
        let stats = cache.finish()
        return (Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.digest.hex) }), stats, cache)
    }

    /// What `sha256sum` says of every file of the model.
    func truth() throws -> [String: String] {
        let names = try FileManager.default.subpathsOfDirectory(atPath: model).filter {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: model + "/" + $0, isDirectory: &isFolder)
            return !isFolder.boolValue
        }
        return Dictionary(uniqueKeysWithValues: try names.map { ($0, try systemSHA256(model + "/" + $0)) })
    }

    /// Rewrites every row's record in the database with `change` applied to its bytes, as a torn
    /// page or a flipped bit would, leaving the file a valid SQLite database.
    func damageRecords(_ change: (inout [UInt8]) -> Void) throws {
        let connection = try SQLiteDatabase(path: database, create: false)
        let rows = try connection.prepare("SELECT device, inode, record FROM digests")
        var records: [(device: Int64, inode: Int64, record: [UInt8])] = []
        while try rows.step() { records.append((rows.int64(0), rows.int64(1), rows.blob(2))) }
        #expect(!records.isEmpty)
        let update = try connection.prepare("UPDATE digests SET record = ?3 WHERE device = ?1 AND inode = ?2")
        for (device, inode, record) in records {
            var damaged = record
            change(&damaged)
            #expect(damaged != record)
            update.reset()
            update.bind(1, device)
            update.bind(2, inode)
            update.bind(3, damaged)
            _ = try update.step()
        }
    }

    @discardableResult
    func sh(_ command: String) throws -> ProcessResult {
        let result = try shell(command, currentDirectory: model)
        #expect(result.status == 0, "\(command): \(result)")
        return result
    }
}

@Suite struct DigestCacheReuse {
    @Test func unchangedFilesAreReusedAndTheDigestsAreTheSame() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha", "sub/b.txt": "beta", "c.bin": "gamma"])
        bench.settle()
        let first = try bench.run()
        #expect(first.stats.reused == 0)
        #expect(first.stats.stored == 3)
        let second = try bench.run()
        #expect(second.stats.reused == 3)
        #expect(second.stats.stored == 0)
        #expect(second.digests == first.digests)
        #expect(second.digests == (try bench.truth()))
        // The cache is the user's alone.
        let attributes = try FileManager.default.attributesOfItem(atPath: bench.database)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: bench.cacheFolder)
        #expect((folder[.posixPermissions] as? Int) == 0o700)
    }

    @Test func aFileChangedJustBeforeTheRunIsNotRemembered() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        let changed = try #require(try bench.stamp("a.txt")).changed
        // The run's clock is set rather than raced: 50 ms after the change lies within the
        // settling time of a file system with nanosecond stamps, 150 ms beyond it.
        let within = try bench.run(runStart: changed.minus(nanoseconds: -50_000_000))
        #expect(within.stats.stored == 0)
        #expect(within.stats.tooRecent == 1)
        #expect(try bench.run(runStart: changed.minus(nanoseconds: -50_000_000)).stats.reused == 0)
        let beyond = try bench.run(runStart: changed.minus(nanoseconds: -150_000_000))
        #expect(beyond.stats.stored == 1)
        #expect(beyond.stats.tooRecent == 0)
    }

    @Test func aFileChangedAfterTheRunStartedIsNotRemembered() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        bench.settle()
        let first = try bench.run(afterOpening: { _ = try bench.scratch.write("model/a.txt", "altered") })
        #expect(first.stats.stored == 0)
        #expect(first.stats.tooRecent == 1)
        #expect(first.digests["a.txt"] == (try bench.truth())["a.txt"])
    }

    @Test func digestsStoredLongAgoArePruned() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha", "b.txt": "beta"])
        bench.settle()
        try bench.run()
        let database = try SQLiteDatabase(path: bench.database, create: false)
        try database.execute("UPDATE digests SET stored = 1000 WHERE length(record) = \(CacheRecord.byteCount) AND inode = (SELECT min(inode) FROM digests)")
        DigestCache.prune(database, olderThan: 2000)
        #expect(try bench.run().stats.reused == 1)
        #expect(try bench.run().stats.reused == 2)
    }

    @Test func refreshReadsEverythingAndRecordsIt() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha", "b.txt": "beta"])
        bench.settle()
        try bench.run()
        let refreshed = try bench.run(.refresh)
        #expect(refreshed.stats.reused == 0)
        #expect(refreshed.stats.stored == 2)
        #expect(try bench.run().stats.reused == 2)
    }
}

@Suite struct DigestCacheNeverGivesAStaleDigest {
    @Test func anInPlaceEditWithItsModificationTimeRestoredIsReadAgain() throws {
        let bench = try CacheBench(files: ["weights.bin": "0123456789abcdef", "other.txt": "other"])
        bench.settle()
        try bench.run()
        let before = try bench.sh("stat -c '%s %y' weights.bin").stdout
        // Same size, same mtime to the nanosecond: only the change time tells.
        try bench.sh("m=$(stat -c %y weights.bin); printf 'X' | dd of=weights.bin bs=1 seek=3 conv=notrunc 2>/dev/null; touch -d \"$m\" weights.bin")
        #expect(try bench.sh("stat -c '%s %y' weights.bin").stdout == before)
        let second = try bench.run()
        #expect(second.stats.reused == 1)  // other.txt only
        #expect(second.digests["weights.bin"] == (try systemSHA256(bench.model + "/weights.bin")))
        #expect(second.digests == (try bench.truth()))
    }

    @Test func aRenamedFileHasItsOwnContentUnderItsNewName() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha", "b.txt": "bravo"])
        bench.settle()
        try bench.run()
        // a.txt moves away, b.txt takes its name: the name a.txt now holds b's content.
        try bench.sh("mv a.txt c.txt && mv b.txt a.txt")
        let second = try bench.run()
        #expect(second.digests == (try bench.truth()))
        #expect(second.digests["a.txt"] == (try systemSHA256(bench.model + "/a.txt")))
        #expect(second.digests["a.txt"] != (try bench.run().digests["c.txt"]))
    }

    @Test func hardLinkedNamesShareOneInodeAndChangeTogether() throws {
        let bench = try CacheBench(files: ["a.bin": "same bytes"])
        try bench.sh("ln a.bin linked.bin")
        bench.settle()
        let first = try bench.run()
        // One inode, read once, then remembered once for both names.
        #expect(first.digests["a.bin"] == first.digests["linked.bin"])
        let second = try bench.run()
        #expect(second.stats.reused == 2)
        // An edit through one name, mtime restored, is seen through both.
        try bench.sh("m=$(stat -c %y linked.bin); printf 'other byte' | dd of=linked.bin conv=notrunc 2>/dev/null; touch -d \"$m\" linked.bin")
        let third = try bench.run()
        #expect(third.stats.reused == 0)
        #expect(third.digests == (try bench.truth()))
        #expect(third.digests["a.bin"] == (try systemSHA256(bench.model + "/linked.bin")))
    }

    @Test func aReplacedInodeWithTheSameSizeAndTimesIsReadAgain() throws {
        let bench = try CacheBench(files: ["model.bin": "original!", "keep.txt": "keep"])
        bench.settle()
        try bench.run()
        // A new file renamed over the old one, and a file deleted and recreated (its inode
        // number may well be reused), each with the old size and mtime.
        try bench.sh("""
            m=$(stat -c %y model.bin); printf 'replaced!' > ../new.bin; touch -d "$m" ../new.bin; mv ../new.bin model.bin
            m=$(stat -c %y keep.txt); rm keep.txt; printf 'KEEP' > keep.txt; touch -d "$m" keep.txt
            """)
        let second = try bench.run()
        #expect(second.stats.reused == 0)
        #expect(second.digests == (try bench.truth()))
    }

    @Test func aTruncatedFileIsReadAgain() throws {
        let bench = try CacheBench(files: ["shrinks.bin": "twelve bytes", "regrows.bin": "twelve bytes"])
        bench.settle()
        try bench.run()
        try bench.sh("""
            truncate -s 4 shrinks.bin
            m=$(stat -c %y regrows.bin); truncate -s 0 regrows.bin; printf 'TWELVE BYTES' > regrows.bin; touch -d "$m" regrows.bin
            """)
        let second = try bench.run()
        #expect(second.stats.reused == 0)
        #expect(second.digests == (try bench.truth()))
        #expect(second.digests["regrows.bin"] != second.digests["shrinks.bin"])
    }

    @Test func aDamagedRowIsNeverReadAsADigest() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        bench.settle()
        try bench.run()
        // Zero the digest part of the stored record, its stamp and seal left as they were.
        try bench.damageRecords { record in
            for index in CacheRecord.digestOffset..<CacheRecord.sealOffset { record[index] = 0 }
        }
        let second = try bench.run()
        #expect(second.stats.reused == 0)
        #expect(second.digests == (try bench.truth()))
    }

    @Test func aSingleFlippedBitOfTheDigestIsCaught() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha", "b.txt": "beta"])
        bench.settle()
        try bench.run()
        try bench.damageRecords { record in record[CacheRecord.digestOffset + 17] ^= 0x04 }
        let second = try bench.run()
        #expect(second.stats.reused == 0)
        #expect(second.digests == (try bench.truth()))
        #expect(try bench.run().stats.reused == 2)
    }
}

/// Many stamps looked up at once (issue 12: one range query per device instead of one lookup per
/// file), and the row seal that stands between a damaged row and a digest.
@Suite struct DigestCacheBatchLookup {
    private static func files(_ count: Int) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("d\($0 % 3)/f\($0).txt", "content \($0)") })
    }

    @Test func everyFileIsFoundInOneBatchAndTheDigestsAreSha256sums() throws {
        let bench = try CacheBench(files: Self.files(60))
        bench.settle()
        #expect(try bench.run().stats.stored == 60)
        let second = try bench.run()
        #expect(second.stats.reused == 60)
        #expect(second.digests == (try bench.truth()))
    }

    @Test func rowsOfOtherFilesAmongTheInodesFallBackToLookupsAndStillFindAll() throws {
        let bench = try CacheBench(files: Self.files(40))
        bench.settle()
        try bench.run()
        // Rows nobody asks about, with inodes inside and around the model's range: more than the
        // range query steps over before it turns to one lookup per file.
        let database = try SQLiteDatabase(path: bench.database, create: false)
        try database.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
            INSERT OR IGNORE INTO digests SELECT d.device, d.inode + n.i - 2500, zeroblob(\(CacheRecord.byteCount)), 0
            FROM n, (SELECT device, min(inode) AS inode FROM digests) AS d
            """)
        let rows = try database.prepare("SELECT count(*) FROM digests")
        _ = try rows.step()
        #expect(rows.int64(0) > 4000)
        let second = try bench.run()
        #expect(second.stats.reused == 40)
        #expect(second.digests == (try bench.truth()))
    }

    /// The cache keeps a write-ahead log and commits without waiting for the disk (NORMAL), on a
    /// new database and on one opened again.
    @Test func theCacheCommitsWithoutWaitingForTheDisk() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        bench.settle()
        let first = try bench.run()
        #expect(first.cache.synchronousLevel == 1)
        #expect(try bench.run().cache.synchronousLevel == 1)
        #expect(try bench.run().stats.reused == 1)
    }

    @Test func aRowWhoseSealWasDamagedIsNotADigest() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha", "b.txt": "beta"])
        bench.settle()
        try bench.run()
        try bench.damageRecords { record in
            for index in CacheRecord.sealOffset..<CacheRecord.byteCount { record[index] = 0 }
        }
        let second = try bench.run()
        #expect(second.stats.reused == 0)
        #expect(second.digests == (try bench.truth()))
        #expect(try bench.run().stats.reused == 2)
    }

    @Test func aRecordOfAnotherLengthIsNoMatchAndIsReplaced() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha", "b.txt": "beta"])
        bench.settle()
        try bench.run()
        let database = try SQLiteDatabase(path: bench.database, create: false)
        try database.execute("UPDATE digests SET record = substr(record, 1, \(CacheRecord.byteCount - 1)) WHERE inode = (SELECT min(inode) FROM digests)")
        try database.execute("UPDATE digests SET record = record || x'00' WHERE inode = (SELECT max(inode) FROM digests)")
        let second = try bench.run()
        #expect(second.stats.reused == 0)
        #expect(second.stats.stored == 2)
        #expect(second.digests == (try bench.truth()))
        #expect(try bench.run().stats.reused == 2)
    }

    /// The record is the stamp's fields, the digest and the seal, at the offsets `CacheRecord`
    /// names; it gives its digest back only to the very stamp it was made of.
    @Test func aRecordMatchesOnlyItsOwnStamp() {
        let stamp = FileStamp(
            fileSystem: 0x0102_0304_0506_0708, device: 22, inode: 33, size: 44,
            modified: StampTime(seconds: 55, nanoseconds: 66), changed: StampTime(seconds: 77, nanoseconds: 999_999_999))
        let digest = SHA256.hash(Array("x".utf8))
        let record = CacheRecord.pack(stamp, digest)
        #expect(record.count == CacheRecord.byteCount)
        #expect(Array(record[0..<8]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(Array(record[CacheRecord.digestOffset..<CacheRecord.sealOffset]) == digest.bytes)
        #expect(Array(record[CacheRecord.sealOffset...]) == DigestCache.seal(stamp, digest.bytes))
        let found = record.withUnsafeBytes { CacheRecord.digest($0, matching: stamp) }
        #expect(found == FileDigest(digest: digest, size: 44))
        var others: [FileStamp] = []
        for field in 0..<8 {
            var other = stamp
            switch field {
            case 0: other.fileSystem += 1
            case 1: other.device += 1
            case 2: other.inode += 1
            case 3: other.size += 1
            case 4: other.modified.seconds += 1
            case 5: other.modified.nanoseconds += 1
            case 6: other.changed.seconds += 1
            default: other.changed.nanoseconds -= 1
            }
            others.append(other)
        }
        for other in others {
            #expect(record.withUnsafeBytes { CacheRecord.digest($0, matching: other) } == nil)
        }
        #expect(record.dropLast().withUnsafeBytes { CacheRecord.digest($0, matching: stamp) } == nil)
        #expect((record + [0]).withUnsafeBytes { CacheRecord.digest($0, matching: stamp) } == nil)
    }

    /// Seals computed by the byte-at-a-time form of `Seal` that schema 2 wrote: the word-at-a-time
    /// form gives the same bytes, for a whole digest and for lengths that end inside a word.
    @Test func theSealIsTheChecksumItWas() {
        let stamp = FileStamp(
            fileSystem: 11, device: 22, inode: 33, size: 44,
            modified: StampTime(seconds: 55, nanoseconds: 66), changed: StampTime(seconds: 77, nanoseconds: 88))
        let digest = Array(SHA256.hash(Array("x".utf8)).bytes)
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(DigestCache.seal(stamp, digest)) == "d87cfb2e00997296823687898a316803")
        #expect(hex(DigestCache.seal(stamp, Array(digest.prefix(31)))) == "10843230dfaff2be94f14750bf249422")
        #expect(hex(DigestCache.seal(stamp, Array(digest.prefix(3)))) == "ee4eca0ed31761d293d6971aa37f46a9")
    }

    @Test func theSealMovesWithEveryBitOfEveryField() {
        let stamp = FileStamp(
            fileSystem: 11, device: 22, inode: 33, size: 44,
            modified: StampTime(seconds: 55, nanoseconds: 66), changed: StampTime(seconds: 77, nanoseconds: 88))
        let digest = Array(SHA256.hash(Array("x".utf8)).bytes)
        let original = DigestCache.seal(stamp, digest)
        #expect(original.count == 16)
        var seals: Set<[UInt8]> = [original]
        var count = 1
        for bit in 0..<64 {
            let flip = UInt64(1) << UInt64(bit)
            var variants: [FileStamp] = []
            for field in 0..<8 {
                var changed = stamp
                switch field {
                case 0: changed.fileSystem ^= flip
                case 1: changed.device ^= flip
                case 2: changed.inode ^= flip
                case 3: changed.size ^= Int64(bitPattern: flip)
                case 4: changed.modified.seconds ^= Int64(bitPattern: flip)
                case 5: changed.modified.nanoseconds ^= Int64(bitPattern: flip)
                case 6: changed.changed.seconds ^= Int64(bitPattern: flip)
                default: changed.changed.nanoseconds ^= Int64(bitPattern: flip)
                }
                variants.append(changed)
            }
            for variant in variants {
                seals.insert(DigestCache.seal(variant, digest))
                count += 1
            }
        }
        for byte in 0..<digest.count {
            for bit in 0..<8 {
                var damaged = digest
                damaged[byte] ^= UInt8(1) << UInt8(bit)
                seals.insert(DigestCache.seal(stamp, damaged))
                count += 1
            }
        }
        seals.insert(DigestCache.seal(stamp, Array(digest.prefix(31))))
        count += 1
        #expect(seals.count == count)
    }
}

@Suite struct DigestCacheThatIsNotOursIsRebuilt {
    /// Plants, in the cache, a well-formed row that says `a.txt` holds other bytes: what another
    /// user who could write the cache would do.
    private func poison(_ bench: CacheBench) throws {
        let fd = open(bench.model + "/a.txt", O_RDONLY)
        defer { close(fd) }
        let stamp = try #require(FileStamp(descriptor: fd))
        let planter = try DigestCache(folder: bench.cacheFolder)
        try #require(stamp.changed < planter.runStart)
        planter.remember(FileDigest(digest: SHA256.hash(Array("forged".utf8)), size: stamp.size), stamp: stamp)
        #expect(planter.finish().stored == 1)
    }

    @Test func aCacheOwnedByAnotherUserIsIgnoredAndRebuilt() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        bench.settle()
        try poison(bench)
        try bench.sh("chown 65534 '\(bench.database)'")
        let run = try bench.run()
        #expect(run.cache.rebuiltBecause == "digests.sqlite belongs to another user (uid 65534)")
        #expect(run.stats.reused == 0)
        #expect(run.digests == (try bench.truth()))
        let owner = try FileManager.default.attributesOfItem(atPath: bench.database)[.ownerAccountID] as? Int
        #expect(owner == Int(geteuid()))
        #expect(try bench.run().stats.reused == 1)
    }

    @Test func aCacheWritableByOthersIsIgnoredAndRebuilt() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        bench.settle()
        try poison(bench)
        try bench.sh("chmod 666 '\(bench.database)'")
        let run = try bench.run()
        #expect(run.cache.rebuiltBecause == "digests.sqlite is writable by other users")
        #expect(run.digests == (try bench.truth()))
    }

    @Test func aCacheOfGarbageBytesIsRebuilt() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        bench.settle()
        try bench.run()
        try pseudoRandomBytes(8192, seed: 7).write(to: URL(fileURLWithPath: bench.database))
        let run = try bench.run()
        #expect(run.cache.rebuiltBecause == "is not an SQLite database, or is damaged")
        #expect(run.stats.reused == 0)
        #expect(run.digests == (try bench.truth()))
        #expect(try bench.run().stats.reused == 1)
    }

    @Test(arguments: [
        ("PRAGMA application_id = 1346651986; PRAGMA user_version = 7; CREATE TABLE digests (x)", "has schema version 7, not 3"),
        ("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')", "is another program's database"),
        ("PRAGMA application_id = 42", "is another program's database"),
        ("PRAGMA application_id = 1346651986; PRAGMA user_version = 1; CREATE TABLE digests (x)", "has schema version 1, not 3"),
        (
            """
            PRAGMA application_id = 1346651986; PRAGMA user_version = 2;
            CREATE TABLE digests (
                device INTEGER NOT NULL, inode INTEGER NOT NULL, filesystem INTEGER NOT NULL,
                size INTEGER NOT NULL, mtime_s INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                ctime_s INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
                sha256 BLOB NOT NULL, seal BLOB NOT NULL, stored INTEGER NOT NULL,
                PRIMARY KEY (device, inode)
            ) WITHOUT ROWID
            """,
            "has schema version 2, not 3"
        ),
        ("PRAGMA application_id = 1346651986; PRAGMA user_version = 3; CREATE TABLE other (x)", "does not hold the table of its schema version"),
    ])
    func aDatabaseOfAnotherSchemaIsRebuilt(_ sql: String, _ reason: String) throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        try FileManager.default.createDirectory(atPath: bench.cacheFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: bench.scratch.url("cache"))
        let foreign = try SQLiteDatabase(path: bench.database, create: true)
        try foreign.execute(sql)
        try bench.sh("chmod 600 '\(bench.database)'")
        bench.settle()
        let run = try bench.run()
        #expect(run.cache.rebuiltBecause == reason)
        #expect(run.digests == (try bench.truth()))
        #expect(try bench.run().stats.reused == 1)
    }

    @Test func aCacheFolderOthersCanChangeIsNotUsed() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha"])
        try bench.run()
        try bench.sh("chmod 777 '\(bench.cacheFolder)'")
        #expect(throws: DigestCacheProblem.unsafeFolder("\(bench.cacheFolder) is writable by other users")) {
            try DigestCache(folder: bench.cacheFolder)
        }
        try bench.sh("chmod 700 '\(bench.cacheFolder)' && chown 65534 '\(bench.cacheFolder)'")
        #expect(throws: DigestCacheProblem.unsafeFolder("\(bench.cacheFolder) belongs to another user (uid 65534)")) {
            try DigestCache(folder: bench.cacheFolder)
        }
    }

    @Test func theFolderComesFromXDGOrHome() throws {
        #expect(try DigestCache.folder(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]) == "/x/cache/pedigree")
        #expect(try DigestCache.folder(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.cache/pedigree")
        #expect(try DigestCache.folder(environment: ["HOME": "/home/u"]) == "/home/u/.cache/pedigree")
        #expect(throws: DigestCacheProblem.noLocation) { try DigestCache.folder(environment: ["HOME": "rel"]) }
    }

    @Test func aHomeThatDoesNotExistIsNotCreated() throws {
        let scratch = try TemporaryFolder()
        let home = scratch.url("nonexistent")
        #expect(throws: DigestCacheProblem.noLocation) { try DigestCache(environment: ["HOME": home]) }
        #expect(!FileManager.default.fileExists(atPath: home))
        // An XDG cache folder that does not exist yet is made, as the XDG base directory spec asks.
        let cache = try DigestCache(environment: ["XDG_CACHE_HOME": scratch.url("xdg"), "HOME": home])
        #expect(cache.path == scratch.url("xdg") + "/pedigree/" + DigestCache.fileName)
        #expect(!FileManager.default.fileExists(atPath: home))
    }
}

@Suite struct FileStamps {
    @Test func fileSystemsWithoutATrueChangeTimeGetNoStamp() {
        #expect(FileStamp.keepsChangeTime(0xEF53))
        #expect(FileStamp.keepsChangeTime(0x0102_1994))
        #expect(!FileStamp.keepsChangeTime(0x6573_5546))  // FUSE
        #expect(!FileStamp.keepsChangeTime(0x4D44))  // FAT
        #expect(!FileStamp.keepsChangeTime(0xFE53_4D42))  // SMB2
    }

    @Test func aStampIsTakenOnlyOfARegularFile() throws {
        let folder = try TemporaryFolder()
        try folder.write("f", "x")
        let file = open(folder.url("f"), O_RDONLY)
        defer { close(file) }
        #expect(FileStamp(descriptor: file)?.size == 1)
        let directory = open(folder.path, O_RDONLY | O_DIRECTORY)
        defer { close(directory) }
        #expect(FileStamp(descriptor: directory) == nil)
    }
}

@Suite struct DigestCacheUnderContention {
    @Test(.timeLimit(.minutes(1)))
    func aWriteThatCannotBeMadeLosesTheDigestsNotTheRun() throws {
        let bench = try CacheBench(files: ["a.txt": "alpha", "b.txt": "beta"])
        bench.settle()
        try bench.run()
        try bench.sh("printf 'changed' > a.txt")
        bench.settle()
        // Another process holds the write lock for longer than the busy timeout.
        let other = try SQLiteDatabase(path: bench.database, create: false)
        try other.execute("BEGIN IMMEDIATE")
        defer { try? other.execute("ROLLBACK") }
        let blocked = try bench.run()
        #expect(blocked.stats.writeFailures == 1)
        #expect(blocked.stats.reused == 1)
        #expect(blocked.digests == (try bench.truth()))
    }

    @Test func concurrentRunsInOneProcessAgree() throws {
        let bench = try CacheBench(files: Dictionary(uniqueKeysWithValues: (0..<200).map { ("f\($0).txt", "file \($0)") }))
        bench.settle()
        let truth = try bench.truth()
        let outcomes = ConcurrentOutcomes()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            outcomes.add(try? bench.run().digests)
        }
        #expect(outcomes.values.count == 4)
        #expect(outcomes.values.allSatisfy { $0 == truth })
        #expect(try bench.run().stats.reused == 200)
    }
}

private final class ConcurrentOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [[String: String]] = []
    func add(_ value: [String: String]?) {
        lock.lock()
        if let value { stored.append(value) }
        lock.unlock()
    }
    var values: [[String: String]] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
