#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing output files so that no reader ever sees half of one and nothing is overwritten
/// unasked: the bytes go to a temporary file in the same folder, are flushed to disk, and the
/// file is then linked (or, with `overwrite`, renamed) into place in one step.
public enum AtomicFile {
    /// Writes `bytes` to `path` with permissions `mode`.
    ///
    /// - Parameter overwrite: replace an existing file; without it an existing file is an
    ///   error and is left untouched.
    /// - Throws: `FileError` with `.exists` when `path` exists and `overwrite` is false, or the
    ///   system error of the step that failed; no temporary file is left behind.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, overwrite: Bool) throws(FileError) {
        let folder = parentPath(path).isEmpty ? "." : parentPath(path)
        if !overwrite, case .success = fileStatus(at: AT_FDCWD, path) {
            throw FileError(path: path, reason: .exists)
        }
        var template = Array("\(folder)/.\(lastComponent(path)).tmp-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw FileError(path: path, reason: .system(errno)) }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw FileError(path: path, reason: .system(errno)) }
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(path: path, reason: .system(errno))
                }
                offset += n
            }
            guard fsync(fd) == 0 else { throw FileError(path: path, reason: .system(errno)) }
        }
        if overwrite {
            guard rename(temporary, path) == 0 else { throw FileError(path: path, reason: .system(errno)) }
        } else {
            // link(2) fails if the name exists, so a file created meanwhile is not replaced.
            guard link(temporary, path) == 0 else {
                throw FileError(path: path, reason: errno == EEXIST ? .exists : .system(errno))
            }
            unlink(temporary)
        }
        committed = true
        let dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }
}
