import PedigreeCrypto

/// Where an entry of a digest list stands: the list, and its line (a `sha256sum` list) or its
/// index in `files` (a `pedigree hash --json` report).
public struct ListLocation: Equatable, Sendable, CustomStringConvertible {
    public var list: String
    /// The 1-based line of a text list.
    public var line: Int?
    /// The 0-based index in `files` of a JSON report.
    public var entry: Int?

    public init(list: String, line: Int? = nil, entry: Int? = nil) {
        self.list = list
        self.line = line
        self.entry = entry
    }

    public var description: String {
        if let line { return "\(printable(list)): line \(line)" }
        if let entry { return "\(printable(list)): files[\(entry)]" }
        return printable(list)
    }
}

/// One file named by a digest list: a safe relative name, its digest, and its size when the
/// list gives one.
public struct ListedDigest: Equatable, Sendable {
    /// A POSIX path relative to the model folder (`RelativePath.problem` found nothing).
    public var name: String
    public var digest: SHA256Digest
    /// The size in bytes (`pedigree hash --json` gives it; `sha256sum` does not).
    public var size: Int64?
    public var location: ListLocation
}

/// The formats a digest list may be written in.
public enum DigestListFormat: String, Sendable, Equatable {
    /// `sha256sum` output, text (`<hex>  <name>`) or `--tag` (`SHA256 (<name>) = <hex>`) lines.
    case sha256sum
    /// The report `pedigree hash --json` prints: `{"command": "hash", "files": [{"path", "status", "sha256", "size"}…]}`.
    case pedigreeHashJSON = "pedigree-hash-json"
}

/// Why a digest list cannot be used to sign, naming the list and the line.
public enum DigestListError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// The list cannot be read.
    case unreadable(FileError)
    /// The list names no file.
    case empty(list: String)
    /// Lines of a `sha256sum` list that are not `sha256sum` lines (or not UTF-8).
    case malformedLines(list: String, lines: [Int])
    /// A JSON report that is not JSON, or not shaped as `pedigree hash --json` writes it.
    case malformedReport(list: String, reason: String)
    /// A JSON report entry that records a failure to hash the file instead of a digest.
    case failedEntry(at: ListLocation, name: String, error: String)
    /// A name that is not a safe relative path: absolute, with `..`, `.`, an empty component…
    case unsafeName(at: ListLocation, name: String, problem: String)
    /// A name listed a second time.
    case duplicate(at: ListLocation, name: String, first: ListLocation)
    /// Signing without the folder needs every size, and this list has none (`sha256sum`).
    case noSizes(list: String)

    public var description: String {
        switch self {
        case let .unreadable(error): return error.description
        case let .empty(list): return "\(printable(list)): no file is listed"
        case let .malformedLines(list, lines):
            let shown = lines.prefix(10).map(String.init).joined(separator: ", ") + (lines.count > 10 ? ", …" : "")
            return lines.count == 1
                ? "\(printable(list)): line \(shown): improperly formatted SHA256 checksum line"
                : "\(printable(list)): lines \(shown): improperly formatted SHA256 checksum lines (\(lines.count))"
        case let .malformedReport(list, reason): return "\(printable(list)): not a pedigree hash --json report: \(reason)"
        case let .failedEntry(location, name, error):
            return "\(location): '\(printable(name))' was not hashed (\(printable(error))); nothing to sign it with"
        case let .unsafeName(location, name, problem): return "\(location): the name '\(printable(name))' \(problem); refused"
        case let .duplicate(location, name, first): return "\(location): '\(printable(name))' is listed twice (first at \(first))"
        case let .noSizes(list):
            return "\(printable(list)): a sha256sum list gives no sizes, and --no-folder takes them from the list; "
                + "use the report of 'pedigree hash --json', which has them"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case let .unreadable(error):
            if case .system = error.reason { return .noInput }
            return .dataError
        default: return .dataError
        }
    }
}

/// Digests computed elsewhere — by `sha256sum`, by `pedigree hash --json` on other machines —
/// parsed once into safe names relative to the model folder.
///
/// Names are relative to the folder, as `cd DIR && sha256sum …` or `pedigree hash .` write them:
/// a leading `./` is dropped, and when every name of a list starts with the folder as given on
/// the command line and a slash (as `pedigree hash DIR` writes them), that prefix is dropped
/// too. A name that is then not a safe relative path (absolute, `..`, `.`, empty component,
/// backslash, NUL) refuses the list, as does a name listed twice, in one list or across several.
public struct DigestList: Sendable, Equatable {
    /// Every entry of every list, in the order read.
    public var entries: [ListedDigest]
    /// The format of each list read, in order.
    public var formats: [DigestListFormat]

    /// The most bytes one list may hold (about ten million files).
    public static let byteLimit = Limits.digestListBytes

    /// Reads and parses the lists at `paths` (`-` is standard input).
    ///
    /// - Parameter folder: the folder as the user named it, whose prefix is dropped from names.
    public static func load(_ paths: [String], folder: String?) throws(DigestListError) -> DigestList {
        var list = DigestList(entries: [], formats: [])
        for path in paths {
            let bytes: [UInt8]
            do {
                bytes = try readSmallFile(path, limit: byteLimit, allowPipes: true)
            } catch {
                throw .unreadable(error)
            }
            let name = path == "-" ? "standard input" : path
            let parsed = try parse(bytes, list: name, folder: folder)
            list.entries += parsed.entries
            list.formats += parsed.formats
        }
        try list.checkDuplicates()
        return list
    }

