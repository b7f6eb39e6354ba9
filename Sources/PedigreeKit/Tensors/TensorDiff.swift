/// Why `diff --tensors` could not compare two models.
public enum TensorDiffError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// A manifest with no tensor table (signed without `--tensors`).
    case noTable(String)
    /// A manifest that cannot be read.
    case manifest(String, ManifestError)
    /// A folder with no safetensors or GGUF file.
    case noWeights(String)
    /// A weights file that cannot be read.
    case weights(TensorFileError)

    public var description: String {
        switch self {
        case let .noTable(path):
            return "\(printable(path)): the manifest records no tensors (sign with --tensors, or give the model's folder)"
        case let .manifest(path, error): return "\(printable(path)): \(error)"
        case let .noWeights(path): return "\(printable(path)): no safetensors or GGUF file to compare"
        case let .weights(error): return error.description
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .noTable, .noWeights: return .dataError
        case let .manifest(_, error): return error.exitStatus
        case let .weights(error): return error.exitStatus
        }
    }
}

/// The tensor-level difference between two models (`pedigree diff --tensors A B`): each side a
/// folder (its safetensors and GGUF files read, values compared when both are folders) or a
/// manifest with a tensor table (digests, dtypes and shapes only).
public enum TensorDiff {
    /// One side of the comparison.
    public struct Side: Sendable {
        public var path: String
        /// `folder` or `manifest`.
        public var kind: String
        /// The model's name, for a manifest.
        public var model: String?
        public var inventory: TensorInventory
    }

    /// Reads both sides, the old first: two folders side by side, one thread each (see `side`).
    ///
    /// - Parameter progress: told the sizes of the folders' weights files, then counts bytes
    ///   as they are read.
    /// - Throws: the old side's error when both fail.
    public static func sides(old: String, new: String, progress: ByteCounter? = nil) throws(TensorDiffError) -> (old: Side, new: Side) {
        guard isFolder(old), isFolder(new), availableProcessors() > 1 else {
            return (try side(old, progress: progress), try side(new, progress: progress))
        }
        let results = Locked<[Result<Side, TensorDiffError>?]>([nil, nil])
        runOnThreads(2) { index in
            let result: Result<Side, TensorDiffError>
            do throws(TensorDiffError) {
                result = .success(try side(index == 0 ? old : new, readAhead: false, progress: progress))
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[index] = result }
        }
        let both = results.withLock { $0 }
        guard let first = both[0], let second = both[1] else { return (try side(old, progress: progress), try side(new, progress: progress)) }
        return (try first.get(), try second.get())
    }

    /// Reads one side: a folder's weights files (headers checked, every byte read once for the
    /// tensor digests — files are not compared, so their own digests are not computed) or a
    /// manifest's tensor table.
    ///
    /// - Parameters:
    ///   - readAhead: read a folder's files on a second thread while this one hashes.
    ///   - progress: told the sizes of a folder's weights files, then counts bytes as they are read.
    public static func side(_ path: String, readAhead: Bool = true, progress: ByteCounter? = nil) throws(TensorDiffError) -> Side {
        if isFolder(path) {
            let files = TensorInventory.weightFiles(in: path)
            guard !files.isEmpty else { throw .noWeights(path) }
            do throws(TensorFileError) {
                let inventory = try TensorInventory.read(
                    folder: path, files: files, concurrent: readAhead, fileDigests: false, progress: progress)
                return Side(path: path, kind: "folder", model: nil, inventory: inventory)
            } catch {
                throw .weights(error)
            }
        }
        let manifest: SignedManifest
        do throws(ManifestError) {
            manifest = try ModelChain.load(path).manifest
        } catch {
            throw .manifest(path, error)
        }
        guard let inventory = ParentEvidence.tableInventory(of: manifest) else { throw .noTable(path) }
        return Side(path: path, kind: "manifest", model: manifest.name, inventory: inventory)
    }

    /// Compares `new` with `old` (the parent side): matched by content digest first, then by
    /// name; values streamed in `chunkBytes` pieces when both sides have their files.
    ///
    /// - Parameter progress: told the bytes of the tensors whose values are read, then counts
    ///   them as they are read.
    public static func compare(
        old: Side, new: Side, chunkBytes: Int = 1 << 20, progress: ByteCounter? = nil
    ) throws(TensorDiffError) -> TensorComparison {
        do throws(TensorFileError) {
            return try TensorComparison.compare(
                parent: old.inventory, child: new.inventory,
                options: TensorComparisonOptions(chunkBytes: chunkBytes, progress: progress))
        } catch {
            throw .weights(error)
        }
    }
}
