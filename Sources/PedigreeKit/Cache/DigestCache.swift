import PedigreeCrypto

/// Why the digest cache is not used in a run; the run goes on reading every file.
public enum DigestCacheProblem: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// Neither `XDG_CACHE_HOME` (absolute) nor `HOME` (absolute and existing) names a folder.
    case noLocation
    /// The cache folder, or one above it, could be changed by another user.
    case unsafeFolder(String)
    /// The database could not be opened or set up, even after starting afresh.
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .noLocation: return "no cache folder: neither XDG_CACHE_HOME nor HOME is set to an absolute path (HOME an existing folder)"
        case let .unsafeFolder(reason): return "cache folder not used: \(printable(reason))"
        case let .cannotOpen(path, reason): return "\(printable(path)): cannot be used as the digest cache: \(reason)"
        }
    }

    public var exitStatus: ExitStatus { .cannotCreate }
}

/// What the digest cache did in one run.
public struct DigestCacheStats: Equatable, Sendable {
    /// Files whose digest was taken from the cache instead of being read.
    public var reused = 0
    /// Digests written to the cache.
    public var stored = 0
    /// Digests not remembered because the file changed too shortly before the run began.
    public var tooRecent = 0
    /// Digests that could not be written (busy, disk full…); the run is not affected.
    public var writeFailures = 0

    public init() {}
}

/// Digests of files read in earlier runs, kept in an SQLite database under the user's cache
/// folder and keyed by each file's `FileStamp`.
///
/// A remembered digest is given back only for a file whose file system, device, inode, size,
/// modification time and change time are all as they were when it was read — the change time
/// moves on any write, truncation, `touch -d`, rename or new link, and no user can set it back.
/// Three more rules close the gaps a stamp alone leaves:
/// - a digest is remembered only when the stamps of the open descriptor before and after the
///   read are equal (the engine checks), and only if the file's last change lies a clock tick or
///   more before the run began (a write within the same tick would not move the change time);
/// - each row carries a seal (a 128-bit checksum over its fields, see `Seal`) so a damaged page
///   is never read as a digest;
/// - a row is its key (device, inode) and one packed record of fixed length (`CacheRecord`):
///   a look-up reads two columns per row and compares the stamp straight from the record's bytes;
/// - a database that is not ours — another user's, writable by others, not SQLite, another
///   schema — is deleted and rebuilt, never read; a folder above it that others could change
///   keeps the cache off.
///
/// File names are not part of the key: the content belongs to the inode, which a hard link
/// shares and a rename keeps. Failures to write never fail a run. Safe to use from many
/// threads (calls are serialized) and from concurrent processes (WAL, busy timeout, one
/// transaction per batch).
public final class DigestCache: DigestMemo, @unchecked Sendable {
    /// Whether earlier digests are given back, or only new ones recorded.
    public enum Mode: Sendable, Equatable {
        /// Reuse and record digests.
        case readWrite
        /// Read every file, and record what was read (`--rehash`).
        case refresh
    }

    /// The database's file name inside the cache folder.
    public static let fileName = "digests.sqlite"
    /// `PRAGMA application_id` of the database: "PDGR".
    static let applicationID: Int64 = 0x5044_4752
    /// `PRAGMA user_version`: the schema below (3: a row is its key and one packed record, see
    /// `CacheRecord`; a cache of version 2, a column per field, or of version 1, sealed with
    /// SHA-256, is rebuilt).
    static let schemaVersion: Int64 = 3
    /// Rows written per transaction.
    static let batchSize = 512
    /// How long a remembered digest is kept (90 days); hits do not renew it, so nothing is
    /// written when nothing changed.
    static let retentionSeconds: Int64 = 90 * 24 * 3600
    /// One run in this many prunes the cache.
    static let pruneOdds = 32
    /// How long a call waits for another process's lock.
    static let busyTimeoutMilliseconds: Int32 = 5_000

    /// The database file.
    public let path: String
    /// Why an existing database was thrown away and started afresh when it was opened.
    public let rebuiltBecause: String?
    public let mode: Mode
    /// When the run began: a file changed later than a tick before is not remembered.
    let runStart: StampTime

    /// Guarded by a POSIX mutex (`Locked`), which ThreadSanitizer sees, unlike `Mutex`: every
    /// hashing thread asks and tells the cache.
    private let state: Locked<State>

