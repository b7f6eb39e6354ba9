#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What kind of file system object an `lstat`/`fstat` result describes.
enum FileKind: Equatable, Sendable {
    case regular, directory, symlink, fifo, socket, characterDevice, blockDevice, unknown

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symlink
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        default: self = .unknown
        }
    }

    /// The reason to refuse a file of this kind where a regular file is wanted, or `nil` for
    /// a regular file.
    var refusal: FileError.Reason? {
        self == .regular ? nil : refusalOfNonRegular
    }

    /// The reason to refuse a file of this kind where a regular file is wanted (a regular file
    /// reads as one of an unknown type: callers ask only about the other kinds).
    var refusalOfNonRegular: FileError.Reason {
        switch self {
        case .regular: return .special("file of unknown type")
        case .directory: return .isDirectory
        case .symlink: return .symbolicLink
        case .fifo: return .special("FIFO")
        case .socket: return .special("socket")
        case .characterDevice: return .special("character device")
        case .blockDevice: return .special("block device")
        case .unknown: return .special("file of unknown type")
        }
    }
}

/// The parts of `struct stat` the hashing engine compares.
struct FileStatus: Equatable, Sendable {
    var kind: FileKind
    var size: Int64
    var modified: timespec
    /// The change time (ctime): moved by the kernel on every write, truncation, `utimes`,
    /// rename or link-count change, and settable by no unprivileged call — so a write whose
    /// modification time was put back afterwards still shows here.
    var changed: timespec
    var device: UInt64
    var inode: UInt64

    init(_ st: stat) {
        kind = FileKind(mode: st.st_mode)
        size = Int64(st.st_size)
        modified = st.st_mtim
        changed = st.st_ctim
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    static func == (a: FileStatus, b: FileStatus) -> Bool {
        a.kind == b.kind && a.size == b.size && a.modified.tv_sec == b.modified.tv_sec
            && a.modified.tv_nsec == b.modified.tv_nsec && a.changed.tv_sec == b.changed.tv_sec
            && a.changed.tv_nsec == b.changed.tv_nsec && a.device == b.device && a.inode == b.inode
    }
}

/// `fstat` of an open descriptor.
func fileStatus(_ fd: Int32) -> FileStatus? {
    var st = stat()
    guard fstat(fd, &st) == 0 else { return nil }
    return FileStatus(st)
}

/// An `errno` value as an `Error`.
struct Errno: Error, Equatable {
    var code: Int32
}

/// The system's words for the `errno` value `code` ("No such file or directory").
func systemErrorText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// `fstatat` without following a final symbolic link (unless `follow`).
func fileStatus(at dirfd: Int32, _ name: String, follow: Bool = false) -> Result<FileStatus, Errno> {
    var st = stat()
    guard fstatat(dirfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else { return .failure(Errno(code: errno)) }
    return .success(FileStatus(st))
}

/// `stat`/`lstat` of a path relative to the working directory: a final link is followed only
/// if `follow`.
func fileStatus(atPath path: String, follow: Bool = false) -> Result<FileStatus, Errno> {
    fileStatus(at: AT_FDCWD, path, follow: follow)
}

/// Whether `path` names a folder (following links).
func isFolder(_ path: String) -> Bool {
    if case .success(let status) = fileStatus(atPath: path, follow: true) { return status.kind == .directory }
    return false
}

/// Whether something exists at `path` (following links).
func exists(_ path: String) -> Bool {
    if case .success = fileStatus(atPath: path, follow: true) { return true }
    return false
}

/// An open directory descriptor, closed when the last reference goes.
public final class DirectoryHandle: Sendable {
    let fd: Int32

    /// Opens `path` as a directory, following a link only if `follow`.
    public init(path: String, follow: Bool = true) throws(FileError) {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)
        let fd = open(path, flags)
        guard fd >= 0 else { throw FileError(path: path, reason: .system(errno)) }
        self.fd = fd
    }

    init(adopting fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// The entries of this directory (without `.` and `..`), sorted by the bytes of their
    /// names, and an error for each name that is not valid UTF-8.
    func entries(displayPath: String) throws(FileError) -> (names: [String], invalid: [FileError]) {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            let code = errno
            if copy >= 0 { close(copy) }
            throw FileError(path: displayPath, reason: .system(code))
        }
        defer { closedir(dir) }
        rewinddir(dir)
        // Every name's bytes go into one buffer and are sorted there, before any `String` is
        // made: no array per entry, and most comparisons are of one integer (`NameSpan`).
        var storage: [UInt8] = []
        var spans: [NameSpan] = []
        var invalid: [FileError] = []
        // The name is read through a pointer: `d_name` as a value is a tuple of 256 characters,
        // whose type the runtime would look up on every entry.
        guard let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name) else {
            throw FileError(path: displayPath, reason: .system(EINVAL))  // a stored field has an offset
        }
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw FileError(path: displayPath, reason: .system(errno)) }
                break
            }
            let name = UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self)
            let length = strlen(name)
            let bytes = UnsafeRawBufferPointer(start: name, count: length)
            if length == 1 && bytes[0] == 0x2e || length == 2 && bytes[0] == 0x2e && bytes[1] == 0x2e { continue }
            spans.append(NameSpan(bytes, at: storage.count))
            storage.append(contentsOf: bytes)
        }
        var names: [String] = []
        names.reserveCapacity(spans.count)
        storage.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            // By the bytes of the names (`String`'s own order is by Unicode scalars after
            // normalization, which is not the order the manifest uses).
            spans.sort { a, b in a.precedes(b, in: base) }
            for span in spans {
                let name = UnsafeBufferPointer(rebasing: all[span.start..<(span.start + span.count)])
                // An ASCII name is valid as it is; `String(validating:as:)` is generic and looks
                // its encoding's types up at run time on every call.
                let ascii = name.allSatisfy { $0 < 0x80 }
                guard let valid = ascii ? String(decoding: name, as: UTF8.self) : String(validating: name, as: UTF8.self) else {
                    invalid.append(FileError(path: joinPath(displayPath, String(decoding: name, as: UTF8.self)), reason: .invalidName))
                    continue
                }
                names.append(valid)
            }
        }
        return (names, invalid)
    }

    /// Opens the subdirectory `name` without following a link.
    func subdirectory(_ name: String) -> Result<DirectoryHandle, Errno> {
        let fd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Errno(code: errno)) }
        return .success(DirectoryHandle(adopting: fd))
    }
}

