import PedigreeCrypto

/// How a child tensor relates to the parent tensor it was matched with.
public enum TensorChangeKind: String, Codable, Sendable, CaseIterable {
    /// Same name, same bytes.
    case identical
    /// Same bytes (and dtype and shape) under another name, or in another file or container.
    case renamed
    /// Matched by name; the dtype differs (a cast or a quantization, as the values tell).
    case dtypeChanged = "dtype-changed"
    /// Matched by name; the shape differs.
    case shapeChanged = "shape-changed"
    /// Matched by name; same dtype and shape, other bytes.
    case changed
    /// In the child only.
    case added
    /// In the parent only.
    case removed
}

/// What paired a child tensor with a parent tensor.
public enum TensorMatchBasis: String, Codable, Sendable {
    /// The SHA-256 of the bytes (and the dtype and shape) are the same.
    case digest
    /// The names are the same.
    case name
    /// The names are the same after mapping Hugging Face llama names to GGUF names.
    case mappedName = "mapped-name"
}

/// One line of a tensor comparison: a child tensor and the parent tensor it matched, an added
/// child tensor (no parent), or a removed parent tensor (no child).
public struct TensorMatch: Equatable, Sendable {
    public let kind: TensorChangeKind
    public let parent: TensorRecord?
    public let child: TensorRecord?
    public let basis: TensorMatchBasis?
    /// How the child's elements map onto the parent's for the value comparison.
    public let layout: TensorLayout
    /// The value comparison, for `dtypeChanged` and `changed` tensors when both sides' files were
    /// read; identical bytes need none.
    public let values: ValueComparison?

    public init(
        kind: TensorChangeKind, parent: TensorRecord?, child: TensorRecord?, basis: TensorMatchBasis?, layout: TensorLayout = .same,
        values: ValueComparison? = nil
    ) {
        self.kind = kind
        self.parent = parent
        self.child = child
        self.basis = basis
        self.layout = layout
        self.values = values
    }
}

/// Options of a tensor comparison.
public struct TensorComparisonOptions: Sendable {
    /// Bytes read from each tensor at a time in the value comparison: the memory bound, whatever
    /// the tensors' sizes (at least one quantization block is read at a time).
    public var chunkBytes: Int = 1 << 20
    /// Whether to read values when both inventories have their files.
    public var compareValues = true
    /// Told the bytes of both sides of every pair whose values are read, then counts them as
    /// they are read.
    public var progress: ByteCounter?

    public init(chunkBytes: Int = 1 << 20, compareValues: Bool = true, progress: ByteCounter? = nil) {
        self.chunkBytes = chunkBytes
        self.compareValues = compareValues
        self.progress = progress
    }
}

/// A child model's tensors set against its parent's.
public struct TensorComparison: Equatable, Sendable {
    /// The child's tensors in inventory order, each matched or added, then the parent's tensors
    /// no child tensor matched, as removed.
    public let matches: [TensorMatch]
    public let parentTensorCount: Int
    public let childTensorCount: Int
    /// Whether the values of changed tensors were read (both sides had their files).
    public let valuesCompared: Bool
    /// The metrics summed over every tensor whose values were compared, in child order.
    public let overall: DeltaMetrics
    /// The largest single read of the value comparison, for the tests of its memory bound.
    let largestRead: Int

    /// How many matches are of `kind`.
    public func count(_ kind: TensorChangeKind) -> Int { matches.count { $0.kind == kind } }

    /// How many value comparisons ended in a verdict named `name` (`exact`, `cast-exact`, …).
    public func count(verdict name: String) -> Int { matches.count { $0.values?.verdict.name == name } }

    /// Matches one tensor pair up, given a parent and a child inventory: see `TensorComparer`.
    public static func compare(
        parent: TensorInventory, child: TensorInventory, options: TensorComparisonOptions = TensorComparisonOptions()
    ) throws(TensorFileError) -> TensorComparison {
        try TensorComparer(parent: parent, child: child, options: options).run()
    }
}

/// Matches a child's tensors with a parent's and compares the values of those that changed.
///
/// Matching, for each child tensor in order: first by content — a parent tensor with the same
/// SHA-256, dtype and shape (preferring one of the same name, then of the same mapped name, then
/// one not yet matched), which finds identical data across files, containers and names; then,
/// among parent tensors not matched so far, by name, then by name after mapping Hugging Face
/// llama names to GGUF names (`TensorNameMap`). A GGUF llama file's Q and K projections are
/// compared through the row permutation llama.cpp applied (`TensorLayout`), with the head
/// counts from the GGUF metadata.
struct TensorComparer {
    let parent: TensorInventory
    let child: TensorInventory
    let options: TensorComparisonOptions

