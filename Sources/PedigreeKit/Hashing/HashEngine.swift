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
        progress?.expect(files.reduce(0) { $0 + max(0, $1.sizeHint) })
        let order = files.indices.sorted { files[$0].sizeHint > files[$1].sizeHint }
        let state = Locked(EmitState(count: files.count))
        let next = Atomic<Int>(0)
        let threads = min(jobs, files.count)
        let bufferSize = self.bufferSize
        let afterChunk = self.afterChunk
        let memo = self.memo
        let observers = self.observers
        // With a core to spare per thread, each thread reads ahead on a second one.
        let pipelined = readAhead ?? (threads * 2 <= availableProcessors())
        runOnThreads(threads) { _ in
            let hasher = FileHasher(bufferSize: bufferSize, pipelined: pipelined)
            hasher.memo = memo
            hasher.observers = observers
            while true {
                let slot = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard slot < order.count else { break }
                let index = order[slot]
                let job = files[index]
                if let afterChunk {
                    hasher.afterChunk = { afterChunk(job.displayPath, $0) }
                }
                let result: Result<FileDigest, FileError>
                // With observers, which file they want is known only once it is open, and a
                // file they observe must be read: the memo is then asked by the hasher alone.
                let askedAsListed = observers == nil ? job.listedStamp : nil
                if let memo, let stamp = askedAsListed, let known = memo.recall(stamp) {
                    // Remembered as listed: nothing to open (see `HashJob.listedStamp`).
                    progress?.add(known.size)
                    result = .success(known)
                } else {
                    do throws(FileError) {
                        result = .success(try hasher.hash(
                            job.source, displayPath: job.displayPath, progress: progress, alreadyAsked: askedAsListed))
                    } catch {
                        result = .failure(error)
                    }
                }
                state.withLock { state in
                    state.results[index] = result
                    guard let emit else { return }
                    while state.nextToEmit < state.results.count, let ready = state.results[state.nextToEmit] {
                        emit(state.nextToEmit, ready)
                        state.nextToEmit += 1
                    }
                }
            }
        }
        // Every job's result was stored before its thread finished, and all have finished.
        return state.withLock { state in
            state.results.enumerated().map { index, result in
                result ?? .failure(FileError(path: files[index].displayPath, reason: .changedWhileReading("not hashed")))
            }
        }
    }
}

private struct EmitState: Sendable {
    var results: [Result<FileDigest, FileError>?]
    var nextToEmit = 0

    init(count: Int) { results = Array(repeating: nil, count: count) }
}
