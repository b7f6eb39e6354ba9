#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing output files so that no reader ever sees half of one and nothing is overwritten
/// unasked: the bytes go to a temporary file in the same folder, are flushed to disk, and the
/// file is then linked (or, with `overwrite`, renamed) into place in one step.
public enum AtomicFile {
    /// Writes `bytes` to `path`.
    ///
    /// - Parameters:
    ///   - mode: the permissions, less the process's umask (a key's 0600 is kept as it is).
    ///   - overwrite: replace an existing file; without it an existing file is an error and is
    ///     left untouched.
    /// - Throws: `FileError` with `.exists` when `path` exists and `overwrite` is false, or the
    ///   system error of the step that failed; no temporary file is left behind.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, overwrite: Bool) throws(FileError) {
        try write([(bytes, path)], mode: mode, overwrite: overwrite)
    }

    /// Writes several files together: every one is written and flushed to a temporary file
    /// first, and only then are they put in place; if putting one in place fails, those already
    /// replaced get their old contents back (kept meanwhile as hard links), so the files change
    /// together or not at all.
    public static func write(_ files: [(bytes: [UInt8], path: String)], mode: mode_t = 0o644, overwrite: Bool) throws(FileError) {
        try write(files.map { file in (fill: { (sink: FileSink) in sink.write(file.bytes) }, path: file.path) }, mode: mode, overwrite: overwrite)
    }

    /// Writes to `path` what `fill` writes into the sink it is given, as `write(_:to:mode:overwrite:)`
    /// writes bytes: for a large file made in pieces (a manifest's Base64 payload), so that the
    /// whole text is never held in memory. `fill` need not check the sink: after a failed write
    /// the sink ignores the rest, and the error is thrown here.
    public static func write(to path: String, mode: mode_t = 0o644, overwrite: Bool, fill: @escaping (FileSink) -> Void) throws(FileError) {
        try write([(fill: fill, path: path)], mode: mode, overwrite: overwrite)
    }

    private static func write(_ files: [(fill: (FileSink) -> Void, path: String)], mode: mode_t, overwrite: Bool) throws(FileError) {
        if !overwrite, let existing = files.first(where: { if case .success = fileStatus(at: AT_FDCWD, $0.path) { true } else { false } }) {
            throw FileError(path: existing.path, reason: .exists)
        }
        var prepared: [(temporary: String, path: String)] = []
        defer { for file in prepared { unlink(file.temporary) } }
        for file in files {
            prepared.append((try temporaryCopy(file.fill, for: file.path, mode: mode), file.path))
        }
        var committed: [(path: String, backup: String?)] = []
        defer { for file in committed { if let backup = file.backup { unlink(backup) } } }
        for (index, file) in prepared.enumerated() {
            let backup = overwrite ? hardLinkBackup(of: file.path) : nil
            do {
                try commit(file.temporary, to: file.path, overwrite: overwrite)
            } catch {
                if let backup { unlink(backup) }
                for done in committed.reversed() {
                    if let old = done.backup { rename(old, done.path) } else { unlink(done.path) }
                }
                committed = []
                throw error
            }
            committed.append((file.path, backup))
            prepared[index].temporary = ""  // nothing left to remove
        }
        for folder in Set(prepared.map { folderOf($0.path) }) {
            let dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dirfd >= 0 {
                _ = fsync(dirfd)
                close(dirfd)
            }
        }
    }

    private static func folderOf(_ path: String) -> String { parentPath(path).isEmpty ? "." : parentPath(path) }

    /// A second name for the file now at `path`, to restore it from; `nil` when there is no
    /// such file or the file system has no hard links.
    private static func hardLinkBackup(of path: String) -> String? {
        guard case .success(let status) = fileStatus(at: AT_FDCWD, path), status.kind == .regular else { return nil }
        for attempt in 0..<8 {
            let backup = "\(folderOf(path))/.\(lastComponent(path)).old-\(getpid())-\(attempt)"
            if link(path, backup) == 0 { return backup }
            if errno != EEXIST { return nil }
        }
        return nil
    }

    /// Writes what `fill` writes to a new temporary file beside `path` and flushes it; its name.
    private static func temporaryCopy(_ fill: (FileSink) -> Void, for path: String, mode: mode_t) throws(FileError) -> String {
        var template = Array("\(folderOf(path))/.\(lastComponent(path)).tmp-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw FileError(path: path, reason: .system(errno)) }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: Int32 = 0
        let mask = umask(0)
        umask(mask)
        if fchmod(fd, mode & ~mask) != 0 { failure = errno }
        if failure == 0 {
            let sink = FileSink(fd: fd)
            fill(sink)
            failure = sink.failure
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure != 0 {
            unlink(temporary)
            throw FileError(path: path, reason: .system(failure))
        }
        return temporary
    }

    /// Puts `temporary` in place as `path`.
    private static func commit(_ temporary: String, to path: String, overwrite: Bool) throws(FileError) {
        if overwrite {
            guard rename(temporary, path) == 0 else { throw FileError(path: path, reason: .system(errno)) }
            return
        }
        // link(2) fails if the name exists, so a file created meanwhile is never replaced.
        if link(temporary, path) == 0 {
            unlink(temporary)
            return
        }
        let code = errno
        if code == EEXIST { throw FileError(path: path, reason: .exists) }
        // File systems without hard links (exFAT, some network mounts): check, then rename.
        guard code == EPERM || code == EOPNOTSUPP || code == ENOSYS else { throw FileError(path: path, reason: .system(code)) }
        if case .success = fileStatus(at: AT_FDCWD, path) { throw FileError(path: path, reason: .exists) }
        guard rename(temporary, path) == 0 else { throw FileError(path: path, reason: .system(errno)) }
    }
}

extension AtomicFile {
    /// Removes the file at `path` if it exists (a file this run wrote and now takes back).
    public static func remove(_ path: String) {
        _ = unlink(path)
    }
}

/// Where `AtomicFile.write(to:mode:overwrite:fill:)` writes: an open file that keeps the first
/// error and ignores every write after it.
public final class FileSink {
    private let fd: Int32
    /// The `errno` of the first write that failed, 0 while none has.
    public private(set) var failure: Int32 = 0
    /// Bytes written so far, and how many of them have been handed to the disk ahead of the
    /// final `fsync` (see `write`).
    private var written: Int64 = 0
    private var handedToDisk: Int64 = 0
    /// Written bytes are handed to the disk in runs of at least this many.
    static let writebackRun: Int64 = 1 << 20

    init(fd: Int32) { self.fd = fd }

    /// Writes all of `bytes` (retrying a short or interrupted write).
    ///
    /// Each MiB written is handed to the disk at once (`sync_file_range` with
    /// `SYNC_FILE_RANGE_WRITE`, which waits for nothing) while the rest is made and written, so
    /// the `fsync` that ends an atomic write waits only for the last of it: a 4 MiB manifest's
    /// fsync took about 4 ms, a tenth of a re-sign of 20,000 files. A failure there is ignored:
    /// the `fsync` reports any error of the data.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while failure == 0, offset < bytes.count {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno != EINTR { failure = errno }
                continue
            }
            offset += n
            written += Int64(n)
        }
        #if os(Linux)
        if failure == 0, written - handedToDisk >= Self.writebackRun {
            startWriteback(fd, from: handedToDisk, count: written - handedToDisk)
            handedToDisk = written
        }
        #endif
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }
}
