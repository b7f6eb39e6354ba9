import PedigreeCrypto

/// What a manifest records when its digests were supplied in a list (`sign --digests`) rather
/// than computed by the signer: the predicate's optional `suppliedDigests` field.
///
/// `{"spotChecked": 12, "checkedAgainstFolder": true}`: the signer re-hashed 12 files itself and
/// found them as listed, and matched every name and size against the folder's files. With
/// `checkedAgainstFolder` false (`--no-folder`) names, digests and sizes are the list's alone.
public struct SuppliedDigests: Codable, Equatable, Sendable {
    /// Files the signer re-hashed and found to match the list before it signed.
    public var spotChecked: Int
    /// Whether the folder was present, and the list covered exactly its files with their sizes.
    public var checkedAgainstFolder: Bool

    public init(spotChecked: Int, checkedAgainstFolder: Bool) {
        self.spotChecked = spotChecked
        self.checkedAgainstFolder = checkedAgainstFolder
    }

    /// One line for people: how the signer came by the digests.
    public var summary: String {
        guard checkedAgainstFolder else {
            return "supplied in a list and signed without the folder: names, digests and sizes are the list's"
        }
        let checked = spotChecked == 1 ? "1 file" : "\(spotChecked) files"
        return "supplied in a list, checked against the folder's names and sizes; \(checked) re-hashed by the signer"
    }
}

/// How many listed files the signer re-hashes itself before trusting a list: a number, or a
/// percentage of the files (rounded up, so any positive percentage checks at least one).
public enum SpotCheck: Equatable, Sendable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// `N` (a whole number ≥ 0) or `P%` (0 < P ≤ 100).
    public init?(argument: String) {
        if argument.hasSuffix("%") {
            guard let value = Double(argument.dropLast()), value.isFinite, value > 0, value <= 100 else { return nil }
            self = .percent(value)
        } else {
            guard let value = Int(argument), value >= 0 else { return nil }
            self = .count(value)
        }
    }

    public var description: String {
        switch self {
        case let .count(count): return "\(count)"
        case let .percent(value): return "\(value)%"
        }
    }

    /// How many of `total` files to re-hash.
    public func sampleSize(of total: Int) -> Int {
        switch self {
        case let .count(count): return min(count, total)
        case let .percent(value): return min(total, Int((Double(total) * value / 100).rounded(.up)))
        }
    }
}

/// One way a supplied list and the folder disagree.
public enum DigestMismatch: Equatable, Sendable, CustomStringConvertible {
    /// Listed, but no such file in the folder.
    case notInFolder(at: ListLocation, name: String)
    /// A file of the folder the list does not name.
    case notListed(name: String)
    /// The list's size is not the file's.
    case size(at: ListLocation, name: String, listed: Int64, actual: Int64)
    /// A spot-checked file whose digest is not the list's.
    case digest(at: ListLocation, name: String, listed: SHA256Digest, actual: SHA256Digest)
    /// A spot-checked file that could not be read.
    case unreadable(at: ListLocation, FileError)

    public var description: String {
        switch self {
        case let .notInFolder(location, name): return "\(location): '\(printable(name))' is not in the folder"
        case let .notListed(name): return "'\(printable(name))' is in the folder but not in the list"
        case let .size(location, name, listed, actual):
            return "\(location): '\(printable(name))' is \(listed) bytes in the list, \(actual) in the folder"
        case let .digest(location, name, listed, actual):
            return "\(location): '\(printable(name))' has sha256 \(actual.hex.prefix(16))…, the list says \(listed.hex.prefix(16))…"
        case let .unreadable(location, error): return "\(location): \(error)"
        }
    }
}