    // @unchecked: the SQLite handles are used only inside `state.withLock`, by one thread at a time.
    private struct State: @unchecked Sendable {
        var database: SQLiteDatabase?
        var lookup: SQLiteStatement?
        /// The range query of `recall(_:)` for many stamps, prepared on first use.
        var range: SQLiteStatement?
        var insert: SQLiteStatement?
        var pending: [(stamp: FileStamp, digest: FileDigest)] = []
        var stats = DigestCacheStats()
        /// Whether a read transaction is open: lookups share one, so they take SQLite's file
        /// locks once instead of once each.
        var reading = false
    }

    /// The cache folder: `$XDG_CACHE_HOME/pedigree` when that is an absolute path, else
    /// `$HOME/.cache/pedigree`.
    public static func folder(environment: [String: String]) throws(DigestCacheProblem) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.utf8.first == UInt8(ascii: "/") {
            return joinPath(xdg, "pedigree")
        }
        if let home = environment["HOME"], home.utf8.first == UInt8(ascii: "/") {
            return joinPath(joinPath(home, ".cache"), "pedigree")
        }
        throw .noLocation
    }

    /// Opens (creating or rebuilding as needed) the cache of the user `environment` describes.
    ///
    /// A `HOME` that does not exist is not created (`/nonexistent` is the home of system users
    /// precisely so that nothing makes it): there is then no cache, as without `HOME`.
    public convenience init(environment: [String: String], mode: Mode = .readWrite) throws(DigestCacheProblem) {
        let folder = try Self.folder(environment: environment)
        if !folder.hasPrefix((environment["XDG_CACHE_HOME"] ?? "\u{0}") + "/"), let home = environment["HOME"], !isFolder(home) {
            throw .noLocation
        }
        try self.init(folder: folder, mode: mode)
    }

    /// Opens the cache in `folder`, creating the folder (mode 0700) when it is missing.
    public convenience init(folder: String, mode: Mode = .readWrite) throws(DigestCacheProblem) {
        try self.init(folder: folder, mode: mode, runStart: StampTime.now())
    }

    /// Opens the cache for a run that began at `runStart` (tests set the clock; the public
    /// initializers read it).
    init(folder: String, mode: Mode, runStart: StampTime) throws(DigestCacheProblem) {
        self.runStart = runStart
        self.mode = mode
        if let problem = PrivateFiles.preparePrivateFolder(folder) { throw .unsafeFolder(problem) }
        path = joinPath(folder, Self.fileName)
        var rebuilt: String?
        var opened: (SQLiteDatabase, SQLiteStatement, SQLiteStatement)?
        do {
            opened = try Self.open(path)
        } catch let problem as NotOurs {
            rebuilt = problem.reason
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        if opened == nil {
            Self.removeFiles(path)
            do {
                opened = try Self.open(path)
            } catch {
                throw .cannotOpen(path: path, reason: "\(error)")
            }
        }
        rebuiltBecause = rebuilt
        guard let (database, lookup, insert) = opened else { throw .cannotOpen(path: path, reason: "not opened") }
        // Rows of files long gone would pile up: now and then, forget what was stored long ago
        // (a file still there is read once more and remembered again).
        if Int.random(in: 0..<Self.pruneOdds) == 0 { Self.prune(database, olderThan: runStart.seconds - Self.retentionSeconds) }
        state = Locked(State(database: database, lookup: lookup, insert: insert))
    }

    deinit { _ = finish() }

    /// What the cache did so far.
    public var stats: DigestCacheStats { state.withLock { $0.stats } }

    /// Writes what is still pending and returns what the cache did in this run.
    @discardableResult
    public func finish() -> DigestCacheStats {
        state.withLock { state in
            Self.flush(&state, path: path)
            return state.stats
        }
    }

    // MARK: DigestMemo

    public func recall(_ stamp: FileStamp) -> FileDigest? {
        recall([stamp])[0]
    }

    /// Looks many stamps up in one pass: the stamps are sorted by device and inode, and each
    /// device's run of inodes is read with one range query whose rows are matched in order.
    ///
    /// A range holding many rows that are not asked about (other folders' files whose inodes lie
    /// between these) is abandoned for one lookup per remaining stamp, so a large cache of
    /// other models costs at most about as many rows stepped as stamps asked.
    public func recall(_ stamps: [FileStamp?]) -> [FileDigest?] {
        var found = [FileDigest?](repeating: nil, count: stamps.count)
        guard mode == .readWrite else { return found }
        var wanted: [(device: UInt64, inode: UInt64, index: Int)] = []
        wanted.reserveCapacity(stamps.count)
        for (index, stamp) in stamps.enumerated() {
            if let stamp { wanted.append((stamp.device, stamp.inode, index)) }
        }
        guard !wanted.isEmpty else { return found }
        wanted.sort { ($0.device, $0.inode) < ($1.device, $1.inode) }
        state.withLock { state in
            guard let database = state.database, state.lookup != nil else { return }
            if !state.reading {
                guard (try? database.execute("BEGIN")) != nil else { return }
                state.reading = true
            }
            var start = 0
            while start < wanted.count {
                var end = start + 1
                while end < wanted.count && wanted[end].device == wanted[start].device { end += 1 }
                do throws(SQLiteError) {
                    try Self.recallRange(wanted[start..<end], stamps, into: &found, state: &state)
                } catch {
                    if error.isDamaged { Self.discard(&state, path: path) }
                    return
                }
                start = end
            }
        }
        return found
    }

    /// Matches the rows of one device's sorted run of inodes (`wanted`) against `stamps`.
    private static func recallRange(
        _ wanted: ArraySlice<(device: UInt64, inode: UInt64, index: Int)>, _ stamps: [FileStamp?],
        into found: inout [FileDigest?], state: inout State
    ) throws(SQLiteError) {
        guard let database = state.database, let first = wanted.first, let last = wanted.last else { return }
        if state.range == nil { state.range = try database.prepare(Self.rangeQuery) }
        guard let range = state.range else { return }
        defer { range.reset() }
        range.bind(1, Int64(bitPattern: first.device))
        range.bind(2, Int64(bitPattern: first.inode))
        range.bind(3, Int64(bitPattern: last.inode))
        var next = wanted.startIndex
        // Rows stepped that nobody asked about; past this many, point lookups are cheaper.
        var foreign = 0
        let foreignLimit = wanted.count + 64
        while next < wanted.endIndex, try range.step() {
            let inode = UInt64(bitPattern: range.int64(0))
            while next < wanted.endIndex && wanted[next].inode < inode { next += 1 }
            guard next < wanted.endIndex, wanted[next].inode == inode else {
                foreign += 1
                if foreign > foreignLimit { break }
                continue
            }
            // Hard links share an inode: every name of it gets the row.
            range.withBlob(1) { record in
                while next < wanted.endIndex && wanted[next].inode == inode {
                    let index = wanted[next].index
                    if let stamp = stamps[index], let digest = CacheRecord.digest(record, matching: stamp) {
                        found[index] = digest
                        state.stats.reused += 1
                    }
                    next += 1
                }
            }
        }
        guard next < wanted.endIndex, let lookup = state.lookup else { return }
        range.reset()
        for item in wanted[next...] {
            guard let stamp = stamps[item.index] else { continue }
            lookup.reset()
            lookup.bind(1, Int64(bitPattern: stamp.device))
            lookup.bind(2, Int64(bitPattern: stamp.inode))
            defer { lookup.reset() }
            guard try lookup.step(), let digest = lookup.withBlob(0, { CacheRecord.digest($0, matching: stamp) }) else { continue }
            found[item.index] = digest
            state.stats.reused += 1
        }
    }

    /// The inodes and records of one device's rows with inodes in a range, in inode order (the
    /// primary key's).
    private static let rangeQuery = "SELECT inode, record FROM digests WHERE device = ?1 AND inode BETWEEN ?2 AND ?3 ORDER BY inode"

    public func remember(_ digest: FileDigest, stamp: FileStamp) {
        state.withLock { state in
            guard state.insert != nil else { return }
            guard digest.size == stamp.size, stamp.changed < runStart.minus(nanoseconds: stamp.settleNanoseconds) else {
                state.stats.tooRecent += 1
                return
            }
            state.pending.append((stamp, digest))
            if state.pending.count >= Self.batchSize { Self.flush(&state, path: path) }
        }
    }

    // MARK: the database

    /// The database could be opened but is not pedigree's cache: start afresh.
    private struct NotOurs: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// Opens the database at `path` and checks it is ours, setting it up when it is new.
    private static func open(_ path: String) throws -> (SQLiteDatabase, SQLiteStatement, SQLiteStatement) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let problem = PrivateFiles.foreignFileProblem(path + suffix) {
                throw NotOurs(reason: "\(lastComponent(path + suffix)) \(problem)")
            }
        }
        _ = PrivateFiles.createPrivateFile(path)
        let database: SQLiteDatabase
        do {
            database = try SQLiteDatabase(path: path, create: false)
            database.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
            try setUp(database)
            // In WAL mode a commit need not wait for the disk for the database to stay whole
            // (SQLite: synchronous NORMAL is always consistent with WAL, only the last commits may
            // be lost to a power cut, and a lost row is a file read again). The WAL is still
            // synced before each checkpoint. A re-sign's commit then costs no fsync on its path.
            if try isWAL(database) { try database.execute("PRAGMA synchronous = NORMAL") }
        } catch let error as SQLiteError where error.isDamaged {
            throw NotOurs(reason: "is not an SQLite database, or is damaged")
        }
        do throws(SQLiteError) {
            let lookup = try database.prepare("SELECT record FROM digests WHERE device = ?1 AND inode = ?2")
            let insert = try database.prepare("INSERT OR REPLACE INTO digests (device, inode, record, stored) VALUES (?1, ?2, ?3, ?4)")
            return (database, lookup, insert)
        } catch {
            if error.isBusy { throw error }
            // Our id and version, but not our table: damaged or tampered with.
            throw NotOurs(reason: "does not hold the table of its schema version")
        }
    }

    /// Whether the database keeps a write-ahead log (`setUp` asks for one; a file system without
    /// shared memory leaves the rollback journal).
    private static func isWAL(_ database: SQLiteDatabase) throws(SQLiteError) -> Bool {
        let mode = try database.prepare("PRAGMA journal_mode")
        return try mode.step() && mode.blob(0) == Array("wal".utf8)
    }

    /// How this connection syncs (`PRAGMA synchronous`: 1 NORMAL, 2 FULL); tests read it.
    var synchronousLevel: Int64? {
        state.withLock { state in try? state.database?.integerPragma("synchronous") }
    }

    /// Checks the schema of an opened database, creating it in a new (empty) one.
    private static func setUp(_ database: SQLiteDatabase) throws {
        let application = try database.integerPragma("application_id")
        let version = try database.integerPragma("user_version")
        if application == applicationID && version == schemaVersion { return }
        guard application == 0 && version == 0 else {
            throw NotOurs(reason: application == applicationID ? "has schema version \(version), not \(schemaVersion)" : "is another program's database")
        }
        // New, or made by another program that set no id: ours only if it holds nothing.
        try database.execute("BEGIN IMMEDIATE")
        do {
            let count = try database.prepare("SELECT count(*) FROM sqlite_schema")
            _ = try count.step()
            let objects = count.int64(0)
            let application = try database.integerPragma("application_id")
            if objects == 0 && application == 0 {
                try database.execute(
                    """
                    CREATE TABLE digests (
                        device INTEGER NOT NULL, inode INTEGER NOT NULL, record BLOB NOT NULL, stored INTEGER NOT NULL,
                        PRIMARY KEY (device, inode)
                    ) WITHOUT ROWID;
                    PRAGMA application_id = \(applicationID);
                    PRAGMA user_version = \(schemaVersion);
                    """)
            } else if application != applicationID {
                throw NotOurs(reason: "is another program's database")
            }
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
        // Readers never wait for a writer in WAL mode; a failure leaves the rollback journal.
        try? database.execute("PRAGMA journal_mode = WAL")
    }

    /// Deletes the rows stored before `cutoff` (seconds since the epoch); a failure is ignored.
    static func prune(_ database: SQLiteDatabase, olderThan cutoff: Int64) {
        guard let delete = try? database.prepare("DELETE FROM digests WHERE stored < ?1") else { return }
        delete.bind(1, cutoff)
        _ = try? delete.step()
    }

    /// Removes the database and its companion files.
    private static func removeFiles(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { PrivateFiles.remove(path + suffix) }
    }

    /// Stops using a database that turned out to be damaged mid-run, and removes it so the
    /// next run starts afresh.
    private static func discard(_ state: inout State, path: String) {
        state.reading = false
        state.lookup = nil
        state.range = nil
        state.insert = nil
        state.database = nil
        state.pending = []
        removeFiles(path)
    }

    /// Writes the pending rows in one transaction; on failure they are dropped and counted.
    private static func flush(_ state: inout State, path: String) {
        if state.reading, let database = state.database {
            try? database.execute("COMMIT")
            state.reading = false
        }
        guard !state.pending.isEmpty else { return }
        defer { state.pending = [] }
        guard let database = state.database, let insert = state.insert else {
            state.stats.writeFailures += state.pending.count
            return
        }
        let now = StampTime.now().seconds
        do throws(SQLiteError) {
            try database.execute("BEGIN IMMEDIATE")
            for (stamp, digest) in state.pending {
                insert.reset()
                insert.bind(1, Int64(bitPattern: stamp.device))
                insert.bind(2, Int64(bitPattern: stamp.inode))
                insert.bind(3, CacheRecord.pack(stamp, digest.digest))
                insert.bind(4, now)
                _ = try insert.step()
            }
            insert.reset()
            try database.execute("COMMIT")
            state.stats.stored += state.pending.count
        } catch {
            insert.reset()
            try? database.execute("ROLLBACK")
            state.stats.writeFailures += state.pending.count
            if error.isDamaged { discard(&state, path: path) }
        }
    }

    /// The seal of a row: 128 bits of a checksum over its fields (see `Seal`).
    static func seal(_ stamp: FileStamp, _ digest: [UInt8]) -> [UInt8] {
        digest.withUnsafeBytes { Seal(stamp, $0).bytes }
    }
}

