import PedigreeCrypto

/// Collects the tensor table of every weights file the hashing engine reads, from the same
/// read that computes each file's digest: the engine's `ChunkObserverFactory` for
/// `sign --tensors` and for `verify` of a manifest that carries a table.
///
/// For each file it is given (safetensors or GGUF, chosen by the caller), it reads the header
/// from the descriptor the engine opened, with bounded `pread`s that leave the sequential read
/// alone, then feeds a `TensorDigester` every chunk. A header that cannot be read is recorded
/// (`errors`) and the file is hashed plainly: the caller decides what a bad header means (the
/// signer refuses to sign). Thread-safe: the engine's threads share one collector.
public final class TensorTableCollector: ChunkObserverFactory, @unchecked Sendable {
    // @unchecked: `state` is a pthread-locked box; the other properties are immutable.
    private let files: [String: (name: String, format: WeightFormat)]
    private let concurrent: Bool
    private let state = Locked(State())

    private struct State: Sendable {
        var tables: [String: WeightFileTable] = [:]
        var errors: [String: TensorFileError] = [:]
    }

    /// A collector for `files`, keyed by the display path the engine's jobs carry, each with
    /// the name its records take (relative to the model folder) and its format.
    ///
    /// - Parameter concurrent: hash the tensor stream on a thread of its own beside the file
    ///   digest (`ChunkObserver.wantsThread`), for when a core is free beside each hashing thread.
    public init(files: [String: (name: String, format: WeightFormat)], concurrent: Bool) {
        self.files = files
        self.concurrent = concurrent
    }

    /// The format of a weights file by its name: `*.safetensors` or `*.gguf`; `nil` for any other.
    public static func format(of name: String) -> WeightFormat? {
        if name.hasSuffix(".safetensors") { return .safetensors }
        if name.hasSuffix(".gguf") { return .gguf }
        return nil
    }

    public func observer(displayPath: String, descriptor: Int32, size: Int64) -> (any ChunkObserver)? {
        guard let file = files[displayPath] else { return nil }
        let handle = TensorFileHandle(borrowing: descriptor, size: size, displayName: file.name)
        var summary = WeightFileSummary(path: file.name, format: file.format, digest: nil)
        let tensors: [TensorInfo]
        do throws(TensorFileError) {
            switch file.format {
            case .safetensors:
                tensors = try SafetensorsHeader.read(handle).tensors
            case .gguf:
                let header = try GGUFHeader.read(handle)
                tensors = header.tensors
                summary = WeightFileSummary(gguf: header, path: file.name)
            }
        } catch {
            state.withLock { $0.errors[displayPath] = error }
            return nil
        }
        return TableObserver(collector: self, displayPath: displayPath, summary: summary, tensors: tensors, concurrent: concurrent)
    }

    fileprivate func store(_ table: WeightFileTable, displayPath: String) {
        state.withLock { $0.tables[displayPath] = table }
    }

    fileprivate func store(_ error: TensorFileError, displayPath: String) {
        state.withLock { $0.errors[displayPath] = error }
    }

    /// The table of the file hashed as `displayPath`, when its header was read and every
    /// tensor digested.
    public func table(for displayPath: String) -> WeightFileTable? {
        state.withLock { $0.tables[displayPath] }
    }

    /// Why the tensors of the file hashed as `displayPath` could not be read, if they could not.
    public func error(for displayPath: String) -> TensorFileError? {
        state.withLock { $0.errors[displayPath] }
    }
}

extension TensorTableCollector {
    /// A file of the model as the signer hashed it: its name relative to the folder, how to
    /// open it again, the display path the engine's job carried, and the digest just computed.
    public struct HashedFile: Sendable {
        public var name: String
        public var source: FileSource
        public var displayPath: String
        public var digest: SHA256Digest

        public init(name: String, source: FileSource, displayPath: String, digest: SHA256Digest) {
            self.name = name
            self.source = source
            self.displayPath = displayPath
            self.digest = digest
        }
    }

