import Foundation
import PedigreeCrypto

/// One tensor of a model: which file holds it, what it is, and the SHA-256 of its bytes.
public struct TensorRecord: Equatable, Sendable {
    /// The weights file, relative to the model folder (POSIX separators).
    public let file: String
    public let name: String
    public let dtype: TensorDType
    public let shape: TensorShape
    /// The tensor's bytes, as absolute offsets in `file`.
    public let byteRange: Range<Int64>
    /// SHA-256 of the bytes in `byteRange`.
    public let digest: SHA256Digest

    public init(file: String, name: String, dtype: TensorDType, shape: TensorShape, byteRange: Range<Int64>, digest: SHA256Digest) {
        self.file = file
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
        self.digest = digest
    }

    public var byteCount: Int64 { byteRange.upperBound - byteRange.lowerBound }
}

/// What a weights file is, beyond its tensors: its format, its plain digest, and the GGUF
/// metadata the comparison needs to undo a llama conversion's row permutation.
public struct WeightFileSummary: Equatable, Sendable {
    /// Relative to the model folder.
    public let path: String
    public let format: WeightFormat
    /// The plain SHA-256 and size of the whole file, computed in the same pass as the tensor
    /// digests; `nil` when the inventory was built from signed digests.
    public let digest: FileDigest?
    /// GGUF `general.architecture`.
    public let architecture: String?
    /// GGUF `<arch>.attention.head_count`.
    public let headCount: Int?
    /// GGUF `<arch>.attention.head_count_kv` (the head count when absent).
    public let headCountKV: Int?

    public init(
        path: String, format: WeightFormat, digest: FileDigest?, architecture: String? = nil, headCount: Int? = nil,
        headCountKV: Int? = nil
    ) {
        self.path = path
        self.format = format
        self.digest = digest
        self.architecture = architecture
        self.headCount = headCount
        self.headCountKV = headCountKV
    }

    /// A GGUF file's summary: its architecture and attention head counts from `header`.
    init(gguf header: GGUFHeader, path: String) {
        let architecture = header["general.architecture"]?.text
        let heads = architecture.flatMap { header["\($0).attention.head_count"]?.count }
        let kvHeads = architecture.flatMap { header["\($0).attention.head_count_kv"]?.count } ?? heads
        self.init(path: path, format: .gguf, digest: nil, architecture: architecture, headCount: heads, headCountKV: kvHeads)
    }
}

/// Every tensor of a model: the input of a tensor comparison.
///
/// Read from the weights files of a folder (`read(folder:files:)`: headers checked, every byte
/// hashed once), or rebuilt from a signed manifest's tensor table (`init(records:files:folder:)`
/// with `folder: nil`), in which case tensors are matched by digest, name, dtype and shape but
/// their values cannot be compared.
public struct TensorInventory: Equatable, Sendable {
    /// The tensors, by file (in byte order of the path) then by place in the file.
    public let records: [TensorRecord]
    public let files: [WeightFileSummary]
    /// The folder the files are in, when their bytes can be read.
    public let folder: String?

    public init(records: [TensorRecord], files: [WeightFileSummary], folder: String?) {
        self.records = records
        self.files = files
        self.folder = folder
    }