/// The record of one cache row (schema 3): the row's stamp fields that are not its key, its
/// digest and its seal, packed at fixed offsets so a look-up reads one blob and compares it in
/// place. The whole layout, each number little-endian:
///
///     offset  bytes  field
///          0      8  file system id (`FileStamp.fileSystem`)
///          8      8  size
///         16      8  modification time, seconds
///         24      8  modification time, nanoseconds
///         32      8  change time, seconds
///         40      8  change time, nanoseconds
///         48     32  SHA-256 digest of the content
///         80     16  seal (`Seal`) over the whole stamp, device and inode included, and the digest
///                    = 96 bytes
///
/// A record of any other length matches no stamp; a damaged one fails its seal.
///
/// Of `package` access for the fuzz harness (`Fuzz/Harnesses/CacheRecord.swift`): the record is
/// read back from a file on disk, which may be damaged.
package enum CacheRecord {
    /// The length of every record.
    package static let byteCount = 96
    /// Where the six 8-byte stamp fields begin, in the order of the table above.
    private static let fileSystemOffset = 0, sizeOffset = 8, modifiedOffset = 16, changedOffset = 32
    /// Where the digest begins.
    static let digestOffset = 48
    /// Where the seal begins.
    static let sealOffset = 80

    /// The record of `digest` read from the file in the state `stamp`.
    package static func pack(_ stamp: FileStamp, _ digest: SHA256Digest) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            let record = UnsafeMutableRawBufferPointer(buffer)
            func put(_ value: UInt64, at offset: Int) {
                record.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
            }
            put(stamp.fileSystem, at: fileSystemOffset)
            put(UInt64(bitPattern: stamp.size), at: sizeOffset)
            put(UInt64(bitPattern: stamp.modified.seconds), at: modifiedOffset)
            put(UInt64(bitPattern: stamp.modified.nanoseconds), at: modifiedOffset + 8)
            put(UInt64(bitPattern: stamp.changed.seconds), at: changedOffset)
            put(UInt64(bitPattern: stamp.changed.nanoseconds), at: changedOffset + 8)
            digest.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(rebasing: record[digestOffset..<sealOffset]).copyMemory(from: bytes)
                Seal(stamp, bytes).store(into: UnsafeMutableRawBufferPointer(rebasing: record[sealOffset..<byteCount]))
            }
            initialized = byteCount
        }
    }

    /// The digest `record` holds when it describes exactly `stamp` (whose device and inode are the
    /// row's key) and its seal holds; `nil` otherwise. Compared in place, field by field.
    package static func digest(_ record: UnsafeRawBufferPointer, matching stamp: FileStamp) -> FileDigest? {
        guard record.count == byteCount else { return nil }
        func field(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        guard field(fileSystemOffset) == stamp.fileSystem, field(sizeOffset) == UInt64(bitPattern: stamp.size),
            field(modifiedOffset) == UInt64(bitPattern: stamp.modified.seconds),
            field(modifiedOffset + 8) == UInt64(bitPattern: stamp.modified.nanoseconds),
            field(changedOffset) == UInt64(bitPattern: stamp.changed.seconds),
            field(changedOffset + 8) == UInt64(bitPattern: stamp.changed.nanoseconds)
        else { return nil }
        let digestBytes = UnsafeRawBufferPointer(rebasing: record[digestOffset..<sealOffset])
        guard Seal(stamp, digestBytes).equals(UnsafeRawBufferPointer(rebasing: record[sealOffset..<byteCount])),
            let digest = SHA256Digest(digestBytes)
        else { return nil }
        return FileDigest(digest: digest, size: stamp.size)
    }
}