/// Why a model could not be signed from supplied digests.
public enum DigestSigningError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding, MultilineDiagnostic {
    /// The list is unreadable or malformed.
    case list(DigestListError)
    /// The folder cannot be signed (unreadable, links, FIFOs, nothing in it…).
    case sign(SignError)
    /// The list does not cover exactly the folder's files with their sizes.
    case doesNotMatchFolder([DigestMismatch])
    /// A re-hashed file differs from the list: the whole list is refused.
    case spotCheckFailed(checked: Int, [DigestMismatch])

    /// The most mismatches a message names one by one.
    static let shownMismatches = 20

    public var description: String {
        switch self {
        case let .list(error): return error.description
        case let .sign(error): return error.description
        case let .doesNotMatchFolder(mismatches):
            return "the digest list does not match the folder; nothing signed:\n" + Self.lines(mismatches)
        case let .spotCheckFailed(checked, mismatches):
            return "spot check failed (\(checked) re-hashed, \(mismatches.count) not as listed); the whole list is refused:\n"
                + Self.lines(mismatches)
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case let .list(error): return error.exitStatus
        case let .sign(error): return error.exitStatus
        case .doesNotMatchFolder, .spotCheckFailed: return .failure
        }
    }

    private static func lines(_ mismatches: [DigestMismatch]) -> String {
        var lines = mismatches.prefix(shownMismatches).map { "  \($0)" }
        if mismatches.count > shownMismatches { lines.append("  … and \(mismatches.count - shownMismatches) more") }
        return lines.joined(separator: "\n")
    }
}

extension ModelSigner {
    /// Builds the predicate of `request.folder` from digests computed elsewhere, reading no file
    /// but the spot-checked ones (and a license file's text, to recognise the license).
    ///
    /// With the folder, the list must name exactly the files a scan finds (entries the ignore
    /// patterns leave out are dropped from the list too), sizes come from the file system and
    /// must equal the list's where it gives them, and `spotCheck` files picked at random are
    /// re-hashed — never from the digest cache. Without it (`folderPresent` false), the list
    /// alone gives names, digests and sizes, so it must give sizes.
    public func describe(
        _ request: SignRequest, digests: DigestList, spotCheck: SpotCheck? = nil, folderPresent: Bool = true,
        extraIgnores: [String] = [], progress: ByteCounter? = nil
    ) throws(DigestSigningError) -> ModelPredicate {
        let folder = ModelFolder(path: request.folder, ignore: request.ignore + extraIgnores, followSymlinks: request.followSymlinks)
        let patternBytes = folder.ignorePatterns.reduce(0) { $0 + $1.utf8.count }
        guard patternBytes <= Limits.ignorePatternBytes else { throw .sign(.ignorePatternsTooLarge(patternBytes)) }
        let listed = digests.entries.filter { !isIgnored($0.name, by: folder) }
        var predicate: ModelPredicate
        var checked = 0
        if folderPresent {
            (predicate, checked) = try describeAgainstFolder(request, folder: folder, listed: listed, spotCheck: spotCheck, progress: progress)
        } else {
            if let list = listed.first(where: { $0.size == nil })?.location.list { throw .list(.noSizes(list: list)) }
            guard !listed.isEmpty else { throw .sign(.empty(request.folder)) }
            var resources: [Resource] = []
            for entry in listed.sorted(by: { RelativePath.precedes($0.name, $1.name) }) {
                resources.append(Resource(
                    name: try resourceName(entry), digest: entry.digest, size: entry.size ?? 0, role: request.roles.role(of: entry.name)))
            }
            predicate = makePredicate(request, resources: resources, ignorePatterns: folder.ignorePatterns, sources: [:])
        }
        predicate.suppliedDigests = SuppliedDigests(spotChecked: checked, checkedAgainstFolder: folderPresent)
        return predicate
    }