    func run() throws(TensorFileError) -> TensorComparison {
        let parents = parent.records
        let parentKeys = parents.map(Self.key)
        var byDigest: [SHA256Digest: [Int]] = [:]
        var byName: [String: Int] = [:]
        var byKey: [String: [Int]] = [:]
        for (index, record) in parents.enumerated() {
            byDigest[record.digest, default: []].append(index)
            if byName[record.name] == nil { byName[record.name] = index }
            byKey[parentKeys[index], default: []].append(index)
        }
        var used = [Bool](repeating: false, count: parents.count)
        var pairs: [(child: TensorRecord, parent: Int?, basis: TensorMatchBasis?)] = []
        var pendingByName: [Int] = []

        for record in child.records {
            let key = Self.key(record)
            let candidates = (byDigest[record.digest] ?? []).filter { parents[$0].dtype == record.dtype && parents[$0].shape == record.shape }
            if let chosen = candidates.first(where: { parents[$0].name == record.name })
                ?? candidates.first(where: { parentKeys[$0] == key })
                ?? candidates.first(where: { !used[$0] })
                ?? candidates.first
            {
                used[chosen] = true
                pairs.append((record, chosen, .digest))
            } else {
                pendingByName.append(pairs.count)
                pairs.append((record, nil, nil))
            }
        }
        for position in pendingByName {
            let record = pairs[position].child
            if let index = byName[record.name], !used[index] {
                used[index] = true
                pairs[position] = (record, index, .name)
            } else if let index = byKey[Self.key(record)]?.first(where: { !used[$0] }) {
                used[index] = true
                pairs[position] = (record, index, .mappedName)
            }
        }

        let readValues = options.compareValues && parent.folder != nil && child.folder != nil
        var matches: [TensorMatch] = []
        matches.reserveCapacity(pairs.count)
        var jobs: [ValueJob] = []
        var handles = HandleCache()
        for (record, index, basis) in pairs {
            guard let index else {
                matches.append(TensorMatch(kind: .added, parent: nil, child: record, basis: nil))
                continue
            }
            let origin = parents[index]
            let kind: TensorChangeKind
            if basis == .digest {
                kind = origin.name == record.name ? .identical : .renamed
            } else if origin.shape != record.shape {
                kind = .shapeChanged
            } else if origin.dtype != record.dtype {
                kind = .dtypeChanged
            } else {
                kind = .changed
            }
            let layout = kind == .shapeChanged || basis == .digest ? .same : layoutBetween(parent: origin, child: record)
            if readValues, kind == .dtypeChanged || kind == .changed, let parentFolder = parent.folder, let childFolder = child.folder {
                jobs.append(ValueJob(
                    match: matches.count, parent: origin, parentFile: try handles.handle(parentFolder, origin.file), child: record,
                    childFile: try handles.handle(childFolder, record.file), layout: layout))
            }
            matches.append(TensorMatch(kind: kind, parent: origin, child: record, basis: basis, layout: layout))
        }
        let compared = try Self.compareValues(jobs, chunkBytes: options.chunkBytes, progress: options.progress)
        var overall = DeltaMetrics()
        for (job, values) in zip(jobs, compared.values) {
            let match = matches[job.match]
            matches[job.match] = TensorMatch(
                kind: match.kind, parent: match.parent, child: match.child, basis: match.basis, layout: match.layout, values: values)
            if case .notCompared = values.verdict {} else { overall.add(values.metrics) }
        }
        for (index, record) in parents.enumerated() where !used[index] {
            matches.append(TensorMatch(kind: .removed, parent: record, child: nil, basis: nil))
        }
        return TensorComparison(
            matches: matches, parentTensorCount: parents.count, childTensorCount: child.records.count, valuesCompared: readValues,
            overall: overall, largestRead: compared.largestRead)
    }

    /// One pair of tensors whose values are compared, and the match it belongs to.
    struct ValueJob: Sendable {
        var match: Int
        var parent: TensorRecord
        var parentFile: TensorFileHandle
        var child: TensorRecord
        var childFile: TensorFileHandle
        var layout: TensorLayout

        /// The bytes of both tensors: what comparing their values reads.
        var bytes: Int64 { parent.byteCount + child.byteCount }
    }