    /// Parses one list: a JSON report when its first non-blank byte is `{` or `[`, else
    /// `sha256sum` lines (which start with a hex digit, `SHA256 (` or a backslash).
    public static func parse(_ bytes: [UInt8], list: String, folder: String?) throws(DigestListError) -> DigestList {
        let first = bytes.first { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }
        var raw: [ListedDigest]
        let format: DigestListFormat
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            raw = try parseReport(bytes, list: list)
            format = .pedigreeHashJSON
        } else {
            raw = try parseChecksums(bytes, list: list)
            format = .sha256sum
        }
        guard !raw.isEmpty else { throw .empty(list: list) }
        raw = strippingPrefixes(raw, folder: folder)
        for entry in raw {
            if let problem = RelativePath.problem(with: entry.name) {
                throw .unsafeName(at: entry.location, name: entry.name, problem: problem)
            }
        }
        let result = DigestList(entries: raw, formats: [format])
        try result.checkDuplicates()
        return result
    }

    /// Whether any entry lacks a size.
    public var lacksSizes: Bool { entries.contains { $0.size == nil } }

    private func checkDuplicates() throws(DigestListError) {
        var seen: [ByteKey: ListLocation] = [:]
        for entry in entries {
            if let first = seen.updateValue(entry.location, forKey: ByteKey(entry.name)) {
                throw .duplicate(at: entry.location, name: entry.name, first: first)
            }
        }
    }

    /// `sha256sum` lines, text or `--tag`; any line that is not one refuses the list.
    private static func parseChecksums(_ bytes: [UInt8], list: String) throws(DigestListError) -> [ListedDigest] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let invalid = lines.indices.filter { String(validating: lines[$0], as: UTF8.self) == nil }.map { $0 + 1 }
        guard invalid.isEmpty else { throw .malformedLines(list: list, lines: invalid) }
        let parsed = ChecksumList(parsing: String(decoding: bytes, as: UTF8.self))
        guard parsed.malformedLines.isEmpty else { throw .malformedLines(list: list, lines: parsed.malformedLines) }
        return parsed.entries.map {
            ListedDigest(name: $0.path, digest: $0.digest, size: nil, location: ListLocation(list: list, line: $0.line))
        }
    }

    /// The report of `pedigree hash --json`, read with the strict reader.
    private static func parseReport(_ bytes: [UInt8], list: String) throws(DigestListError) -> [ListedDigest] {
        let value: JSONValue
        do {
            value = try JSONReader.parse(bytes)
        } catch {
            throw .malformedReport(list: list, reason: error.message)
        }
        guard case .object(let top) = value else {
            throw .malformedReport(list: list, reason: "the top level is \(value.kindDescription), expected an object")
        }
        guard case .string("hash")? = top["command"], top["mode"] == nil || top["mode"] == .string("hash") else {
            throw .malformedReport(list: list, reason: "it is not the report of 'pedigree hash --json' (command 'hash', mode 'hash')")
        }
        guard case .number(let version)? = top["version"], version.int64 == 1 else {
            throw .malformedReport(list: list, reason: "its 'version' is not 1, the report version this pedigree reads")
        }
        guard let results = top["files"] else { throw .malformedReport(list: list, reason: "it has no 'files'") }
        guard case .array(let items) = results else {
            throw .malformedReport(list: list, reason: "'files' is \(results.kindDescription), expected a list")
        }
        var entries: [ListedDigest] = []
        entries.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let location = ListLocation(list: list, entry: index)
            func bad(_ reason: String) -> DigestListError { .malformedReport(list: list, reason: "files[\(index)]\(reason)") }
            guard case .object(let row) = item else { throw bad(" is \(item.kindDescription), expected an object") }
            guard case .string(let path)? = row["path"] else { throw bad(".path is missing or not a string") }
            if let error = row["error"] {
                guard case .string(let text) = error else { throw bad(".error is \(error.kindDescription), expected a string") }
                throw .failedEntry(at: location, name: path, error: text)
            }
            guard case .string("ok")? = row["status"] else { throw bad(".status is not 'ok'") }
            guard case .string(let hex)? = row["sha256"], let digest = SHA256Digest(hex: hex), digest.hex == hex else {
                throw bad(".sha256 is missing or not a lowercase SHA-256 hex digest")
            }
            var size: Int64?
            if let given = row["size"] {
                guard case .number(let number) = given, let bytes = number.int64, bytes >= 0 else {
                    throw bad(".size is not a whole number of bytes")
                }
                size = bytes
            }
            entries.append(ListedDigest(name: path, digest: digest, size: size, location: location))
        }
        return entries
    }

    /// Drops `./` and, when every name carries it, the folder's own prefix.
    private static func strippingPrefixes(_ entries: [ListedDigest], folder: String?) -> [ListedDigest] {
        var entries = entries
        for index in entries.indices {
            while entries[index].name.utf8.starts(with: "./".utf8) {
                entries[index].name = String(decoding: entries[index].name.utf8.dropFirst(2), as: UTF8.self)
            }
        }
        guard var prefix = folder else { return entries }
        while prefix.utf8.starts(with: "./".utf8) { prefix = String(decoding: prefix.utf8.dropFirst(2), as: UTF8.self) }
        while prefix.utf8.count > 1, prefix.utf8.last == UInt8(ascii: "/") { prefix.removeLast() }
        guard !prefix.isEmpty, prefix != ".", prefix != "/" else { return entries }
        let withSlash = Array((prefix + "/").utf8)
        guard entries.allSatisfy({ $0.name.utf8.starts(with: withSlash) }) else { return entries }
        for index in entries.indices {
            entries[index].name = String(decoding: entries[index].name.utf8.dropFirst(withSlash.count), as: UTF8.self)
        }
        return entries
    }
}