/// A checksum over every field of a cache row, stored with it, so that a row damaged on disk —
/// a torn page, a flipped bit, fields of two rows run together — is never read as a digest.
///
/// It is a checksum, not a keyed MAC, and needs to be no more: the seal answers accidents, not
/// an adversary. Whoever can write the database can write any row with a valid seal of any
/// strength, since the key would have to live beside it; that is why a database another user
/// could write is never read (`PrivateFiles`), and what is left are the user's own files, which
/// that user could as well sign directly. Against accidental damage, two independent 64-bit
/// lanes of multiply–xorshift mixing (each word of the row enters both lanes with different
/// multipliers, and each lane ends with a full avalanche) leave about one chance in 2^128 that
/// a damaged row keeps a matching seal. It costs a few dozen instructions per row, where a
/// SHA-256 over the row cost more than the rest of a cache hit.
///
/// A false hit would need a row whose stamp equals the file's current stamp (checked field by
/// field before the seal) and whose digest bytes were damaged without the seal noticing.
struct Seal {
    static let byteCount = 16
    private var low: UInt64
    private var high: UInt64

    init(_ stamp: FileStamp, _ digest: UnsafeRawBufferPointer) {
        var a: UInt64 = 0x243F_6A88_85A3_08D3
        var b: UInt64 = 0x1319_8A2E_0370_7344
        @inline(__always) func mix(_ word: UInt64) {
            a = (a ^ word) &* 0x9E37_79B9_7F4A_7C15
            a ^= a >> 29
            b = (b ^ (word &+ 0xA409_3822_299F_31D0)) &* 0xC2B2_AE3D_27D4_EB4F
            b ^= b >> 31
        }
        mix(stamp.fileSystem)
        mix(stamp.device)
        mix(stamp.inode)
        mix(UInt64(bitPattern: stamp.size))
        mix(UInt64(bitPattern: stamp.modified.seconds))
        mix(UInt64(bitPattern: stamp.modified.nanoseconds))
        mix(UInt64(bitPattern: stamp.changed.seconds))
        mix(UInt64(bitPattern: stamp.changed.nanoseconds))
        // The digest, eight bytes to a word (the first byte the most significant), then the bytes
        // after the last whole word as one more word (zero when there are none, as for SHA-256);
        // its length enters too.
        var offset = 0
        while offset + 8 <= digest.count {
            mix(UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        var word: UInt64 = 0
        while offset < digest.count {
            word = word << 8 | UInt64(digest[offset])
            offset += 1
        }
        mix(word)
        mix(UInt64(digest.count))
        low = Self.finish(a ^ (b >> 17))
        high = Self.finish(b ^ (a << 13))
    }

    /// The 64-bit finalizer of MurmurHash3: every input bit flips each output bit with odds near ½.
    private static func finish(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x = x &* 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x = x &* 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    /// The seal as stored: 16 bytes, little-endian.
    var bytes: [UInt8] {
        (0..<Self.byteCount).map(byte)
    }

    /// Writes the stored form (`bytes`) to `target`, which holds exactly `byteCount` bytes.
    func store(into target: UnsafeMutableRawBufferPointer) {
        guard target.count == Self.byteCount else { return }
        target.storeBytes(of: low.littleEndian, toByteOffset: 0, as: UInt64.self)
        target.storeBytes(of: high.littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Whether `stored` is this seal, compared in place.
    func equals(_ stored: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == Self.byteCount else { return false }
        return UInt64(littleEndian: stored.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) == low
            && UInt64(littleEndian: stored.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) == high
    }

    /// Byte `index` (0..<16) of the stored form.
    private func byte(_ index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (index < 8 ? low : high) >> UInt64(8 * (index % 8)))
    }
}
