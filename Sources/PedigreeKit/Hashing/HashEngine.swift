import Synchronization

/// One file to hash: how to name it, how to open it, and its expected size for scheduling.
public struct HashJob: Sendable {
    public var displayPath: String
    public var source: FileSource
    /// The size seen when the file was listed; larger files start first.
    public var sizeHint: Int64
    /// The file's stamp as the walk listed it, if its file system keeps a true change time: the
    /// engine asks its memo with it before opening the file, so a remembered file is not opened.
    ///
    /// Asking with a listing's stamp is as safe as asking with an open descriptor's. The stamp
    /// comes from `fstatat` on the folder's descriptor without following a link, so it names the
    /// file the walk found beneath the root — the file the descriptor would have opened. A memo
    /// answers only for a stamp it recorded from a descriptor that kept that stamp through a
    /// whole read, and every change to the inode since moves its change time (see `FileStamp`),
    /// so the answer is the content the file had when it was listed. A file replaced or edited
    /// after the listing is a change after the digest was taken — as it would be after a read.
    public var listedStamp: FileStamp?

    public init(displayPath: String, source: FileSource, sizeHint: Int64, listedStamp: FileStamp? = nil) {
        self.displayPath = displayPath
        self.source = source
        self.sizeHint = sizeHint
        self.listedStamp = listedStamp
    }
}

/// Hashes many files in parallel with memory bounded by `jobs × bufferSize`.
///
/// Files are started largest first so the threads finish together; results are delivered
/// in the order of the input, never in the order of completion.
public struct HashEngine: Sendable {
    /// Files smaller than this are hashed after the larger ones, in the order given and in
    /// batches; larger ones are started largest first.
    static let smallFileBytes: Int64 = 1 << 20
    /// Small files a thread takes at once: fewer trips to the shared counter and result lock.
    static let smallFileBatch = 32

    /// The read size: large enough that system calls cost little, small enough to stay in cache.
    public static let defaultBufferSize = 1 << 20

    /// How many files are hashed at once.
    public var jobs: Int
    /// Bytes read per `read(2)`; one buffer per job.
    public var bufferSize: Int
    /// Whether each thread reads ahead on a second thread; `nil` decides by the number of
    /// processors left over.
    public var readAhead: Bool?
    /// Called on the hashing thread after every chunk of every file (tests only).
    var afterChunk: (@Sendable (String, Int64) -> Void)?
    /// Digests remembered from earlier runs, asked before each file is read and told after;
    /// `nil` reads every file.
    public var memo: (any DigestMemo)?
    /// Makes an observer for each file that needs a second digest stream from the same read
    /// (tensor digests); `nil` hashes every file plainly.
    public var observers: (any ChunkObserverFactory)?

    /// An engine using `jobs` threads (all processors when `nil`).
    public init(jobs: Int? = nil, bufferSize: Int = HashEngine.defaultBufferSize, readAhead: Bool? = nil) {
        self.jobs = max(1, jobs ?? availableProcessors())
        self.bufferSize = bufferSize
        self.readAhead = readAhead
    }

    /// Hashes every job.
    ///
    /// - Parameters:
    ///   - progress: told the listed sizes of all the files first, then counts bytes as they
    ///     are hashed.
    ///   - emit: receives each result in input order as soon as all earlier ones are known;
    ///     calls are serialized.
    /// - Returns: one result per job, in input order.
    @discardableResult
    public func hash(
        _ files: [HashJob],
        progress: ByteCounter? = nil,
        emit: (@Sendable (Int, Result<FileDigest, FileError>) -> Void)? = nil
    ) -> [Result<FileDigest, FileError>] {
        hash(files, progress: progress, emit: emit, recalled: nil)
    }

    /// Whether `hash` asks its memo once for every file with the walk's stamps (see
    /// `HashJob.listedStamp`) before it opens any: with a memo and no observers. With observers,
    /// which file they want is known only once it is open, and a file they observe must be read:
    /// the memo is then asked by the hasher alone.
    var asksAsListed: Bool { memo != nil && observers == nil }

    /// The memo's answers for `stamps`, the listed stamps of the files `hash` will be given, in
    /// their order, asked as `hash` would ask them; `nil` when it would not (`asksAsListed`).
    ///
    /// For a caller with something else to do meanwhile: `hash(_:progress:emit:recalled:)` then
    /// takes the answers and does not ask again.
    func recallAsListed(_ stamps: [FileStamp?]) -> [FileDigest?]? {
        guard asksAsListed, let memo else { return nil }
        return memo.recall(stamps)
    }

