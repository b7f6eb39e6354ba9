import PedigreeCrypto

/// The outcome of checking one line of a checksum list.
public enum ChecksumStatus: Equatable, Sendable {
    /// The file's digest matches.
    case ok
    /// The file was read and its digest differs.
    case failed(actual: SHA256Digest)
    /// The file could not be opened or read.
    case unreadable(FileError)
    /// The file does not exist and missing files are ignored.
    case skipped
}

extension ChecksumList {
    /// Hashes every listed file and compares it with its listed digest, in list order.
    ///
    /// - Parameters:
    ///   - ignoreMissing: report files that do not exist as `.skipped`, not `.unreadable`.
    ///   - emit: receives each result in list order as soon as it is known.
    public func check(
        engine: HashEngine,
        ignoreMissing: Bool = false,
        progress: ByteCounter? = nil,
        emit: (@Sendable (ChecksumEntry, ChecksumStatus) -> Void)? = nil
    ) -> [ChecksumStatus] {
        let entries = self.entries
        let jobs = entries.map { entry in
            var size: Int64 = 0
            if case .success(let status) = fileStatus(atPath: entry.path, follow: true) { size = status.size }
            return HashJob(displayPath: entry.path, source: .path(entry.path, followLinks: true), sizeHint: size)
        }
        let classify: @Sendable (Int, Result<FileDigest, FileError>) -> ChecksumStatus = { index, result in
            switch result {
            case .success(let file):
                return file.digest == entries[index].digest ? .ok : .failed(actual: file.digest)
            case .failure(let error):
                if ignoreMissing, error.isNotFound { return .skipped }
                return .unreadable(error)
            }
        }
        let results = engine.hash(jobs, progress: progress) { index, result in
            emit?(entries[index], classify(index, result))
        }
        return results.indices.map { classify($0, results[$0]) }
    }
}
