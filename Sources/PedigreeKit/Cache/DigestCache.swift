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
/// - each row carries a seal (SHA-256 over its fields) so a damaged page is never read as a
///   digest;
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
    /// `PRAGMA user_version`: the schema below.
    static let schemaVersion: Int64 = 1
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
        guard mode == .readWrite else { return nil }
        return state.withLock { state -> FileDigest? in
            guard let lookup = state.lookup, let database = state.database else { return nil }
            if !state.reading {
                guard (try? database.execute("BEGIN")) != nil else { return nil }
                state.reading = true
            }
            lookup.reset()
            lookup.bind(1, Int64(bitPattern: stamp.device))
            lookup.bind(2, Int64(bitPattern: stamp.inode))
            do throws(SQLiteError) {
                guard try lookup.step() else { return nil }
            } catch {
                if error.isDamaged { Self.discard(&state, path: path) }
                return nil
            }
            let row = Row(
                stamp: FileStamp(
                    fileSystem: UInt64(bitPattern: lookup.int64(0)), device: stamp.device, inode: stamp.inode,
                    size: lookup.int64(1),
                    modified: StampTime(seconds: lookup.int64(2), nanoseconds: lookup.int64(3)),
                    changed: StampTime(seconds: lookup.int64(4), nanoseconds: lookup.int64(5))),
                digest: lookup.blob(6), seal: lookup.blob(7))
            lookup.reset()
            guard row.stamp == stamp, row.seal == Self.seal(stamp, row.digest), let digest = SHA256Digest(bytes: row.digest) else {
                return nil
            }
            state.stats.reused += 1
            return FileDigest(digest: digest, size: stamp.size)
        }
    }

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

    private struct Row {
        var stamp: FileStamp
        var digest: [UInt8]
        var seal: [UInt8]
    }

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
        } catch let error as SQLiteError where error.isDamaged {
            throw NotOurs(reason: "is not an SQLite database, or is damaged")
        }
        do throws(SQLiteError) {
            let lookup = try database.prepare(
                "SELECT filesystem, size, mtime_s, mtime_ns, ctime_s, ctime_ns, sha256, seal FROM digests WHERE device = ?1 AND inode = ?2")
            let insert = try database.prepare(
                """
                INSERT OR REPLACE INTO digests (device, inode, filesystem, size, mtime_s, mtime_ns, ctime_s, ctime_ns, sha256, seal, stored)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                """)
            return (database, lookup, insert)
        } catch {
            if error.isBusy { throw error }
            // Our id and version, but not our table: damaged or tampered with.
            throw NotOurs(reason: "does not hold the table of its schema version")
        }
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
                        device INTEGER NOT NULL, inode INTEGER NOT NULL, filesystem INTEGER NOT NULL,
                        size INTEGER NOT NULL, mtime_s INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                        ctime_s INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
                        sha256 BLOB NOT NULL, seal BLOB NOT NULL, stored INTEGER NOT NULL,
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
                insert.bind(3, Int64(bitPattern: stamp.fileSystem))
                insert.bind(4, stamp.size)
                insert.bind(5, stamp.modified.seconds)
                insert.bind(6, stamp.modified.nanoseconds)
                insert.bind(7, stamp.changed.seconds)
                insert.bind(8, stamp.changed.nanoseconds)
                insert.bind(9, digest.digest.bytes)
                insert.bind(10, seal(stamp, digest.digest.bytes))
                insert.bind(11, now)
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

    /// The first 16 bytes of SHA-256 over a row's fields: a damaged row never passes for a digest.
    static func seal(_ stamp: FileStamp, _ digest: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96)
        for value in [
            stamp.fileSystem, stamp.device, stamp.inode, UInt64(bitPattern: stamp.size),
            UInt64(bitPattern: stamp.modified.seconds), UInt64(bitPattern: stamp.modified.nanoseconds),
            UInt64(bitPattern: stamp.changed.seconds), UInt64(bitPattern: stamp.changed.nanoseconds),
        ] {
            withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        }
        bytes += digest
        return Array(SHA256.hash(bytes).bytes.prefix(16))
    }
}