    /// Checks every `*.safetensors.index.json` among `files` against the tables gathered for
    /// its shards, as `TensorInventory.read` checks a folder's (`SafetensorsIndex.checkAll`).
    ///
    /// Each index is read again (it is small) and must still have the digest just computed, so
    /// the index checked is the index signed.
    /// - Throws: naming the index and the first tensor that disagrees, or why it could not be read.
    public func checkIndexes(_ files: [HashedFile]) throws(TensorFileError) {
        var indexes: [(name: String, index: SafetensorsIndex)] = []
        for file in files where file.name.hasSuffix(".safetensors.index.json") {
            let bytes: [UInt8]
            do throws(FileError) {
                bytes = try readSmallFile(from: file.source, displayPath: file.name, limit: Int(Limits.tensorSidecarBytes))
            } catch {
                switch error.reason {
                case .system(let code): throw TensorFileError(file: file.name, field: "file", reason: .unreadable(errno: code))
                case .tooLarge(let limit):
                    throw TensorFileError(file: file.name, field: "file", reason: .invalid("is larger than the \(limit) bytes allowed"))
                default: throw TensorFileError(file: file.name, field: "file", reason: .invalid(error.reasonText))
                }
            }
            guard SHA256.hash(bytes) == file.digest else {
                throw TensorFileError(file: file.name, field: "file", reason: .changedWhileReading("its digest is not the one just computed"))
            }
            indexes.append((file.name, try SafetensorsIndex.parse(bytes: bytes, file: file.name)))
        }
        guard !indexes.isEmpty else { return }
        var byName: [String: String] = [:]
        for file in files { byName[file.name] = file.displayPath }
        try SafetensorsIndex.checkAll(indexes, files: Set(files.map(\.name))) { name in
            guard name.hasSuffix(".safetensors"), let path = byName[name] else { return nil }
            return table(for: path)?.records.map(\.name)
        }
    }
}

/// The tensors of one weights file, digested in the pass that hashed it.
public struct WeightFileTable: Equatable, Sendable {
    /// The file, its format and digest, and the GGUF metadata the comparison uses.
    public var summary: WeightFileSummary
    /// The tensors in the header's order.
    public var records: [TensorRecord]
}

/// Feeds one file's chunks to its digester and hands the table to the collector at the end.
private final class TableObserver: ChunkObserver {
    let collector: TensorTableCollector
    let displayPath: String
    let summary: WeightFileSummary
    let tensors: [TensorInfo]
    let digester: TensorDigester
    let concurrent: Bool

    init(collector: TensorTableCollector, displayPath: String, summary: WeightFileSummary, tensors: [TensorInfo], concurrent: Bool) {
        self.collector = collector
        self.displayPath = displayPath
        self.summary = summary
        self.tensors = tensors
        self.concurrent = concurrent
        digester = TensorDigester(tensors: tensors, file: summary.path)
    }

    var wantsThread: Bool { concurrent }

    func consume(_ chunk: UnsafeRawBufferPointer, at offset: Int64) {
        digester.consume(chunk, at: offset)
    }

    func finish(_ digest: FileDigest) {
        do throws(TensorFileError) {
            let digests = try digester.finish()
            let records = zip(tensors, digests).map { info, digest in
                TensorRecord(
                    file: summary.path, name: info.name, dtype: info.dtype, shape: info.shape, byteRange: info.byteRange,
                    digest: digest.digest)
            }
            let file = WeightFileSummary(
                path: summary.path, format: summary.format, digest: digest, architecture: summary.architecture,
                headCount: summary.headCount, headCountKV: summary.headCountKV)
            collector.store(WeightFileTable(summary: file, records: records), displayPath: displayPath)
        } catch {
            collector.store(error, displayPath: displayPath)
        }
    }
}

/// Compares a signed tensor table with the one read from the file again.
public enum TensorTableCheck {
    /// What differs between the `signed` rows of the file `file` and the `actual` ones, one
    /// phrase each (at most `limit`, then a count of the rest); empty when they agree row for row.
    public static func differences(file: String, signed: [TensorRecord], actual: [TensorRecord], limit: Int = 8) -> [String] {
        var out: [String] = []
        let where_ = "'\(printable(file))'"
        if signed.count != actual.count {
            out.append("the manifest lists \(signed.count) tensors of \(where_), its header declares \(actual.count)")
        }
        for (index, (a, b)) in zip(signed, actual).enumerated() {
            var fields: [String] = []
            if a.name != b.name { fields.append("name '\(printable(a.name))' is '\(printable(b.name))' in the file") }
            if a.dtype != b.dtype { fields.append("dtype \(a.dtype.rawValue) is \(b.dtype.rawValue)") }
            if a.shape != b.shape { fields.append("shape \(a.shape) is \(b.shape)") }
            if a.byteRange != b.byteRange {
                fields.append("byteRange [\(a.byteRange.lowerBound), \(a.byteRange.upperBound)] is [\(b.byteRange.lowerBound), \(b.byteRange.upperBound)]")
            }
            if a.digest != b.digest { fields.append("sha256 \(a.digest.hex.prefix(12))… is \(b.digest.hex.prefix(12))…") }
            if !fields.isEmpty {
                out.append("tensor \(index + 1) ('\(printable(a.name))') of \(where_): " + fields.joined(separator: ", "))
            }
        }
        if out.count > limit {
            let rest = out.count - limit
            out = Array(out.prefix(limit)) + ["… and \(rest) more difference\(rest == 1 ? "" : "s") in \(where_)"]
        }
        return out
    }
}
