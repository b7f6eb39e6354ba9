#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the bytes of one file come from, and how it may be opened.
public enum FileSource: Sendable {
    /// A path opened as given; a final symbolic link is followed only if `followLinks`.
    case path(String, followLinks: Bool)
    /// A relative path resolved one component at a time beneath an open folder, never
    /// following a symbolic link, so no name can lead outside the folder.
    case beneath(DirectoryHandle, components: [String])
    /// The resolved target of a followed link: opened without following a final link, and
    /// refused unless it is still the file (device and inode) that was listed.
    case resolved(String, identity: FileIdentity)

    /// Opens the file for reading without blocking on FIFOs or devices, and checks that it
    /// is a regular file.
    ///
    /// - Returns: the descriptor and its status; the caller closes the descriptor.
    func openRegularFile(displayPath: String) throws(FileError) -> (fd: Int32, status: FileStatus) {
        let fd: Int32
        switch self {
        case let .path(path, followLinks):
            let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followLinks ? 0 : O_NOFOLLOW)
            fd = open(path, flags)
            if fd < 0 {
                let code = errno
                if code == ELOOP, !followLinks, case .success(let st) = fileStatus(at: AT_FDCWD, path),
                    st.kind == .symlink
                {
                    throw FileError(path: displayPath, reason: .symbolicLink)
                }
                throw FileError(path: displayPath, reason: .system(code))
            }
        case let .beneath(root, components):
            fd = try Self.openBeneath(root, components, displayPath: displayPath)
        case let .resolved(path, identity):
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW)
            if fd < 0 { throw FileError(path: displayPath, reason: .system(errno)) }
            if let status = fileStatus(fd), FileIdentity(status) != identity {
                close(fd)
                throw FileError(path: displayPath, reason: .changedWhileReading("replaced since it was listed"))
            }
        }
        guard let status = fileStatus(fd) else {
            let code = errno
            close(fd)
            throw FileError(path: displayPath, reason: .system(code))
        }
        if let refusal = status.kind.refusal {
            close(fd)
            throw FileError(path: displayPath, reason: refusal)
        }
        return (fd, status)
    }

    private static func openBeneath(
        _ root: DirectoryHandle, _ components: [String], displayPath: String
    ) throws(FileError) -> Int32 {
        guard let name = components.last else { throw FileError(path: displayPath, reason: .isDirectory) }
        var dirfd = root.fd
        var opened: Int32 = -1
        defer { if opened >= 0 { close(opened) } }
        /// Opens `component` of `dirfd`, naming a link met on the way.
        func open(_ component: String, at index: Int, flags: Int32) throws(FileError) -> Int32 {
            let fd = openat(dirfd, component, flags | O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd < 0 else { return fd }
            let code = errno
            if code == ELOOP || code == ENOTDIR, case .success(let st) = fileStatus(at: dirfd, component), st.kind == .symlink {
                if index == components.count - 1 { throw FileError(path: displayPath, reason: .symbolicLink) }
                throw FileError(path: displayPath, reason: .linkInPath(components[...index].joined(separator: "/")))
            }
            throw FileError(path: displayPath, reason: .system(code))
        }
        for (index, folder) in components.dropLast().enumerated() {
            let fd = try open(folder, at: index, flags: O_DIRECTORY)
            if opened >= 0 { close(opened) }
            opened = fd
            dirfd = fd
        }
        return try open(name, at: components.count - 1, flags: O_NONBLOCK | O_NOCTTY)
    }
}

/// Which file a status describes: its device and inode.
public struct FileIdentity: Equatable, Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    init(_ status: FileStatus) {
        device = status.device
        inode = status.inode
    }
}
