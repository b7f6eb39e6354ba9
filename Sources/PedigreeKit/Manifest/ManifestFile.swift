/// Why a signed manifest was not written; nothing was, and an existing file is as it was.
public enum ManifestWriteError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// The bundle could not be encoded.
    case unencodable(String)
    /// The manifest is larger than its readers accept.
    case tooLarge(ManifestTooLarge)
    /// The file could not be written (it exists and `overwrite` was not given, or a step failed).
    case cannotWrite(FileError)

    public var description: String {
        switch self {
        case let .unencodable(reason): return "the manifest could not be encoded: \(reason)"
        case let .tooLarge(refusal): return refusal.description
        case let .cannotWrite(error): return error.description
        }
    }

    /// 70 when it could not be encoded, 65 when too large, 73 when the file could not be written.
    public var exitStatus: ExitStatus {
        switch self {
        case .unencodable: return .software
        case let .tooLarge(refusal): return refusal.exitStatus
        case .cannotWrite: return .cannotCreate
        }
    }
}

/// Writing a signed manifest to its file: encoded, checked against the size its readers
/// accept, and written atomically (`AtomicFile`).
public enum ManifestFile {
    /// Writes `bundle` to `path`.
    ///
    /// The Base64 payload goes into the file a piece at a time (`StreamedBundle`), so the
    /// manifest's text is never held whole beside the payload.
    ///
    /// - Parameters:
    ///   - overwrite: replace an existing file; without it an existing file is an error.
    ///   - tensorCount: the rows of the manifest's tensor table, named when it is too large.
    public static func write(
        _ bundle: ManifestBundle, to path: String, overwrite: Bool, tensorCount: Int = 0
    ) throws(ManifestWriteError) {
        let streamed: StreamedBundle?
        var bytes: [UInt8] = []
        do {
            streamed = try bundle.streamedEncoding()
            if streamed == nil { bytes = try bundle.encoded() }
        } catch {
            throw .unencodable("\(error)")
        }
        do throws(ManifestTooLarge) {
            try ManifestSizeCheck.check(bytes: streamed?.byteCount ?? bytes.count, tensorCount: tensorCount)
        } catch {
            throw .tooLarge(error)
        }
        do throws(FileError) {
            if let streamed {
                try AtomicFile.write(to: path, overwrite: overwrite) { streamed.write(to: $0) }
            } else {
                try AtomicFile.write(bytes, to: path, overwrite: overwrite)
            }
        } catch {
            throw .cannotWrite(error)
        }
    }
}
