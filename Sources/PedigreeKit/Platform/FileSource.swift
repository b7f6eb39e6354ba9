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
    /// The file `name` of a folder a walk found beneath its root: the compact form of
    /// `.beneath(root, components: folder.components + [name])`, which a walk gives every file
    /// so that a folder's path is kept once, not once per file.
    case inFolder(WalkFolder, name: String)
    /// The file `name` of an open folder, opened without following a link. The hashing engine
    /// turns `.inFolder` into this with a descriptor it opened through `WalkFolder.open()` and
    /// keeps for the folder's next files: one `openat` per file instead of one per component.
    case child(DirectoryHandle, name: String)
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
        case let .inFolder(folder, name):
            fd = try Self.openBeneath(folder.root, folder.components + [name], displayPath: displayPath)
        case let .child(folder, name):
            fd = openat(folder.fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW)
            if fd < 0 {
                let code = errno
                if code == ELOOP, case .success(let st) = fileStatus(at: folder.fd, name), st.kind == .symlink {
                    throw FileError(path: displayPath, reason: .symbolicLink)
                }
                throw FileError(path: displayPath, reason: .system(code))
            }
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

/// A folder found by a walk beneath its root: its parent and its name, so that every file of it
/// shares one description of where it is.
///
/// Why a descriptor from `open()` cannot lead out of the root: it is reached from the root's
/// descriptor one component at a time, each opened with `O_NOFOLLOW | O_DIRECTORY`, so no
/// component can be a symbolic link, and `..` never occurs (names come from listings, which
/// leave `.` and `..` out). A file opened from it with `openat(fd, name, O_NOFOLLOW)` is then an
/// entry of a folder that was beneath the root when it was opened. A folder moved elsewhere
/// while the run goes on is a change during the run, as a file replaced after it was listed is.
public final class WalkFolder: Sendable {
    /// The walk's root.
    let root: DirectoryHandle
    /// The folder holding this one; `nil` for the root itself.
    let parent: WalkFolder?
    /// This folder's name in its parent (empty for the root).
    let name: String
    /// How many components lie between the root and this folder.
    let depth: Int

    /// The root of a walk.
    init(root: DirectoryHandle) {
        self.root = root
        parent = nil
        name = ""
        depth = 0
    }

    /// The folder `name` of `parent`.
    init(_ name: String, in parent: WalkFolder) {
        root = parent.root
        self.parent = parent
        self.name = name
        depth = parent.depth + 1
    }

    /// The names leading from the root to this folder.
    var components: [String] {
        var names = [String](repeating: "", count: depth)
        var folder = self
        while let parent = folder.parent {
            names[folder.depth - 1] = folder.name
            folder = parent
        }
        return names
    }

    /// Opens this folder beneath the root, one component at a time, never following a link;
    /// `nil` when any component cannot be opened so (the caller then opens the file the long way,
    /// which names the component that failed).
    func open() -> DirectoryHandle? {
        guard let parent else { return root }
        guard let above = parent.open() else { return nil }
        guard case .success(let handle) = above.subdirectory(name) else { return nil }
        return handle
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
