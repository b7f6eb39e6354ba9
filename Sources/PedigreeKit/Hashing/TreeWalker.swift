#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One regular file found by a walk, or the reason a path was not taken.
public enum WalkItem: Sendable {
    /// A file to hash; `relativePath` is a POSIX path relative to the walk's root.
    case file(relativePath: String, job: HashJob)
    /// Something that could not be walked or will not be hashed.
    case failure(FileError)
}

/// What a walk does on meeting a symbolic link.
public enum LinkPolicy: Sendable, Equatable {
    /// Report the link as an error; never follow it.
    case refuse
    /// Follow every link (cycles are still refused).
    case follow
    /// Follow a link only if its resolved target lies under one of these real paths;
    /// any other link is an error naming its target.
    case followWithin([String])
}

/// Walks a directory tree in a stable order: entries sorted by the bytes of their names,
/// depth first, so `a/b` sorts with its folder `a`.
///
/// Regular files become hash jobs that open their file one component at a time beneath the
/// root without following links; FIFOs, sockets and devices are reported, never opened.
public struct TreeWalker: Sendable {
    public var linkPolicy: LinkPolicy
    /// Paths (relative, POSIX) to leave out; `isDirectory` says whether the path is a folder.
    public var ignore: @Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool

    public init(
        linkPolicy: LinkPolicy,
        ignore: @escaping @Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool = { _, _ in false }
    ) {
        self.linkPolicy = linkPolicy
        self.ignore = ignore
    }

    /// Walks the folder at `path`; displayed paths start with `displayPrefix`.
    public func walk(path: String, displayPrefix: String) throws(FileError) -> [WalkItem] {
        let root = try DirectoryHandle(path: path)
        var items: [WalkItem] = []
        var visiting: Set<[UInt64]> = []
        if let status = fileStatus(root.fd) { visiting.insert([status.device, status.inode]) }
        walk(
            root: root, components: [], directory: root, relative: [], rootPath: path,
            displayPrefix: displayPrefix, visiting: &visiting, into: &items)
        return items
    }

    /// Lists `directory` (which is `root` + `components`) whose files are named
    /// `relative` + name relative to the walk's root.
    private func walk(
        root: DirectoryHandle, components: [String], directory: DirectoryHandle, relative: [String],
        rootPath: String, displayPrefix: String, visiting: inout Set<[UInt64]>, into items: inout [WalkItem]
    ) {
        let here = relative.joined(separator: "/")
        let displayHere = here.isEmpty ? displayPrefix : joinPath(displayPrefix, here)
        let listing: (names: [String], invalid: [FileError])
        do {
            listing = try directory.entries(displayPath: displayHere)
        } catch {
            items.append(.failure(error))
            return
        }
        items.append(contentsOf: listing.invalid.map(WalkItem.failure))
        for name in listing.names {
            let childRelative = relative + [name]
            let relativePath = childRelative.joined(separator: "/")
            let display = joinPath(displayPrefix, relativePath)
            let status: FileStatus
            switch fileStatus(at: directory.fd, name) {
            case .success(let st): status = st
            case .failure(let failure):
                items.append(.failure(FileError(path: display, reason: .system(failure.code))))
                continue
            }
            switch status.kind {
            case .regular:
                if ignore(relativePath, false) { continue }
                let job = HashJob(
                    displayPath: display, source: .beneath(root, components: components + [name]),
                    sizeHint: status.size)
                items.append(.file(relativePath: relativePath, job: job))
            case .directory:
                if ignore(relativePath, true) { continue }
                switch directory.subdirectory(name) {
                case .success(let sub):
                    visiting.insert([status.device, status.inode])
                    walk(
                        root: root, components: components + [name], directory: sub, relative: childRelative,
                        rootPath: rootPath, displayPrefix: displayPrefix, visiting: &visiting, into: &items)
                    visiting.remove([status.device, status.inode])
                case .failure(let failure):
                    items.append(.failure(FileError(path: display, reason: .system(failure.code))))
                }
            case .symlink:
                followLink(
                    name: name, in: directory, relative: childRelative, display: display,
                    rootPath: rootPath, displayPrefix: displayPrefix, visiting: &visiting, into: &items)
            default:
                if ignore(relativePath, false) { continue }
                items.append(.failure(FileError(path: display, reason: status.kind.refusal!)))
            }
        }
    }

    private func followLink(
        name: String, in directory: DirectoryHandle, relative: [String], display: String,
        rootPath: String, displayPrefix: String, visiting: inout Set<[UInt64]>, into items: inout [WalkItem]
    ) {
        let relativePath = relative.joined(separator: "/")
        let target = readLink(at: directory.fd, name) ?? "?"
        if linkPolicy == .refuse {
            if !ignore(relativePath, false) {
                items.append(.failure(FileError(path: display, reason: .symbolicLink)))
            }
            return
        }
        guard let resolved = realPath(joinPath(rootPath, relativePath)) else {
            items.append(.failure(FileError(path: display, reason: .danglingLink(target: target))))
            return
        }
        if case let .followWithin(allowed) = linkPolicy,
            !allowed.contains(where: { resolved == $0 || resolved.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") })
        {
            items.append(.failure(FileError(path: display, reason: .linkEscapes(target: target))))
            return
        }
        let status: FileStatus
        switch fileStatus(at: AT_FDCWD, resolved, follow: false) {
        case .success(let st): status = st
        case .failure(let failure):
            items.append(.failure(FileError(path: display, reason: .system(failure.code))))
            return
        }
        switch status.kind {
        case .regular:
            if ignore(relativePath, false) { return }
            let job = HashJob(displayPath: display, source: .path(resolved, followLinks: false), sizeHint: status.size)
            items.append(.file(relativePath: relativePath, job: job))
        case .directory:
            if ignore(relativePath, true) { return }
            let key = [status.device, status.inode]
            guard !visiting.contains(key) else {
                items.append(.failure(FileError(path: display, reason: .linkCycle)))
                return
            }
            let sub: DirectoryHandle
            do {
                sub = try DirectoryHandle(path: resolved, follow: false)
            } catch {
                items.append(.failure(FileError(path: display, reason: error.reason)))
                return
            }
            visiting.insert(key)
            walk(
                root: sub, components: [], directory: sub, relative: relative, rootPath: rootPath,
                displayPrefix: displayPrefix, visiting: &visiting, into: &items)
            visiting.remove(key)
        default:
            if ignore(relativePath, false) { return }
            items.append(.failure(FileError(path: display, reason: status.kind.refusal!)))
        }
    }
}

/// The target text of the symbolic link `name` in `dirfd`.
func readLink(at dirfd: Int32, _ name: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlinkat(dirfd, name, &buffer, buffer.count - 1)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The canonical absolute path with every link resolved, or `nil` if it does not exist.
public func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
