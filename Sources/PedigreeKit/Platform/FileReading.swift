#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading an open file descriptor, for the hashing engine.
enum FileReading {
    /// Reads up to `count` bytes into `buffer`, retrying a read interrupted by a signal.
    ///
    /// - Returns: the bytes read, 0 at the end of the file, or `-errno` when the read failed.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer?, count: Int) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return n }
            let code = errno
            if code != EINTR { return -Int(code) }
        }
    }

    /// Reads `count` bytes at `offset` into `buffer` with `pread` (the file position stays where
    /// it is), retrying short and interrupted reads: fewer than `count` only at the end of the file.
    ///
    /// - Returns: the bytes read, fewer than `count` only at the end of the file, or `-errno`
    ///   when a read failed (what it had read is then discarded).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer?, count: Int, at offset: Int64) -> Int {
        guard let buffer else { return 0 }
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + Int64(done)))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else {
                let code = errno
                if code != EINTR { return -Int(code) }
            }
        }
        return done
    }

    /// Tells the kernel the file will be read once from start to end (Linux only).
    static func adviseSequential(_ fd: Int32) {
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
    }

    /// Closes `fd`.
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// `fstat` of `fd`, or the `errno` of its failure.
    static func status(_ fd: Int32) -> Result<FileStatus, Errno> {
        if let status = fileStatus(fd) { return .success(status) }
        return .failure(Errno(code: errno))
    }
}