    /// `hash(_:progress:emit:)`, with the memo's answers for the files' listed stamps already
    /// known when `recalled` is given (`recallAsListed` of `files`' stamps): the memo is not
    /// asked for them again.
    func hash(
        _ files: [HashJob],
        progress: ByteCounter?,
        emit: (@Sendable (Int, Result<FileDigest, FileError>) -> Void)? = nil,
        recalled: [FileDigest?]?
    ) -> [Result<FileDigest, FileError>] {
        progress?.expect(files.reduce(0) { $0 + max(0, $1.sizeHint) })
        // Without observers the memo is asked once for every file with the walk's stamps, and a
        // remembered file is never opened (see `asksAsListed`).
        let askAsListed = asksAsListed
        precondition(recalled == nil || (askAsListed && recalled?.count == files.count), "answers recalled for other files")
        let state: Locked<EmitState>
        // The files still to read, in the order given.
        var pending: [Int] = []
        if let memo, askAsListed {
            let known = recalled ?? memo.recall(files.map(\.listedStamp))
            // The results start as the memo's answers, made in one pass.
            var results: [Result<FileDigest, FileError>?] = []
            results.reserveCapacity(files.count)
            var reused: Int64 = 0
            for (index, digest) in known.enumerated() {
                if let digest {
                    reused += digest.size
                    results.append(.success(digest))
                } else {
                    results.append(nil)
                    pending.append(index)
                }
            }
            progress?.add(reused)
            state = Locked(EmitState(results: results))
            state.withLock { $0.emitReady(emit) }
        } else {
            state = Locked(EmitState(count: files.count))
            pending = Array(files.indices)
        }
        // Large files first, largest first, so the threads finish together; then the small ones
        // in the order given — a walk's order, folder by folder — so that consecutive files share
        // a folder the thread has open, taken `smallFileBatch` at a time.
        let large = pending.filter { files[$0].sizeHint >= Self.smallFileBytes }.sorted { files[$0].sizeHint > files[$1].sizeHint }
        let order = large + pending.filter { files[$0].sizeHint < Self.smallFileBytes }
        let largeCount = large.count
        let next = Atomic<Int>(0)
        let threads = min(jobs, order.count)
        let bufferSize = self.bufferSize
        let afterChunk = self.afterChunk
        let memo = self.memo
        let observers = self.observers
        // With a core to spare per thread, each thread reads ahead on a second one.
        let pipelined = readAhead ?? (threads * 2 <= availableProcessors())
        if threads > 0 {
            runOnThreads(threads) { _ in
                let hasher = FileHasher(bufferSize: bufferSize, pipelined: pipelined)
                hasher.memo = memo
                hasher.observers = observers
                var folders = OpenFolder()
                var done: [(Int, Result<FileDigest, FileError>)] = []
                while true {
                    let step = next.load(ordering: .relaxed) < largeCount ? 1 : Self.smallFileBatch
                    let first = next.wrappingAdd(step, ordering: .relaxed).oldValue
                    guard first < order.count else { break }
                    done.removeAll(keepingCapacity: true)
                    for slot in first..<min(first + step, order.count) {
                        let index = order[slot]
                        let job = files[index]
                        if let afterChunk {
                            hasher.afterChunk = { afterChunk(job.displayPath, $0) }
                        }
                        let result: Result<FileDigest, FileError>
                        do throws(FileError) {
                            result = .success(try hasher.hash(
                                folders.source(job.source), displayPath: job.displayPath, progress: progress,
                                alreadyAsked: askAsListed ? job.listedStamp : nil))
                        } catch {
                            result = .failure(error)
                        }
                        done.append((index, result))
                    }
                    state.withLock { state in
                        for (index, result) in done { state.results[index] = result }
                        state.emitReady(emit)
                    }
                }
            }
        }
        // Every job's result was stored before its thread finished, and all have finished: the
        // results are taken out (not copied) and unwrapped.
        let results = state.withLock { state in
            var taken: [Result<FileDigest, FileError>?] = []
            swap(&taken, &state.results)
            return taken
        }
        return results.indices.map { index in
            results[index] ?? .failure(FileError(path: files[index].displayPath, reason: .changedWhileReading("not hashed")))
        }
    }
}

/// The folder a hashing thread has open, so that files of one folder are opened with one
/// `openat` each (see `WalkFolder` for why that cannot lead out of the walk's root).
private struct OpenFolder {
    private var folder: WalkFolder?
    private var handle: DirectoryHandle?

    /// `source`, opened through the folder already open when it is a walk's file.
    mutating func source(_ source: FileSource) -> FileSource {
        guard case let .inFolder(wanted, name) = source else { return source }
        if let folder, folder === wanted, let handle { return .child(handle, name: name) }
        folder = wanted
        handle = wanted.open()
        // A folder that cannot be opened now: the long way names the component that failed.
        guard let handle else { return source }
        return .child(handle, name: name)
    }
}

private struct EmitState: Sendable {
    var results: [Result<FileDigest, FileError>?]
    var nextToEmit = 0

    init(count: Int) { results = Array(repeating: nil, count: count) }

    /// A state whose results start as `results` (`nil` for those still to come).
    init(results: [Result<FileDigest, FileError>?]) { self.results = results }

    /// Emits, in order, every result whose predecessors have all been emitted.
    mutating func emitReady(_ emit: (@Sendable (Int, Result<FileDigest, FileError>) -> Void)?) {
        guard let emit else { return }
        while nextToEmit < results.count, let ready = results[nextToEmit] {
            emit(nextToEmit, ready)
            nextToEmit += 1
        }
    }
}