/// Where one name of a directory listing lies in the listing's buffer, with its first 8 bytes
/// as a big-endian integer (zero-padded) so that most comparisons compare one number.
private struct NameSpan {
    /// The first bytes, big-endian: integer order is the bytes' order.
    var key: UInt64
    var start: Int
    var count: Int

    init(_ bytes: UnsafeRawBufferPointer, at start: Int) {
        var key: UInt64 = 0
        for index in 0..<8 { key = key << 8 | UInt64(index < bytes.count ? bytes[index] : 0) }
        self.key = key
        self.start = start
        self.count = bytes.count
    }

    /// Whether this name sorts before `other` by bytes (`memcmp`, then the shorter first);
    /// `base` is the listing's buffer.
    ///
    /// Equal keys mean equal first 8 bytes, or equal names shorter than 8 (a name holds no NUL,
    /// so its padding matches only another name's end): the rest is compared only past 8.
    func precedes(_ other: NameSpan, in base: UnsafePointer<UInt8>) -> Bool {
        if key != other.key { return key < other.key }
        let common = min(count, other.count)
        if common > 8 {
            let order = memcmp(base + start + 8, base + other.start + 8, common - 8)
            if order != 0 { return order < 0 }
        }
        return count < other.count
    }
}

/// Whether `a` sorts before `b` by their UTF-8 bytes (`memcmp`, then the shorter first).
func utf8Precedes(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { x in
        b.withUTF8 { y in
            let common = min(x.count, y.count)
            if common > 0, let p = x.baseAddress, let q = y.baseAddress {
                let order = memcmp(p, q, common)
                if order != 0 { return order < 0 }
            }
            return x.count < y.count
        }
    }
}

/// The path without its last component (`/` for a child of the root, `` for a bare name).
public func parentPath(_ path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// The last component of a path.
public func lastComponent(_ path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
    return String(path[path.utf8.index(after: slash)...])
}

/// `parent/child` without doubling a trailing slash.
public func joinPath(_ parent: String, _ child: String) -> String {
    if parent.isEmpty { return child }
    return parent.utf8.last == UInt8(ascii: "/") ? parent + child : parent + "/" + child
}

/// Reads a whole small file: a manifest, a key, a checksum list.
///
/// - Parameters:
///   - limit: the most bytes accepted; a larger file is an error, never read whole.
///   - allowPipes: accept a FIFO (e.g. the shell's `<(…)`) or standard input as `-`.
/// - Throws: `FileError` naming the file: not found, a folder, a device, too large.
public func readSmallFile(_ path: String, limit: Int = 64 << 20, allowPipes: Bool = false) throws(FileError) -> [UInt8] {
    let fd: Int32
    let owned: Bool
    if path == "-" && allowPipes {
        fd = STDIN_FILENO
        owned = false
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (allowPipes ? 0 : O_NONBLOCK))
        guard fd >= 0 else { throw FileError(path: path, reason: .system(errno)) }
        owned = true
    }
    defer { if owned { close(fd) } }
    guard let status = fileStatus(fd) else { throw FileError(path: path, reason: .system(errno)) }
    switch status.kind {
    case .regular: break
    case .fifo where allowPipes: break
    default:
        if fd != STDIN_FILENO { throw FileError(path: path, reason: status.kind.refusalOfNonRegular) }
    }
    return try readAll(fd, status: status, path: path, limit: limit)
}

/// Reads a whole small file opened as the hashing engine opens it (beneath the folder, never
/// through a link, never a FIFO).
public func readSmallFile(from source: FileSource, displayPath: String, limit: Int) throws(FileError) -> [UInt8] {
    let (fd, status) = try source.openRegularFile(displayPath: displayPath)
    defer { close(fd) }
    return try readAll(fd, status: status, path: displayPath, limit: limit)
}

private func readAll(_ fd: Int32, status: FileStatus, path: String, limit: Int) throws(FileError) -> [UInt8] {
    if status.kind == .regular, status.size > limit {
        throw FileError(path: path, reason: .tooLarge(limit: Int64(limit)))
    }
    var bytes: [UInt8] = []
    // Sized once for a regular file: grown by doubling, a 40 MB manifest would briefly take 96.
    if status.kind == .regular { bytes.reserveCapacity(Int(clamping: max(0, status.size))) }
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            bytes += chunk[..<n]
            if bytes.count > limit { throw FileError(path: path, reason: .tooLarge(limit: Int64(limit))) }
        } else if n == 0 {
            return bytes
        } else if errno != EINTR {
            throw FileError(path: path, reason: .system(errno))
        }
    }
}
