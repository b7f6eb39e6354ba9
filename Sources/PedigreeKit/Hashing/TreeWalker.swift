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
/// Regular files become hash jobs naming their folder (`WalkFolder`, opened one component at a
/// time beneath the root without following links) and their leaf name; FIFOs, sockets and devices are reported, never opened.
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
        var state = WalkState(rootPath: path, displayPrefix: displayPrefix)
        if let status = fileStatus(root.fd) { state.visiting.insert([status.device, status.inode]) }
        walk(.folder(WalkFolder(root: root)), directory: root, relative: "", state: &state)
        return state.items
    }

    /// What a walk carries along: where it started, the folders on the current path (to refuse
    /// cycles), every folder reached through a link (each may be reached once), and the results.
    private struct WalkState {
        let rootPath: String
        let displayPrefix: String
        var visiting: Set<[UInt64]> = []
        var followed: Set<[UInt64]> = []
        var items: [WalkItem] = []

        /// How a file at `relativePath` is shown: the same string when there is no prefix.
        func display(_ relativePath: String) -> String {
            displayPrefix.isEmpty ? relativePath : joinPath(displayPrefix, relativePath)
        }
    }

    /// Where the folder being listed is: beneath the walk's root (a `WalkFolder`, which its
    /// files share), or inside a folder reached through a link, named by its resolved path.
    private enum Place {
        case folder(WalkFolder)
        /// The resolved real path of a folder reached through a link, and the names below it.
        case resolved(String, components: [String])

        func appending(_ name: String) -> Place {
            switch self {
            case .folder(let folder): return .folder(WalkFolder(name, in: folder))
            case let .resolved(path, components): return .resolved(path, components: components + [name])
            }
        }

        /// How to open the file `name` of this folder, whose status is `status`.
        func source(_ name: String, status: FileStatus) -> FileSource {
            switch self {
            case .folder(let folder):
                return .inFolder(folder, name: name)
            case let .resolved(path, components):
                return .resolved(([path] + components + [name]).joined(separator: "/"), identity: FileIdentity(status))
            }
        }
    }

    /// Lists `directory` (at `place`) whose files are named `relative` + "/" + name relative to
    /// the walk's root (`relative` is empty at the root).
    ///
    /// Per file it makes the file's relative path and nothing else that grows with the path: its
    /// job points to the folder's shared `WalkFolder` and keeps only the leaf name.
    private func walk(_ place: Place, directory: DirectoryHandle, relative: String, state: inout WalkState) {
        let displayHere = relative.isEmpty ? state.displayPrefix : state.display(relative)
        let listing: (names: [String], invalid: [FileError])
        do {
            listing = try directory.entries(displayPath: displayHere)
        } catch {
            state.items.append(.failure(error))
            return
        }
        state.items.append(contentsOf: listing.invalid.map(WalkItem.failure))
        // One `fstat`/`fstatfs` per folder lets every file's listing double as its cache stamp.
        let stampContext = FileStamp.listingContext(ofDirectory: directory.fd)
        let statuses = fileStatuses(at: directory.fd, listing.names)
        for (position, name) in listing.names.enumerated() {
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            let status: FileStatus
            switch statuses[position] {
            case .success(let st): status = st
            case .failure(let failure):
                state.items.append(.failure(FileError(path: state.display(relativePath), reason: .system(failure.code))))
                continue
            }
            switch status.kind {
            case .regular:
                if ignore(relativePath, false) { continue }
                let job = HashJob(
                    displayPath: state.display(relativePath), source: place.source(name, status: status), sizeHint: status.size,
                    listedStamp: stampContext.flatMap { FileStamp(listed: status, in: $0) })
                state.items.append(.file(relativePath: relativePath, job: job))
            case .directory:
                if ignore(relativePath, true) { continue }
                switch directory.subdirectory(name) {
                case .success(let sub):
                    state.visiting.insert([status.device, status.inode])
                    walk(place.appending(name), directory: sub, relative: relativePath, state: &state)
                    state.visiting.remove([status.device, status.inode])
                case .failure(let failure):
                    state.items.append(.failure(FileError(path: state.display(relativePath), reason: .system(failure.code))))
                }
            case .symlink:
                followLink(name: name, in: directory, relativePath: relativePath, display: state.display(relativePath), state: &state)
            default:
                if ignore(relativePath, false) { continue }
                state.items.append(.failure(FileError(path: state.display(relativePath), reason: status.kind.refusalOfNonRegular)))
            }
        }
    }

    private func followLink(
        name: String, in directory: DirectoryHandle, relativePath: String, display: String, state: inout WalkState
    ) {
        let target = readLink(at: directory.fd, name) ?? "?"
        if linkPolicy == .refuse {
            if !ignore(relativePath, false) {
                state.items.append(.failure(FileError(path: display, reason: .symbolicLink)))
            }
            return
        }
        guard let resolved = realPath(joinPath(state.rootPath, relativePath)) else {
            state.items.append(.failure(FileError(path: display, reason: .danglingLink(target: target))))
            return
        }
        if case let .followWithin(allowed) = linkPolicy, !allowed.contains(where: { isWithin(resolved, $0) }) {
            state.items.append(.failure(FileError(path: display, reason: .linkEscapes(target: target))))
            return
        }
        let status: FileStatus
        switch fileStatus(atPath: resolved, follow: false) {
        case .success(let st): status = st
        case .failure(let failure):
            state.items.append(.failure(FileError(path: display, reason: .system(failure.code))))
            return
        }
        switch status.kind {
        case .regular:
            if ignore(relativePath, false) { return }
            let job = HashJob(
                displayPath: display, source: .resolved(resolved, identity: FileIdentity(status)), sizeHint: status.size)
            state.items.append(.file(relativePath: relativePath, job: job))
        case .directory:
            if ignore(relativePath, true) { return }
            let key = [status.device, status.inode]
            guard !state.visiting.contains(key) else {
                state.items.append(.failure(FileError(path: display, reason: .linkCycle)))
                return
            }
            // A folder reached through a second link would be walked again, and again for every
            // path to it: the walk could grow exponentially. Each folder is included once.
            guard state.followed.insert(key).inserted else {
                state.items.append(.failure(FileError(path: display, reason: .linkToFollowedFolder)))
                return
            }
            let sub: DirectoryHandle
            do {
                sub = try DirectoryHandle(path: resolved, follow: false)
            } catch {
                state.items.append(.failure(FileError(path: display, reason: error.reason)))
                return
            }
            guard let opened = fileStatus(sub.fd), [opened.device, opened.inode] == key else {
                state.items.append(.failure(FileError(path: display, reason: .changedWhileReading("replaced while it was listed"))))
                return
            }
            state.visiting.insert(key)
            walk(.resolved(resolved, components: []), directory: sub, relative: relativePath, state: &state)
            state.visiting.remove(key)
        default:
            if ignore(relativePath, false) { return }
            state.items.append(.failure(FileError(path: display, reason: status.kind.refusalOfNonRegular)))
        }
    }
}