    /// The file names a model folder's tensors are read from: `*.safetensors`, `*.gguf` and
    /// `model.safetensors.index.json` files, relative, sorted, hidden entries skipped.
    ///
    /// A convenience for callers without a file list; the signing workflow passes the list its
    /// tree walker made (with its rules for links) to `read(folder:files:)` instead.
    public static func weightFiles(in folder: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            if name.hasSuffix(".safetensors") || name.hasSuffix(".gguf") || name.hasSuffix(".safetensors.index.json") {
                out.append(relative)
            }
        }
        return out.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Reads the tensors of the weights files among `files` (relative to `folder`; by default
    /// those `weightFiles(in:)` finds), hashing each file once for its plain digest and its
    /// tensors'.
    ///
    /// Names ending in `.safetensors` are read as safetensors, `.gguf` as GGUF,
    /// `.safetensors.index.json` as a shard index; other names are skipped, so a whole folder
    /// listing may be passed.
    /// A `*.safetensors.index.json` is checked against the shards it names: each must be among
    /// the files and hold exactly the tensors the index assigns it. Memory: the headers and a
    /// `chunkSize` buffer, whatever the size of the tensors.
    /// - Parameters:
    ///   - concurrent: read ahead and hash the two digest streams on threads of their own.
    ///   - fileDigests: compute each file's plain digest too (`WeightFileSummary.digest`);
    ///     without it, only the tensor digests, half the hashing (a comparison needs no more).
    ///   - progress: told the sizes of the weights files first, then counts bytes as they are read.
    /// - Throws: `TensorFileError` naming the file and field of the first bad header or index,
    ///   or the file that could not be read.
    public static func read(
        folder: String, files: [String]? = nil, chunkSize: Int = 1 << 20, concurrent: Bool = true, fileDigests: Bool = true,
        progress: ByteCounter? = nil
    ) throws(TensorFileError) -> TensorInventory {
        let names = (files ?? weightFiles(in: folder))
            .filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".gguf") || $0.hasSuffix(".safetensors.index.json") }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        if let progress {
            for name in names where !name.hasSuffix(".safetensors.index.json") {
                if case .success(let status) = fileStatus(atPath: folder + "/" + name, follow: true) { progress.expect(status.size) }
            }
        }
        var records: [TensorRecord] = []
        var summaries: [WeightFileSummary] = []
        var safetensorsHeaders: [String: SafetensorsHeader] = [:]
        var indexes: [String] = []
        for name in names {
            let path = folder + "/" + name
            if name.hasSuffix(".safetensors.index.json") {
                indexes.append(name)
                continue
            }
            let handle = try TensorFileHandle(path: path, displayName: name)
            let tensors: [TensorInfo]
            var summary: WeightFileSummary
            if name.hasSuffix(".gguf") {
                let header = try GGUFHeader.read(handle)
                tensors = header.tensors
                summary = WeightFileSummary(gguf: header, path: name)
            } else {
                let header = try SafetensorsHeader.read(handle)
                safetensorsHeaders[name] = header
                tensors = header.tensors
                summary = WeightFileSummary(path: name, format: .safetensors, digest: nil)
            }
            let fileDigest: FileDigest?
            let tensorDigests: [TensorDigest]
            if fileDigests {
                let digests = try TensorDigester.digests(
                    handle, tensors: tensors, chunkSize: chunkSize, concurrent: concurrent, progress: progress)
                (fileDigest, tensorDigests) = (digests.file, digests.tensors)
            } else {
                fileDigest = nil
                tensorDigests = try TensorDigester.tensorDigests(
                    handle, tensors: tensors, chunkSize: chunkSize, readAhead: concurrent, progress: progress)
            }
            summary = WeightFileSummary(
                path: name, format: summary.format, digest: fileDigest, architecture: summary.architecture,
                headCount: summary.headCount, headCountKV: summary.headCountKV)
            summaries.append(summary)
            for (info, digest) in zip(tensors, tensorDigests) {
                records.append(
                    TensorRecord(file: name, name: info.name, dtype: info.dtype, shape: info.shape, byteRange: info.byteRange, digest: digest.digest))
            }
        }
        var read: [(name: String, index: SafetensorsIndex)] = []
        for indexName in indexes {
            read.append((indexName, try SafetensorsIndex.read(path: folder + "/" + indexName, displayName: indexName)))
        }
        try SafetensorsIndex.checkAll(read, files: Set(names)) { safetensorsHeaders[$0]?.tensors.map(\.name) }
        return TensorInventory(records: records, files: summaries, folder: folder)
    }

    /// The summary of the file `path`.
    public func file(_ path: String) -> WeightFileSummary? { files.first { $0.path == path } }
}

extension TensorRecord: Codable {
    private enum CodingKeys: String, CodingKey {
        case file, name, dtype, shape, byteRange, sha256
    }

    /// Decodes a row of a signed tensor table (`Schemas/tensor-evidence.v1.schema.json`,
    /// `$defs/tensor`), refusing a range that is empty-backwards or a digest that is not 64 hex
    /// digits, and a byte count the dtype and shape do not make.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let file = try container.decode(String.self, forKey: .file)
        let name = try container.decode(String.self, forKey: .name)
        let dtype = try container.decode(TensorDType.self, forKey: .dtype)
        let shape = try container.decode(TensorShape.self, forKey: .shape)
        let range = try container.decode([Int64].self, forKey: .byteRange)
        guard range.count == 2, range[0] >= 0, range[0] <= range[1] else {
            throw DecodingError.dataCorruptedError(forKey: .byteRange, in: container, debugDescription: "not [begin, end] with 0 <= begin <= end")
        }
        guard dtype.byteCount(of: shape) == range[1] - range[0] else {
            throw DecodingError.dataCorruptedError(
                forKey: .byteRange, in: container, debugDescription: "\(range[1] - range[0]) bytes, but \(dtype.rawValue) \(shape) takes another count")
        }
        let hex = try container.decode(String.self, forKey: .sha256)
        guard hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }), let digest = SHA256Digest(hex: hex) else {
            throw DecodingError.dataCorruptedError(forKey: .sha256, in: container, debugDescription: "not 64 lowercase hex digits")
        }
        self.init(file: file, name: name, dtype: dtype, shape: shape, byteRange: range[0]..<range[1], digest: digest)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(name, forKey: .name)
        try container.encode(dtype, forKey: .dtype)
        try container.encode(shape, forKey: .shape)
        try container.encode([byteRange.lowerBound, byteRange.upperBound], forKey: .byteRange)
        try container.encode(digest.hex, forKey: .sha256)
    }
}
