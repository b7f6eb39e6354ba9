internal import CSQLite

/// A failed SQLite call: its result code and SQLite's own message.
struct SQLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The extended result code.
    var code: Int32
    var message: String

    var description: String { "\(message) (SQLite result \(code))" }

    /// Another connection holds a lock longer than the busy timeout.
    var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }

    /// The file is not an SQLite database, or its pages are damaged.
    var isDamaged: Bool { code & 0xff == SQLITE_NOTADB || code & 0xff == SQLITE_CORRUPT }
}

/// One connection to an SQLite database file, closed when the last reference goes.
///
/// Not safe to use from two threads at once: the owner serializes every call (the connection
/// is opened without SQLite's own mutexes). Nothing outside `Platform/` sees SQLite's C API.
final class SQLiteDatabase: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Opens the database at `path`, creating an empty one when `create` is set.
    ///
    /// A symbolic link as the last component is refused (`SQLITE_OPEN_NOFOLLOW`), so the file
    /// opened is the one whose owner and mode the caller checked.
    init(path: String, create: Bool) throws(SQLiteError) {
        var raw: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_PRIVATECACHE
            | (create ? SQLITE_OPEN_CREATE : 0)
        let rc = sqlite3_open_v2(path, &raw, flags, nil)
        guard rc == SQLITE_OK, let raw else {
            let message = raw.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(raw)
            throw SQLiteError(code: rc, message: message)
        }
        sqlite3_extended_result_codes(raw, 1)
        handle = raw
    }

    deinit { sqlite3_close_v2(handle) }

    /// How long a call waits for another connection's lock before failing as busy.
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Runs one or more statements that return no rows of interest.
    func execute(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw lastError(rc) }
    }

    /// Compiles one statement.
    func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw lastError(rc) }
        return SQLiteStatement(raw, database: self)
    }

    /// The integer value of `PRAGMA name` (e.g. `user_version`, `application_id`).
    func integerPragma(_ name: String) throws(SQLiteError) -> Int64 {
        let statement = try prepare("PRAGMA \(name)")
        guard try statement.step() else { throw SQLiteError(code: SQLITE_ERROR, message: "PRAGMA \(name) returned no row") }
        return statement.int64(0)
    }

    fileprivate func lastError(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }
}

/// A compiled statement of one connection, finalized when released; used by one thread at a time.
final class SQLiteStatement {
    private let handle: OpaquePointer
    /// Keeps the connection open while the statement lives.
    private let database: SQLiteDatabase

    fileprivate init(_ handle: OpaquePointer, database: SQLiteDatabase) {
        self.handle = handle
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears the bindings and rewinds the statement so it can run again.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds an integer to parameter `index` (1-based).
    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds a copy of `bytes` as a blob to parameter `index` (1-based).
    func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), pedigree_sqlite_transient())
        }
    }

    /// Runs the statement to its next row: `true` when a row is ready, `false` when done.
    func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw database.lastError(rc)
        }
    }

    /// Column `index` (0-based) of the current row as an integer.
    func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// Calls `body` with the bytes of column `index` (0-based) of the current row, in place
    /// (empty for NULL); the bytes are valid only inside `body`.
    func withBlob<R>(_ index: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let base = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let base else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Column `index` (0-based) of the current row as bytes (empty for NULL).
    func blob(_ index: Int32) -> [UInt8] {
        // The pointer first, then its length, as SQLite's documentation asks.
        let base = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let base else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}
