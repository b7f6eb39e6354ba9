/// The index of a sharded safetensors model (`model.safetensors.index.json`): which shard file
/// holds each tensor.
///
/// Written by `transformers`' `save_pretrained` as `{"metadata": {...}, "weight_map": {tensor:
/// shard}}`. Read through `JSONReader` (a tensor listed twice is refused); other top-level
/// members are ignored, since the shards' own headers are what pedigree reads tensors from, and
/// `check(shards:)` holds the index to them.
public struct SafetensorsIndex: Equatable, Sendable {
    /// Each tensor's shard, as a path relative to the index's folder.
    public let weightMap: [String: String]

    /// The shard files named, sorted, each once.
    public var shards: [String] { Array(Set(weightMap.values)).sorted() }

    /// Parses the index JSON; `file` names it in errors.
    public static func parse(bytes: some Collection<UInt8>, file: String = "<bytes>") throws(TensorFileError) -> SafetensorsIndex {
        let object = try parseJSONObject(bytes, file: file, field: "index")
        guard let mapValue = object["weight_map"] else {
            throw TensorFileError(file: file, field: "weight_map", reason: .invalid("is missing"))
        }
        guard case .object(let map) = mapValue else {
            throw TensorFileError(file: file, field: "weight_map", reason: .invalid("is \(mapValue.kindDescription), not an object"))
        }
        var weightMap: [String: String] = [:]
        for member in map.members {
            let field = "weight_map '\(member.key)'"
            guard case .string(let shard) = member.value else {
                throw TensorFileError(file: file, field: field, reason: .invalid("is \(member.value.kindDescription), not a file name"))
            }
            guard isPlainRelativePath(shard) else {
                throw TensorFileError(
                    file: file, field: field,
                    reason: .invalid("names '\(printable(shard))', which is not a relative path inside the model folder"))
            }
            weightMap[member.key] = shard
        }
        return SafetensorsIndex(weightMap: weightMap)
    }

    /// Reads the index file at `path`.
    public static func read(path: String, displayName: String? = nil) throws(TensorFileError) -> SafetensorsIndex {
        let handle = try TensorFileHandle(path: path, displayName: displayName ?? path)
        guard handle.size <= Limits.tensorSidecarBytes else {
            throw TensorFileError(
                file: handle.displayName, field: "file", reason: .tooLarge(value: UInt64(handle.size), limit: UInt64(Limits.tensorSidecarBytes)))
        }
        let bytes = try handle.bytes(at: 0, count: Int(handle.size), field: "index")
        return try parse(bytes: bytes, file: handle.displayName)
    }

    /// Checks the index against the headers of its shards (keyed by the names the index uses):
    /// every tensor listed is in the shard named for it, and every tensor of a shard is listed
    /// for that shard.
    ///
    /// - Throws: naming the index file (`file`) and the first tensor that disagrees.
    public func check(shards headers: [String: SafetensorsHeader], file: String) throws(TensorFileError) {
        try check(shardTensors: headers.mapValues { $0.tensors.map(\.name) }, file: file)
    }

    /// `check(shards:file:)` with each shard's tensor names (in its header's order), keyed by
    /// the names the index uses.
    public func check(shardTensors: [String: [String]], file: String) throws(TensorFileError) {
        for shard in shards {
            guard shardTensors[shard] != nil else {
                throw TensorFileError(file: file, field: "weight_map", reason: .invalid("names the shard '\(printable(shard))', which is missing"))
            }
        }
        for (shard, names) in shardTensors.sorted(by: { $0.key < $1.key }) {
            for name in names where weightMap[name] != shard {
                let listed = weightMap[name].map { "lists it in '\(printable($0))'" } ?? "does not list it"
                throw TensorFileError(
                    file: file, field: "weight_map '\(name)'",
                    reason: .invalid("the tensor is in shard '\(printable(shard))' but the index \(listed)"))
            }
        }
        var present: [String: Set<String>] = [:]
        for (shard, names) in shardTensors { present[shard] = Set(names) }
        for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) where present[shard]?.contains(tensor) != true {
            throw TensorFileError(
                file: file, field: "weight_map '\(tensor)'", reason: .invalid("is not in its shard '\(printable(shard))'"))
        }
    }

    /// Checks every index of a model against its shards: each shard it names must be among
    /// `files` and, read as safetensors, hold exactly the tensors the index assigns it.
    ///
    /// The one check of shard indexes, for the folder reader (`TensorInventory.read`) and for
    /// the signer's hashing pass (`TensorTableCollector.checkIndexes`).
    /// - Parameters:
    ///   - indexes: each index by its path relative to the model folder, in the order checked.
    ///   - files: every file of the model considered, relative to the folder.
    ///   - tensors: the tensor names of the safetensors file at a relative path, in header
    ///     order; `nil` for a file not read as safetensors.
    /// - Throws: naming the first index, in order, that disagrees with its shards.
    static func checkAll(
        _ indexes: [(name: String, index: SafetensorsIndex)], files: Set<String>, tensors: (String) -> [String]?
    ) throws(TensorFileError) {
        for (indexName, index) in indexes {
            let slash = indexName.lastIndex(of: "/")
            let directory = slash.map { String(indexName[..<$0]) } ?? ""
            var shards: [String: [String]] = [:]
            for shard in index.shards {
                let relative = directory.isEmpty ? shard : directory + "/" + shard
                if let names = tensors(relative) {
                    shards[shard] = names
                } else if !files.contains(relative) {
                    throw TensorFileError(
                        file: indexName, field: "weight_map", reason: .invalid("names the shard '\(printable(shard))', which is missing"))
                }
            }
            try index.check(shardTensors: shards, file: indexName)
        }
    }
}

/// Whether `path` is relative, non-empty, and has no `.`/`..`/empty component or NUL.
func isPlainRelativePath(_ path: String) -> Bool {
    guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(0) else { return false }
    return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != "" && $0 != "." && $0 != ".." }
}
