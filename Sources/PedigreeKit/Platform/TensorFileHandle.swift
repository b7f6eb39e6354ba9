#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A weights file open for bounded reads at given offsets.
///
/// Reads go through `pread`, so a header read never touches tensor data beyond what was asked.
/// Opened without blocking on FIFOs (a FIFO is refused before any read) and closed when released.
/// The POSIX calls of the tensor readers live here; they move to `Platform/` with the rest.
final class TensorFileHandle: Sendable {
    let path: String
    let displayName: String
    let fd: Int32
    /// The size when the file was opened.
    let size: Int64
    /// Whether the descriptor is closed with the handle (not when it was lent by another reader).
    private let ownsDescriptor: Bool

    init(path: String, displayName: String) throws(TensorFileError) {
        self.path = path
        self.displayName = displayName
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw TensorFileError(file: displayName, field: "file", reason: .unreadable(errno: errno)) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            throw TensorFileError(file: displayName, field: "file", reason: .unreadable(errno: code))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw TensorFileError(file: displayName, field: "file", reason: .notRegularFile)
        }
        self.fd = fd
        self.size = Int64(st.st_size)
        ownsDescriptor = true
    }

    /// A handle on a regular file another reader opened (the hashing engine), which stays
    /// open and owned by that reader; `size` is what that reader found when it opened it.
    init(borrowing fd: Int32, size: Int64, displayName: String) {
        path = displayName
        self.displayName = displayName
        self.fd = fd
        self.size = size
        ownsDescriptor = false
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// Fills `buffer` with the bytes at `offset`; `field` names what is being read, for errors.
    ///
    /// - Throws: `truncated` when the file ends first (it shrank since it was opened, or the
    ///   caller asked past its end), `unreadable` when a read fails.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer, field: String) throws(TensorFileError) {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + Int64(done)))
            if n > 0 {
                done += n
            } else if n == 0 {
                throw TensorFileError(
                    file: displayName, field: field,
                    reason: .truncated(needed: UInt64(buffer.count), available: UInt64(done)))
            } else if errno != EINTR {
                throw TensorFileError(file: displayName, field: field, reason: .unreadable(errno: errno))
            }
        }
    }

    /// `count` bytes at `offset` as an array.
    func bytes(at offset: Int64, count: Int, field: String) throws(TensorFileError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var failure: TensorFileError?
        out.withUnsafeMutableBytes { raw in
            do throws(TensorFileError) { try read(at: offset, into: raw, field: field) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }

    /// Reads sequentially from `offset` in chunks of `chunkSize` bytes until the end of the file,
    /// handing each chunk to `body`; returns the bytes read.
    func stream(from offset: Int64, chunkSize: Int, _ body: (UnsafeRawBufferPointer, Int64) -> Void) throws(TensorFileError) -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var position = offset
        while true {
            let n = pread(fd, buffer.baseAddress!, chunkSize, off_t(position))
            if n > 0 {
                body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n), position)
                position += Int64(n)
            } else if n == 0 {
                return position - offset
            } else if errno != EINTR {
                throw TensorFileError(file: displayName, field: "data", reason: .unreadable(errno: errno))
            }
        }
    }

    /// Moves the descriptor's read position to the start of the file, for a sequential read
    /// (`read(2)`) of the whole file; false when it cannot be moved.
    func rewind() -> Bool {
        lseek(fd, 0, SEEK_SET) == 0
    }

    /// Throws when the file's size is no longer the one it had when opened.
    func checkUnchanged() throws(TensorFileError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TensorFileError(file: displayName, field: "file", reason: .unreadable(errno: errno)) }
        if Int64(st.st_size) != size {
            throw TensorFileError(
                file: displayName, field: "file", reason: .changedWhileReading("size went from \(size) to \(st.st_size) bytes"))
        }
    }
}
