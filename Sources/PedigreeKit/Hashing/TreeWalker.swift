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

    /// Folders with at least this many names are looked at on two threads (see `walk`); tests
    /// lower it to split small folders.
    var namesToSplit = 512
    /// Whether a helper thread may share the walk (tests turn it off for the serial walk).
    var usesHelperThread = true

    public init(
        linkPolicy: LinkPolicy,
        ignore: @escaping @Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool = { _, _ in false }
    ) {
        self.linkPolicy = linkPolicy
        self.ignore = ignore
    }

    /// Walks the folder at `path`; displayed paths start with `displayPrefix`.
    public func walk(path: String, displayPrefix: String) throws(FileError) -> [WalkItem] {
        try walk(path: path, displayPrefix: displayPrefix, collecting: [WalkItem].self)
    }

    /// Walks the folder at `path` into a new collector of the type given, in the walk's order.
    func walk<Collector: WalkCollector>(
        path: String, displayPrefix: String, collecting: Collector.Type
    ) throws(FileError) -> Collector {
        let root = try DirectoryHandle(path: path)
        var state = WalkState(
            rootPath: path, displayPrefix: displayPrefix, collector: Collector(),
            mayUseHelper: usesHelperThread && availableProcessors() > 1)
        if let status = fileStatus(root.fd) { state.visiting.insert([status.device, status.inode]) }
        _ = walk(.folder(WalkFolder(root: root)), directory: root, relative: "", state: &state)
        return state.collector
    }

    /// What a walk carries along: where it started, the folders on the current path (to refuse
    /// cycles), every folder reached through a link (each may be reached once), the results,
    /// and the helper thread that shares large folders and lists folders ahead (see `walk`).
    private struct WalkState<Collector: WalkCollector> {
        let rootPath: String
        let displayPrefix: String
        var collector: Collector
        var visiting: Set<[UInt64]> = []
        var followed: Set<[UInt64]> = []
        /// Whether a helper thread may be made (there are two processors, and it is allowed).
        let mayUseHelper: Bool
        /// Made when first needed, kept to the walk's end.
        var helper: HelperThread?

        /// How a file at `relativePath` is shown: the same string when there is no prefix.
        func display(_ relativePath: String) -> String {
            displayPrefix.isEmpty ? relativePath : joinPath(displayPrefix, relativePath)
        }

        /// The helper thread, made on first use; `nil` when none may be made.
        mutating func helperThread() -> HelperThread? {
            if helper == nil, mayUseHelper { helper = HelperThread() }
            return helper
        }
    }

    /// Where the folder being listed is: beneath the walk's root (a `WalkFolder`, which its
    /// files share), or inside a folder reached through a link, named by its resolved path.
    private enum Place: Sendable {
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

    /// One name of a folder once looked at: a file to hash, an ignored file, or anything else
    /// (a folder, a link, a special file, a failed `fstatat`), which the walk's own thread
    /// takes in order since it may walk further.
    private enum Listed: Sendable {
        case file(relativePath: String, job: HashJob)
        case ignored
        case other(relativePath: String, status: Result<FileStatus, Errno>)

        /// Whether the walk may go on from this name: a folder, or a link; `nil` for anything else.
        var leadsOn: FileKind? {
            guard case .other(_, .success(let status)) = self else { return nil }
            return status.kind == .directory || status.kind == .symlink ? status.kind : nil
        }
    }

    /// The names of one listed folder and what their files share: everything a thread needs to
    /// look at any of them (`listed(_:)`), so the names can be split between two threads.
    private struct FolderNames: Sendable {
        let names: [String]
        let directory: DirectoryHandle
        let place: Place
        /// The folder's path relative to the walk's root (empty at the root).
        let relative: String
        let displayPrefix: String
        let stampContext: FileStamp.ListingContext?
        let ignore: @Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool

        /// Looks at the name at `position`: one `fstatat` (not following a link), and for a
        /// regular file not ignored, its job.
        ///
        /// Per file it makes the file's relative path and nothing else that grows with the path:
        /// its job points to the folder's shared `WalkFolder` and keeps only the leaf name.
        func listed(_ position: Int) -> Listed {
            let name = names[position]
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            let result = fileStatus(at: directory.fd, name)
            guard case .success(let status) = result, status.kind == .regular else {
                return .other(relativePath: relativePath, status: result)
            }
            if ignore(relativePath, false) { return .ignored }
            let display = displayPrefix.isEmpty ? relativePath : joinPath(displayPrefix, relativePath)
            let job = HashJob(
                displayPath: display, source: place.source(name, status: status), sizeHint: status.size,
                listedStamp: stampContext.flatMap { FileStamp(listed: status, in: $0) })
            return .file(relativePath: relativePath, job: job)
        }

        /// How many names a thread claims at a time in a split folder.
        static let namesPerRun = 64

        /// `listed(_:)` of runs of names claimed from `next` (the first position not yet
        /// claimed) until none is left, or only the last `leaving` (for the other thread), each
        /// run with its first position.
        func listed(claiming next: Locked<Int>, leaving: Int = 0) -> [Run] {
            var runs: [Run] = []
            let end = names.count - leaving
            while true {
                let start = next.withLock { position in
                    guard position < end else { return names.count }
                    defer { position = min(names.count, position + Self.namesPerRun) }
                    return position
                }
                guard start < names.count else { return runs }
                runs.append((start, listed(start..<min(names.count, start + Self.namesPerRun))))
            }
        }

        /// `listed(_:)` of every position in `range`, in order.
        func listed(_ range: Range<Int>) -> [Listed] {
            var out: [Listed] = []
            out.reserveCapacity(range.count)
            for position in range { out.append(listed(position)) }
            return out
        }
    }

    /// Names looked at in a row, and the position of the first.
    private typealias Run = (start: Int, listed: [Listed])

    /// The names of a listed folder ready to be looked at, and an error for each name that is not UTF-8.
    private typealias Listing = (names: FolderNames, invalid: [FileError])

    /// The next folder a walk will enter after the one it is entering, named so the helper
    /// thread can open and list it ahead of its turn, and look at its names (`walkAhead`).
    private struct NextFolder: Sendable {
        /// The folder holding it, which the walk is listing.
        let parent: DirectoryHandle
        let name: String
        /// Its position among the names of `parent`.
        let position: Int
        /// Where it is, and its path relative to the walk's root: what the walk gives it on entering it.
        let place: Place
        let relative: String
        let displayPath: String
    }

    /// A folder opened and listed ahead of its turn: the walk uses it when it reaches the folder,
    /// exactly where it would have opened and listed it.
    private struct Prelisted: Sendable {
        let directory: DirectoryHandle
        let listing: Result<Listing, FileError>
        /// The first of its names not yet claimed, when the helper looks at runs of them (a folder
        /// of at least `namesToSplit` names); the walk joins in when it enters the folder.
        let claims: Locked<Int>?
    }

    /// The work on the next folder under way on the helper (`walkAhead`): the folder, published
    /// as soon as it is listed, the runs of its names the helper looked at, and the folder after
    /// it, listed on the way (`Prelisted`), if any.
    private struct AheadWork: Sendable {
        /// The folder's position among the names of the folder holding it.
        let position: Int
        /// Receives the folder once, listed; `nil` when it could not be opened.
        let published = BoundedChannel<Prelisted?>(capacity: 1)
        /// Receives the runs the helper looked at, once it stops looking.
        let runs = BoundedChannel<[Run]>(capacity: 1)
        /// The folder after this one, listed by the helper once it had left the last names of
        /// this one to the walk's thread; read only by the helper's next piece of work.
        let after = Locked<(position: Int, prelisted: Prelisted)?>(nil)
    }

    /// What the walk finds of a folder done ahead when it enters it.
    private struct EarlyFolder {
        let prelisted: Prelisted
        let work: AheadWork
    }

    /// How many names of a folder the helper leaves to the walk's thread when it goes on to list
    /// the folder after it: about what the walk's thread needs to stay busy while the helper lists.
    private static let namesLeftWhileListing = 2 * FolderNames.namesPerRun

    /// Opens `next` (without following a link) and lists it; `nil` when it cannot be opened, which
    /// the walk then meets again in its turn. A folder to be split gets a counter of claimed names.
    private func prelist(_ next: NextFolder, displayPrefix: String) -> Prelisted? {
        guard case .success(let directory) = next.parent.subdirectory(next.name) else { return nil }
        let listing = Result { () throws(FileError) in
            let found = try directory.entries(displayPath: next.displayPath)
            let names = FolderNames(
                names: found.names, directory: directory, place: next.place, relative: next.relative,
                displayPrefix: displayPrefix, stampContext: FileStamp.listingContext(ofDirectory: directory.fd), ignore: ignore)
            return (names: names, invalid: found.invalid)
        }
        let split = (try? listing.get()).map { $0.names.names.count >= namesToSplit } ?? false
        return Prelisted(directory: directory, listing: listing, claims: split ? Locked(0) : nil)
    }

    /// On the helper: publishes `next` listed (by the piece of work before, as its `after`, or
    /// now), and for a folder to be split looks at runs of its names while the walk's own thread
    /// is still taking the names of the folder before it; the walk joins in when it enters it.
    ///
    /// When the walk will enter `after` next (if `next` turns out a leaf), the helper leaves the
    /// last names of `next` to the walk's thread and lists `after` meanwhile, unless its own runs
    /// met a folder or link. The walk gives the helper `after` only once it has seen `next` is a
    /// leaf without links; otherwise the listing is dropped unused.
    ///
    /// Until the walk enters a folder nothing done for it here is seen by anyone, and a folder
    /// the walk does not enter costs only a listing and `fstatat`s.
    private func walkAhead(
        _ next: NextFolder, listed: Locked<(position: Int, prelisted: Prelisted)?>?, after: NextFolder?, displayPrefix: String,
        work: AheadWork
    ) {
        let early = listed?.withLock { $0.take() }.flatMap { $0.position == next.position ? $0.prelisted : nil }
        let prelisted = early ?? prelist(next, displayPrefix: displayPrefix)
        work.published.send(prelisted)
        guard let prelisted, let claims = prelisted.claims, case .success(let listing) = prelisted.listing else {
            work.runs.send([])
            return
        }
        let runs = listing.names.listed(claiming: claims, leaving: after == nil ? 0 : Self.namesLeftWhileListing)
        let leadsOn = runs.contains { $0.listed.contains { $0.leadsOn != nil } }
        work.runs.send(runs)
        guard let after, !leadsOn else { return }
        guard let listed = prelist(after, displayPrefix: displayPrefix) else { return }
        work.after.withLock { $0 = (after.position, listed) }
    }

    /// Lists `directory` (at `place`) whose files are named `relative` + "/" + name relative to
    /// the walk's root (`relative` is empty at the root); `early` is what was done ahead for it
    /// (`walkAhead`): its listing, and runs of its names looked at. `afterAhead` is the folder the
    /// walk enters after `ahead`, for the helper to list on the way.
    ///
    /// A folder of many names is looked at by two threads, each taking runs of names as it is
    /// free (`FolderNames.listed(claiming:)`): a re-sign through the digest cache does little
    /// per file but this (an `fstatat`, the relative path, the ignore check, the job), and the
    /// kernel serves two callers at once on two cores. A few hundred names are not worth the
    /// hand-over. This thread then takes the names in order, walking into folders and links as
    /// it meets them, so the order is the serial walk's.
    ///
    /// A folder with no folder or link in it (a leaf: the walk will not enter anything from it)
    /// has the helper open and list `ahead`, the folder the walk enters after this one, and start
    /// on its names, while this thread takes the names: the helper has nothing else to do then,
    /// and the listing leaves this thread. When the walk enters `ahead` it claims runs with the
    /// helper until none is left, and the helper is never idle while names are left; the helper
    /// leaves the last runs of `ahead` to this thread and lists `afterAhead` meanwhile, which the
    /// walk uses only if `ahead` turns out a leaf too. Only a leaf, and `ahead` only in a folder
    /// without links, so that nothing else is given to the helper until `ahead` is entered: it
    /// has one piece of work at a time.
    ///
    /// - Returns: the work on `ahead` under way on the helper, if it was started.
    private func walk<Collector>(
        _ place: Place, directory: DirectoryHandle, relative: String, early: EarlyFolder? = nil,
        ahead: NextFolder? = nil, afterAhead: NextFolder? = nil, state: inout WalkState<Collector>
    ) -> AheadWork? {
        let displayHere = relative.isEmpty ? state.displayPrefix : state.display(relative)
        let listing: Listing
        do {
            if let early {
                listing = try early.prelisted.listing.get()
            } else {
                let found = try directory.entries(displayPath: displayHere)
                // One `fstat`/`fstatfs` per folder lets every file's listing double as its cache stamp.
                let names = FolderNames(
                    names: found.names, directory: directory, place: place, relative: relative, displayPrefix: state.displayPrefix,
                    stampContext: FileStamp.listingContext(ofDirectory: directory.fd), ignore: ignore)
                listing = (names, found.invalid)
            }
        } catch {
            state.collector.failure(error)
            return nil
        }
        for error in listing.invalid { state.collector.failure(error) }
        let folder = listing.names
        let count = folder.names.count
        var runs: [Run]
        if let early, let claims = early.prelisted.claims {
            // The helper has been looking at runs of names since it listed the folder: join in.
            let mine = folder.listed(claiming: claims)
            runs = (mine + early.work.runs.receive()).sorted { $0.start < $1.start }
        } else if count >= namesToSplit, let helper = state.helperThread() {
            // Runs of names go to whichever thread is free, so neither waits long for the other.
            let next = Locked(0)
            let (theirs, mine) = helper.alongside({ folder.listed(claiming: next) }, { folder.listed(claiming: next) })
            runs = (mine + theirs).sorted { $0.start < $1.start }
        } else {
            runs = [(0, folder.listed(0..<count))]
        }
        // The folders among the names, in order, to name the next one for listing ahead; none is
        // listed ahead in a folder with links, which may walk anywhere in between.
        var folders: [Int] = []
        var hasLinks = false
        for run in runs.indices {
            for index in runs[run].listed.indices {
                switch runs[run].listed[index].leadsOn {
                case .directory?: folders.append(runs[run].start + index)
                case .some: hasLinks = true
                case nil: break
                }
            }
        }
        if hasLinks { folders = [] }
        var aheadWork: AheadWork?
        if !hasLinks, folders.isEmpty, let ahead, let helper = state.helperThread() {
            let work = AheadWork(position: ahead.position)
            let (displayPrefix, listed) = (state.displayPrefix, early?.work.after)
            _ = helper.start { self.walkAhead(ahead, listed: listed, after: afterAhead, displayPrefix: displayPrefix, work: work) }
            aheadWork = work
        }
        var nextFolderIndex = 0
        // The next two folders of this one not ignored, from the one being entered on: the next
        // is listed ahead while this one is walked, and the one after it on the way.
        var upcoming: [NextFolder] = []
        // The work on the next folder of this one, if it is under way.
        var pending: AheadWork?
        for run in runs.indices {
            let start = runs[run].start
            for index in runs[run].listed.indices {
                var entry = Listed.ignored
                swap(&entry, &runs[run].listed[index])
                let position = start + index
                let name = folder.names[position]
                guard case .other(let relativePath, .success(let status)) = entry, status.kind == .directory else {
                    take(entry, name: name, directory: directory, state: &state)
                    continue
                }
                if ignore(relativePath, true) { continue }
                let early = pending.flatMap { work in
                    work.position == position ? work.published.receive().map { EarlyFolder(prelisted: $0, work: work) } : nil
                }
                pending = nil
                switch early.map({ Result<DirectoryHandle, Errno>.success($0.prelisted.directory) }) ?? directory.subdirectory(name) {
                case .success(let sub):
                    upcoming.removeAll { $0.position <= position }
                    while upcoming.count < 2, nextFolderIndex < folders.count {
                        let candidate = folders[nextFolderIndex]
                        nextFolderIndex += 1
                        guard candidate > position else { continue }
                        let path = joinPath(relative, folder.names[candidate])
                        if !ignore(path, true) {
                            upcoming.append(NextFolder(
                                parent: directory, name: folder.names[candidate], position: candidate,
                                place: place.appending(folder.names[candidate]), relative: path, displayPath: state.display(path)))
                        }
                    }
                    state.visiting.insert([status.device, status.inode])
                    pending = walk(
                        place.appending(name), directory: sub, relative: relativePath, early: early, ahead: upcoming.first,
                        afterAhead: upcoming.dropFirst().first, state: &state)
                    state.visiting.remove([status.device, status.inode])
                case .failure(let failure):
                    state.collector.failure(FileError(path: state.display(relativePath), reason: .system(failure.code)))
                }
            }
        }
        return aheadWork
    }

    /// Takes one looked-at name of `directory` that is not a folder: a file's job goes to the
    /// results, a link is followed (or refused), anything else is reported.
    private func take<Collector>(
        _ entry: consuming Listed, name: String, directory: DirectoryHandle, state: inout WalkState<Collector>
    ) {
        let relativePath: String
        let status: FileStatus
        switch consume entry {
        case let .file(path, job):
            state.collector.file(path, job)
            return
        case .ignored:
            return
        case let .other(path, .failure(failure)):
            state.collector.failure(FileError(path: state.display(path), reason: .system(failure.code)))
            return
        case let .other(path, .success(found)):
            relativePath = path
            status = found
        }
        switch status.kind {
        case .symlink:
            followLink(name: name, in: directory, relativePath: relativePath, display: state.display(relativePath), state: &state)
        default:
            // Regular files were taken by `FolderNames.listed(_:)`, folders by `walk`: these are
            // FIFOs, sockets, devices.
            if ignore(relativePath, false) { return }
            state.collector.failure(FileError(path: state.display(relativePath), reason: status.kind.refusalOfNonRegular))
        }
    }

    private func followLink<Collector>(
        name: String, in directory: DirectoryHandle, relativePath: String, display: String, state: inout WalkState<Collector>
    ) {
        let target = readLink(at: directory.fd, name) ?? "?"
        if linkPolicy == .refuse {
            if !ignore(relativePath, false) {
                state.collector.failure(FileError(path: display, reason: .symbolicLink))
            }
            return
        }
        guard let resolved = realPath(joinPath(state.rootPath, relativePath)) else {
            state.collector.failure(FileError(path: display, reason: .danglingLink(target: target)))
            return
        }
        if case let .followWithin(allowed) = linkPolicy, !allowed.contains(where: { isWithin(resolved, $0) }) {
            state.collector.failure(FileError(path: display, reason: .linkEscapes(target: target)))
            return
        }
        let status: FileStatus
        switch fileStatus(atPath: resolved, follow: false) {
        case .success(let st): status = st
        case .failure(let failure):
            state.collector.failure(FileError(path: display, reason: .system(failure.code)))
            return
        }
        switch status.kind {
        case .regular:
            if ignore(relativePath, false) { return }
            let job = HashJob(
                displayPath: display, source: .resolved(resolved, identity: FileIdentity(status)), sizeHint: status.size)
            state.collector.file(relativePath, job)
        case .directory:
            if ignore(relativePath, true) { return }
            let key = [status.device, status.inode]
            guard !state.visiting.contains(key) else {
                state.collector.failure(FileError(path: display, reason: .linkCycle))
                return
            }
            // A folder reached through a second link would be walked again, and again for every
            // path to it: the walk could grow exponentially. Each folder is included once.
            guard state.followed.insert(key).inserted else {
                state.collector.failure(FileError(path: display, reason: .linkToFollowedFolder))
                return
            }
            let sub: DirectoryHandle
            do {
                sub = try DirectoryHandle(path: resolved, follow: false)
            } catch {
                state.collector.failure(FileError(path: display, reason: error.reason))
                return
            }
            guard let opened = fileStatus(sub.fd), [opened.device, opened.inode] == key else {
                state.collector.failure(FileError(path: display, reason: .changedWhileReading("replaced while it was listed")))
                return
            }
            state.visiting.insert(key)
            _ = walk(.resolved(resolved, components: []), directory: sub, relative: relativePath, state: &state)
            state.visiting.remove(key)
        default:
            if ignore(relativePath, false) { return }
            state.collector.failure(FileError(path: display, reason: status.kind.refusalOfNonRegular))
        }
    }
}

/// Where a walk puts what it finds, in the walk's order.
protocol WalkCollector {
    /// An empty collector.
    init()
    /// A regular file to hash, named by its path relative to the walk's root.
    mutating func file(_ relativePath: consuming String, _ job: consuming HashJob)
    /// Something that could not be walked or will not be hashed.
    mutating func failure(_ error: FileError)
}

extension Array: WalkCollector where Element == WalkItem {
    mutating func file(_ relativePath: consuming String, _ job: consuming HashJob) {
        append(.file(relativePath: relativePath, job: job))
    }

    mutating func failure(_ error: FileError) { append(.failure(error)) }
}