    /// Compares the values of every job, on as many threads as there are processors (at most
    /// one per job), each thread taking the next job when done with one; returns the
    /// comparisons in job order and the largest single read.
    ///
    /// Each thread has its own buffers (one `TensorValueComparer`), so memory is bounded by the
    /// chunk size times the threads; the files are shared through `pread`, which has no
    /// position. What each job yields does not depend on the thread that ran it, so neither do
    /// the results.
    /// - Throws: the error of the first job, in job order, that failed.
    /// - Parameter progress: told the bytes of every pair first; counts each chunk as it is
    ///   read, and what a pair left unread (values not compared) once it is done.
    static func compareValues(
        _ jobs: [ValueJob], chunkBytes: Int, progress: ByteCounter? = nil
    ) throws(TensorFileError) -> (values: [ValueComparison], largestRead: Int) {
        guard !jobs.isEmpty else { return ([], 0) }
        progress?.expect(jobs.reduce(0) { $0 + $1.bytes })
        let state = Locked(ValueJobsState(count: jobs.count))
        runOnThreads(min(availableProcessors(), jobs.count)) { _ in
            var comparer = TensorValueComparer(chunkBytes: chunkBytes)
            comparer.progress = progress
            while true {
                let next: Int? = state.withLock { state in
                    guard state.next < jobs.count, state.failed == nil else { return nil }
                    state.next += 1
                    return state.next - 1
                }
                guard let next else { break }
                let job = jobs[next]
                let before = comparer.bytesRead
                defer { progress?.add(max(0, job.bytes - (comparer.bytesRead - before))) }
                let result: Result<ValueComparison, TensorFileError>
                do throws(TensorFileError) {
                    result = .success(try comparer.compare(
                        parent: job.parent, parentFile: job.parentFile, child: job.child, childFile: job.childFile, layout: job.layout))
                } catch {
                    result = .failure(error)
                }
                let largest = comparer.largestRead
                state.withLock { state in
                    state.results[next] = result
                    state.largestRead = max(state.largestRead, largest)
                    if case .failure = result { state.failed = min(state.failed ?? next, next) }
                }
            }
        }
        let finished = state.withLock { $0 }
        var values: [ValueComparison] = []
        values.reserveCapacity(jobs.count)
        for result in finished.results {
            switch result {
            case .success(let value): values.append(value)
            case .failure(let error): throw error
            // Not run: a job before it failed, and that failure came first in this loop.
            case nil: throw TensorFileError(file: "", field: "data", reason: .invalid("was not compared"))
            }
        }
        return (values, finished.largestRead)
    }

    /// The name a tensor is matched by after mapping: the GGUF name of a Hugging Face llama name,
    /// or the name itself.
    static func key(_ record: TensorRecord) -> String {
        TensorNameMap.llamaGGUFName(record.name)?.name ?? record.name
    }

    /// The permutation llama.cpp applied between a Hugging Face tensor and its GGUF counterpart,
    /// if the pair is a llama Q or K projection across the two formats.
    func layoutBetween(parent origin: TensorRecord, child record: TensorRecord) -> TensorLayout {
        let parentFile = parent.file(origin.file)
        let childFile = child.file(record.file)
        if childFile?.format == .gguf, parentFile?.format != .gguf, childFile?.architecture == "llama",
            let permuted = TensorNameMap.llamaGGUFName(origin.name)?.permuted,
            let heads = permuted == .query ? childFile?.headCount : childFile?.headCountKV
        {
            return .ropeInterleaved(heads: heads)
        }
        if parentFile?.format == .gguf, childFile?.format != .gguf, parentFile?.architecture == "llama",
            let permuted = TensorNameMap.llamaGGUFName(record.name)?.permuted,
            let heads = permuted == .query ? parentFile?.headCount : parentFile?.headCountKV
        {
            return .ropeDeinterleaved(heads: heads)
        }
        return .same
    }
}

/// Where the threads of a value comparison are: the next job, the results, the first failure.
private struct ValueJobsState: Sendable {
    var next = 0
    var results: [Result<ValueComparison, TensorFileError>?]
    var largestRead = 0
    /// The lowest index of a job that failed; no job is started after one failed.
    var failed: Int?

    init(count: Int) { results = Array(repeating: nil, count: count) }
}

/// The files opened during one comparison, each once.
private struct HandleCache {
    var open: [String: TensorFileHandle] = [:]

    mutating func handle(_ folder: String, _ file: String) throws(TensorFileError) -> TensorFileHandle {
        let path = folder + "/" + file
        if let handle = open[path] { return handle }
        let handle = try TensorFileHandle(path: path, displayName: file)
        open[path] = handle
        return handle
    }
}
