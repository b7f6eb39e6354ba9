#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Folders and files only this user can change: where remembered digests may live.
///
/// The rule is OpenSSH's for its key files: every folder from the root down must belong to root
/// or to this user and be writable by no one else (a shared folder with the sticky bit, such as
/// `/tmp`, is allowed above the last level, since others cannot rename or remove what it holds),
/// and the last folder and its files must belong to this user and be writable only by them.
enum PrivateFiles {
    /// Creates `path` and any missing parents with mode 0700 and checks the whole chain.
    ///
    /// - Returns: `nil` when the folder exists and is private, else why it cannot be used.
    static func preparePrivateFolder(_ path: String) -> String? {
        guard path.utf8.first == UInt8(ascii: "/") else { return "\(path) is not an absolute path" }
        let components = path.utf8.split(separator: UInt8(ascii: "/")).map { String(decoding: $0, as: UTF8.self) }
        var current = ""
        for (index, component) in components.enumerated() {
            if component == "." || component == ".." { return "\(path) has a '.' or '..' component" }
            current += "/" + component
            let last = index == components.count - 1
            var st = stat()
            // The ancestors may be links (a home folder moved to another disk); the last may not.
            func status() -> Int32 { last ? lstat(current, &st) : stat(current, &st) }
            var rc = status()
            if rc != 0, errno == ENOENT {
                if mkdir(current, 0o700) != 0, errno != EEXIST {
                    return "\(current) cannot be created: \(String(cString: strerror(errno)))"
                }
                rc = status()
            }
            guard rc == 0 else { return "\(current): \(String(cString: strerror(errno)))" }
            guard st.st_mode & S_IFMT == S_IFDIR else { return "\(current) is not a folder" }
            if let problem = ownershipProblem(st, last: last) { return "\(current) \(problem)" }
        }
        // The root itself.
        var root = stat()
        if stat("/", &root) == 0, let problem = ownershipProblem(root, last: components.isEmpty) { return "/ \(problem)" }
        return nil
    }

    /// Why the file at `path` may not be trusted (another owner, writable by others, not a
    /// regular file); `nil` when it is private or does not exist.
    static func foreignFileProblem(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        guard st.st_mode & S_IFMT == S_IFREG else { return "is not a regular file" }
        if st.st_uid != geteuid() { return "belongs to another user (uid \(st.st_uid))" }
        if st.st_mode & 0o022 != 0 { return "is writable by other users" }
        return nil
    }

    /// Creates an empty file at `path` readable and writable by this user alone; `false` if it
    /// exists or cannot be created.
    static func createPrivateFile(_ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        _ = fchmod(fd, 0o600)  // whatever the umask
        close(fd)
        return true
    }

    /// Removes the file at `path` if it is there.
    static func remove(_ path: String) {
        _ = unlink(path)
    }

    private static func ownershipProblem(_ st: stat, last: Bool) -> String? {
        let me = geteuid()
        if last {
            if st.st_uid != me { return "belongs to another user (uid \(st.st_uid))" }
            if st.st_mode & 0o022 != 0 { return "is writable by other users" }
            return nil
        }
        if st.st_uid != 0 && st.st_uid != me { return "belongs to another user (uid \(st.st_uid))" }
        if st.st_mode & 0o022 != 0 && st.st_mode & S_ISVTX == 0 { return "is writable by other users" }
        return nil
    }
}