    private func describeAgainstFolder(
        _ request: SignRequest, folder: ModelFolder, listed: [ListedDigest], spotCheck: SpotCheck?, progress: ByteCounter?
    ) throws(DigestSigningError) -> (ModelPredicate, checked: Int) {
        let scan: (files: [(name: String, job: HashJob)], problems: [FileError])
        do {
            scan = try folder.scan()
        } catch {
            throw .sign(.folder(error))
        }
        var problems = scan.problems
        for file in scan.files {
            // The names `describe` would refuse to sign, refused the same way (see `ResourceName`).
            if let problem = RelativePath.problem(with: file.name) {
                problems.append(FileError(path: file.job.displayPath, reason: .unsafeName(problem, ignore: Glob.escape(file.name))))
            }
        }
        guard problems.isEmpty else { throw .sign(.problems(problems)) }
        guard !scan.files.isEmpty else { throw .sign(.empty(request.folder)) }

        var byName: [ByteKey: ListedDigest] = [:]
        for entry in listed { byName[ByteKey(entry.name)] = entry }
        var mismatches: [DigestMismatch] = []
        var matched: [(name: String, job: HashJob, entry: ListedDigest)] = []
        var present = Set<ByteKey>()
        for file in scan.files {
            present.insert(ByteKey(file.name))
            guard let entry = byName[ByteKey(file.name)] else {
                mismatches.append(.notListed(name: file.name))
                continue
            }
            if let size = entry.size, size != file.job.sizeHint {
                mismatches.append(.size(at: entry.location, name: file.name, listed: size, actual: file.job.sizeHint))
            }
            matched.append((file.name, file.job, entry))
        }
        for entry in listed where !present.contains(ByteKey(entry.name)) {
            mismatches.append(.notInFolder(at: entry.location, name: entry.name))
        }
        guard mismatches.isEmpty else { throw .doesNotMatchFolder(mismatches) }

        let sampleSize = spotCheck?.sampleSize(of: matched.count) ?? 0
        if sampleSize > 0 {
            let sample = Array(matched.indices.shuffled().prefix(sampleSize)).sorted()
            var checker = engine
            checker.memo = nil  // a spot check reads the bytes, whatever the cache says
            let results = checker.hash(sample.map { matched[$0].job }, progress: progress)
            var failures: [DigestMismatch] = []
            for (index, result) in zip(sample, results) {
                let (name, _, entry) = matched[index]
                switch result {
                case .success(let file):
                    if file.digest != entry.digest {
                        failures.append(.digest(at: entry.location, name: name, listed: entry.digest, actual: file.digest))
                    } else if file.size != matched[index].job.sizeHint {
                        failures.append(.size(at: entry.location, name: name, listed: matched[index].job.sizeHint, actual: file.size))
                    }
                case .failure(let error):
                    failures.append(.unreadable(at: entry.location, error))
                }
            }
            guard failures.isEmpty else { throw .spotCheckFailed(checked: sampleSize, failures) }
        }
        var resources: [Resource] = []
        var sources: [ResourceName: FileSource] = [:]
        for file in matched {
            let name = try resourceName(file.entry)
            resources.append(Resource(name: name, digest: file.entry.digest, size: file.job.sizeHint, role: request.roles.role(of: file.name)))
            if sources[name] == nil { sources[name] = file.job.source }
        }
        return (makePredicate(request, resources: resources, ignorePatterns: folder.ignorePatterns, sources: sources), sampleSize)
    }

    /// The listed name as a resource name; `DigestList` already refused names that are not.
    private func resourceName(_ entry: ListedDigest) throws(DigestSigningError) -> ResourceName {
        do throws(ResourceNameError) {
            return try ResourceName(entry.name)
        } catch {
            throw .list(.unsafeName(at: entry.location, name: entry.name, problem: error.problem))
        }
    }

    /// Whether a listed name lies in a path the folder's ignore patterns leave out (the name
    /// itself, or any folder on its way, as a walk would meet them).
    private func isIgnored(_ name: String, by folder: ModelFolder) -> Bool {
        var prefix = ""
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if folder.isIgnored(prefix) { return true }
        }
        return false
    }
}
