import PedigreeCrypto
import Yams

/// The outcome of one distribution condition.
public enum Verdict: String, Encodable, Sendable {
    case pass = "PASS"
    case fail = "FAIL"
    /// The condition does not apply (a hosted service, a model with no parents).
    case notApplicable = "N/A"
    /// A condition no file can show: recorded as the publisher's declaration.
    case declared = "DECLARED"
    /// The license is not one pedigree knows: nothing was evaluated, nothing passed.
    case unchecked = "UNCHECKED"
}

/// One distribution condition of a license, with what was found.
public struct Obligation: Encodable, Sendable, Equatable {
    /// The license and clause: `OpenAtom-1.0 §3.1(1)`, `Apache-2.0 §4(d)`.
    public var clause: String
    public var title: String
    public var verdict: Verdict
    /// Files with their digests that show it, and the facts found.
    public var evidence: [String]
    /// What is missing, for a failure.
    public var problems: [String]
}

/// Everything `pedigree check` found.
public struct CheckReport: Encodable, Sendable {
    public var model: String
    public var licenses: [String]
    public var distribution: Distribution
    public var obligations: [Obligation]
    /// Disagreements that are not failures: the README's front matter against the signed lineage.
    public var warnings: [String]

    /// Whether an obligation failed.
    public var failed: Bool { obligations.contains { $0.verdict == .fail } }
    /// Whether a license could not be checked.
    public var unchecked: Bool { obligations.contains { $0.verdict == .unchecked } }
}

/// Why a folder could not be checked at all.
public enum CheckError: Error, Equatable, Sendable, CustomStringConvertible {
    case notPedigree
    case folder(FileError)

    public var description: String {
        switch self {
        case .notPedigree:
            return "the manifest was written by model_signing and records no license or notices; sign the folder with pedigree first"
        case let .folder(error): return error.description
        }
    }
}

/// Evaluates the distribution conditions of the licenses in a model's chain — the OpenAtom
/// Model License 1.0 §3.1(1)–(4) and the Apache License 2.0 §4(a)–(d) — against the signed
/// manifest and the files in the folder.
public struct ObligationChecker: Sendable {
    public init() {}

    /// Checks `folder` and its manifest chain.
    ///
    /// - Parameter distribution: overrides the manifest's own declaration (`--distribution`).
    public func check(folder: String, chain: ModelChain, distribution: Distribution? = nil) throws(CheckError) -> CheckReport {
        guard let predicate = chain.manifest.predicate else { throw .notPedigree }
        let distribution = distribution ?? predicate.distribution
        let ancestors = chain.lineage().map(\.manifest)
        let evidence = try EvidenceFiles(folder: folder, manifest: chain.manifest)

        var ids = [predicate.license?.id].compactMap { $0 } + ancestors.compactMap { $0.predicate?.license?.id }
        ids = ids.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        var obligations: [Obligation] = []
        // Inherited obligations are read from the embedded ancestors: a chain with missing or
        // altered ancestors cannot show them, so it fails before anything else is judged.
        let chainProblems = chain.problems()
        if !chainProblems.isEmpty {
            obligations.append(Obligation(
                clause: "chain", title: "the ancestors' manifests", verdict: .fail,
                evidence: ["\(plural(chain.ancestors.count, "embedded ancestor"))"], problems: chainProblems.map(printable)))
        }
        let known = ids.compactMap(LicenseCatalog.license(named:))
        for license in known {
            let isOpenAtom = license == LicenseCatalog.openAtom
            let name = isOpenAtom ? "OpenAtom-1.0" : license.id
            let hosted = isOpenAtom && distribution == .hosted
            let clauses = isOpenAtom ? ["§3.1(1)", "§3.1(2)", "§3.1(3)"] : ["§4(a)", "§4(c)", "§4(b)"]
            obligations.append(
                hosted ? waived("\(name) \(clauses[0])", "a copy of the license", "(1)")
                    : licenseCopy(license, clause: "\(name) \(clauses[0])", predicate: predicate, ancestors: ancestors, evidence: evidence))
            obligations.append(noticesRetained(
                clause: "\(name) \(clauses[1])", predicate: predicate, ancestors: ancestors, evidence: evidence,
                needFiles: distribution == .files || !isOpenAtom))
            obligations.append(
                hosted ? waived("\(name) \(clauses[2])", "notices of modification", "(3)")
                    : modificationsNoted(clause: "\(name) \(clauses[2])", predicate: predicate, evidence: evidence))
            if isOpenAtom {
                obligations.append(Obligation(
                    clause: "\(name) §3.1(4)", title: "lawful use", verdict: .declared,
                    evidence: ["the publisher's own responsibility; signing the manifest records it as declared"], problems: []))
            } else {
                obligations.append(noticeFileCarried(clause: "\(name) §4(d)", ancestors: ancestors, evidence: evidence))
            }
        }
        let unknown = ids.filter { LicenseCatalog.license(named: $0) == nil }
        if ids.isEmpty || !unknown.isEmpty {
            let what = ids.isEmpty ? "the manifest names no license" : "\(unknown.joined(separator: ", ")) is not a license pedigree knows"
            obligations.append(Obligation(
                clause: unknown.first ?? "license", title: "distribution conditions", verdict: .unchecked,
                evidence: [], problems: ["\(what) (it knows \(LicenseCatalog.all.map(\.id).joined(separator: ", "))); its conditions were not evaluated"]))
        }
        return CheckReport(
            model: chain.manifest.name, licenses: ids, distribution: distribution, obligations: obligations,
            warnings: frontMatterWarnings(folder: folder, predicate: predicate, evidence: evidence))
    }

    private func waived(_ clause: String, _ title: String, _ item: String) -> Obligation {
        Obligation(
            clause: clause, title: title, verdict: .notApplicable,
            evidence: ["a hosted service: item \(item) does not apply (§3.1, last paragraph)"], problems: [])
    }

    /// (1) / 4(a): a copy of the license ships, and it is the text the ancestors carried.
    private func licenseCopy(
        _ license: KnownLicense, clause: String, predicate: ModelPredicate, ancestors: [SignedManifest], evidence: EvidenceFiles
    ) -> Obligation {
        var result = Obligation(clause: clause, title: "a copy of the license", verdict: .fail, evidence: [], problems: [])
        let files = predicate.resources.filter { $0.role == .license }
        guard !files.isEmpty else {
            result.problems.append("no copy of the \(license.name) is among the files")
            return result
        }
        // What each ancestor that declared this license carried, by digest.
        var carried: [SHA256Digest: [String]] = [:]
        for ancestor in ancestors {
            guard let info = ancestor.predicate?.license, LicenseCatalog.license(named: info.id) == license else { continue }
            for file in info.files { carried[file.digest, default: []].append(ancestor.name) }
        }
        var matched = Set<SHA256Digest>()
        var genuine = false
        var namesOnly: [Resource] = []
        for file in files {
            guard let bytes = evidence.verifiedBytes(file.name.string, &result.problems) else { continue }
            var facts: [String] = []
            if let recognition = LicenseCatalog.recognize(bytes), recognition.license == license {
                switch recognition.text {
                case .published:
                    facts.append("the published text of the \(license.name)")
                case let .publishedWithOtherText(before, after):
                    let around = [before.isEmpty ? nil : "before it: \"\(printable(excerpt(before)))\"",
                                  after.isEmpty ? nil : "after it: \"\(printable(excerpt(after)))\""].compactMap { $0 }
                    facts.append("the published text of the \(license.name), with other text \(around.joined(separator: " and "))")
                case .namesOnly:
                    facts.append("names the \(license.name) but is not its published text")
                    namesOnly.append(file)
                }
                genuine = genuine || recognition.isGenuineText
            }
            if let names = carried[file.digest] {
                matched.insert(file.digest)
                facts.append("the same file \(names.joined(separator: ", ")) carried")
            }
            result.evidence.append("\(file.name) sha256:\(short(file.digest.hex))" + (facts.isEmpty ? "" : " (\(facts.joined(separator: "; ")))"))
        }
        for (digest, names) in carried where !matched.contains(digest) && !genuine {
            result.problems.append("the license file \(names.joined(separator: ", ")) carried (sha256:\(short(digest.hex))) is not among the files")
        }
        if !genuine && matched.isEmpty {
            // Say which file fell short, so the condition it affects is named with it.
            result.problems += namesOnly.map { "\(printable($0.name.string)) names the \(license.name) but is not its published text" }
            if namesOnly.isEmpty {
                result.problems.append("no license file is the published text of the \(license.name) or a copy an ancestor carried")
            }
        }
        if result.problems.isEmpty { result.verdict = .pass }
        return result
    }

    /// (2) / 4(c): every notice of every ancestor is retained, and ships in a notice file.
    private func noticesRetained(
        clause: String, predicate: ModelPredicate, ancestors: [SignedManifest], evidence: EvidenceFiles, needFiles: Bool
    ) -> Obligation {
        var result = Obligation(clause: clause, title: "notices retained", verdict: .fail, evidence: [], problems: [])
        let required = Deriver.requiredNotices(ancestors)
        let retained = Set(predicate.notices.retained.map(\.notice))
        let dropped = predicate.notices.dropped
        for drop in dropped {
            result.problems.append("dropped: \"\(excerpt(drop.text))\" (\(drop.kind.rawValue), from \(printable(drop.origin.model))); reason given: \(drop.reason)")
        }
        for notice in required where !retained.contains(notice.notice)
            && !dropped.contains(where: { $0.text == notice.text && $0.kind == notice.kind })
        {
            result.problems.append("not retained: \"\(excerpt(notice.text))\" (\(notice.kind.rawValue), from \(printable(notice.origin.model)))")
        }
        let ancestorCount = Set(required.map(\.origin.manifestDigest)).count
        if required.isEmpty {
            result.evidence.append(ancestors.isEmpty ? "a base model: no inherited notices" : "the ancestors recorded no notices")
        } else {
            let kept = required.filter { retained.contains($0.notice) }.count
            result.evidence.append("\(kept) of \(required.count) notices of \(ancestorCount) \(ancestorCount == 1 ? "ancestor" : "ancestors") retained in the manifest")
        }
        if needFiles, !predicate.notices.retained.isEmpty {
            var readable: [Resource] = []
            var texts: [String] = []
            for file in predicate.resources where file.role == .notice {
                guard let bytes = evidence.verifiedBytes(file.name.string, &result.problems) else { continue }
                readable.append(file)
                texts.append(LicenseCatalog.normalize(String(decoding: bytes, as: UTF8.self)))
            }
            var carriedCount = 0
            var carriers = Set<Int>()
            for notice in predicate.notices.retained.map(\.notice) {
                // As given, or as pedigree's NOTICE shows it (control characters made visible).
                let wanted = [notice.text, PlainText.text(notice.text)].map(LicenseCatalog.normalize)
                if let index = texts.firstIndex(where: { text in wanted.contains { text.contains($0) } }) {
                    carriedCount += 1
                    carriers.insert(index)
                } else {
                    result.problems.append("no notice file that ships carries \"\(excerpt(notice.text))\"")
                }
            }
            let carrierFiles = carriers.sorted().map { "\(readable[$0].name) sha256:\(short(readable[$0].digest.hex))" }
            result.evidence.append((carrierFiles.isEmpty ? "the notice files" : carrierFiles.joined(separator: ", "))
                                   + " \(carrierFiles.count == 1 ? "carries" : "carry") \(carriedCount) of \(predicate.notices.retained.count) retained notices")
        }
        if result.problems.isEmpty { result.verdict = .pass }
        return result
    }

    /// (3) / 4(b): every file changed against the parents is covered by a modification notice
    /// that ships in the folder.
    private func modificationsNoted(clause: String, predicate: ModelPredicate, evidence: EvidenceFiles) -> Obligation {
        var result = Obligation(clause: clause, title: "notices of modification", verdict: .fail, evidence: [], problems: [])
        guard let lineage = predicate.lineage else {
            result.verdict = .notApplicable
            result.evidence.append("not a derivative: the manifest names no parent")
            return result
        }
        let changed = predicate.filesNeedingModificationNotice()
        var descriptions: [ByteKey: String] = [:]
        for modification in predicate.modifications {
            for file in modification.files { descriptions[ByteKey(file)] = modification.description }
        }
        let noticeFiles = predicate.resources.filter { $0.role == .notice }
        var texts: [(name: String, text: String)] = []
        for file in noticeFiles {
            guard let bytes = evidence.verifiedBytes(file.name.string, &result.problems) else { continue }
            texts.append((file.name.string, LicenseCatalog.normalize(String(decoding: bytes, as: UTF8.self))))
        }
        var shippedIn = Set<String>()
        for name in changed {
            guard let description = descriptions[ByteKey(name)] else {
                result.problems.append("\(printable(name)): changed, and the manifest has no modification notice for it")
                continue
            }
            // The notice that ships must name the file and say how it was modified.
            // As written, or as MODIFICATIONS.md writes it: the name as a code span with control
            // characters made visible, the description as escaped Markdown.
            let names = [name, UnsafeScalars.escaped(name)]
            let how = [description, Markdown.text(description)].map(LicenseCatalog.normalize)
            if let carrier = texts.first(where: { text in
                names.contains { mentions(text.text, $0) } && how.contains { text.text.contains($0) }
            }) {
                shippedIn.insert(carrier.name)
            } else {
                result.problems.append("\(printable(name)): changed, and no notice file that ships names it with how it was modified")
            }
        }
        if changed.isEmpty {
            result.evidence.append("no file differs from the parents")
        } else {
            let carriers = noticeFiles.filter { shippedIn.contains($0.name.string) }.map { "\($0.name) sha256:\(short($0.digest.hex))" }
            result.evidence.append("\(plural(changed.count, "changed file")) against \(plural(lineage.parents.count, "parent"))"
                                   + (carriers.isEmpty ? "" : ", named in " + carriers.joined(separator: ", ")))
        }
        if result.problems.isEmpty { result.verdict = .pass }
        return result
    }

    /// Apache-2.0 4(d): if an ancestor shipped a NOTICE file, a NOTICE file ships.
    private func noticeFileCarried(clause: String, ancestors: [SignedManifest], evidence: EvidenceFiles) -> Obligation {
        let ancestorNotices = ancestors.filter { ancestor in
            ancestor.entries.contains { lastComponent($0.name.string).uppercased().hasPrefix("NOTICE") }
        }
        guard !ancestorNotices.isEmpty else {
            return Obligation(clause: clause, title: "the NOTICE file", verdict: .notApplicable,
                              evidence: ["no ancestor shipped a NOTICE file"], problems: [])
        }
        var problems: [String] = []
        let own = evidence.manifest.entries.filter { lastComponent($0.name.string).uppercased().hasPrefix("NOTICE") }
            .filter { evidence.verifiedBytes($0.name.string, &problems) != nil }
        if own.isEmpty {
            problems.append("\(ancestorNotices.map { printable($0.name) }.joined(separator: ", ")) shipped a NOTICE file; none ships here")
            return Obligation(clause: clause, title: "the NOTICE file", verdict: .fail, evidence: [], problems: problems)
        }
        return Obligation(clause: clause, title: "the NOTICE file", verdict: .pass,
                          evidence: own.map { "\(printable($0.name.string)) sha256:\(short($0.digest.hex))" }, problems: [])
    }

    /// Where the README's Hugging Face front matter disagrees with the signed lineage or license.
    private func frontMatterWarnings(folder: String, predicate: ModelPredicate, evidence: EvidenceFiles) -> [String] {
        guard predicate.resources.contains(where: { $0.name.string == "README.md" }),
            let bytes = evidence.bytes("README.md"),
            let front = ModelCard.frontMatter(in: String(decoding: bytes, as: UTF8.self))
        else { return [] }
        var warnings: [String] = []
        let expected = ModelCard.metadata(predicate)
        func list(_ value: Any?) -> [String]? {
            if let text = value as? String { return [text] }
            return (value as? [Any])?.map { "\($0)" }
        }
        if let parents = expected.baseModels {
            let stated = list(front["base_model"]) ?? []
            if Set(stated) != Set(parents) {
                warnings.append("README.md front matter says base_model: \(stated.isEmpty ? "(none)" : stated.joined(separator: ", ")); the signed lineage says \(parents.joined(separator: ", "))")
            }
        } else if let stated = list(front["base_model"]), !stated.isEmpty {
            warnings.append("README.md front matter says base_model: \(stated.joined(separator: ", ")); the signed manifest names no parent")
        }
        let statedRelation = front["base_model_relation"] as? String
        if statedRelation != expected.relation {
            warnings.append("README.md front matter says base_model_relation: \(statedRelation ?? "(none)"); the signed lineage gives \(expected.relation ?? "(none)")")
        }
        if let license = expected.license, (front["license"] as? String)?.lowercased() != license {
            warnings.append("README.md front matter says license: \((front["license"] as? String) ?? "(none)"); the signed manifest gives \(license)")
        }
        if let name = expected.licenseName, (front["license_name"] as? String) != name {
            warnings.append("README.md front matter says license_name: \((front["license_name"] as? String) ?? "(none)"); expected \(name)")
        }
        return warnings
    }
}

/// The files a check cites, read from the folder and compared with the signed manifest.
///
/// Each file is read at most once, however many obligations cite it.
struct EvidenceFiles {
    let manifest: SignedManifest
    private let jobs: [ByteKey: HashJob]
    private let cache = ReadCache()

    private final class ReadCache {
        var bytes: [ByteKey: [UInt8]?] = [:]
    }

    init(folder: String, manifest: SignedManifest) throws(CheckError) {
        self.manifest = manifest
        let model = ModelFolder(
            path: folder, ignorePatterns: manifest.serialization.ignorePaths,
            followSymlinks: manifest.serialization.allowSymlinks)
        do {
            jobs = Dictionary(try model.scan().files.map { (ByteKey($0.name), $0.job) }, uniquingKeysWith: { a, _ in a })
        } catch {
            throw .folder(error)
        }
    }

    /// The bytes of a small file of the folder (up to 16 MiB), or `nil` if it cannot be read.
    func bytes(_ name: String) -> [UInt8]? {
        let key = ByteKey(name)
        if let known = cache.bytes[key] { return known }
        let read = jobs[key].flatMap { try? readSmallFile(from: $0.source, displayPath: name, limit: 16 << 20) }
        cache.bytes[key] = .some(read)
        return read
    }

    /// The file's bytes if they still have the digest the manifest signed; else a problem.
    func verifiedBytes(_ name: String, _ problems: inout [String]) -> [UInt8]? {
        guard let entry = manifest.entries.first(where: { ByteKey($0.name.string) == ByteKey(name) }) else { return nil }
        guard let bytes = bytes(name) else {
            problems.append("\(printable(name)) is listed in the manifest but cannot be read from the folder")
            return nil
        }
        guard SHA256.hash(bytes) == entry.digest else {
            problems.append("\(printable(name)) differs from the signed manifest")
            return nil
        }
        return bytes
    }
}

/// Whether the (normalized) `text` names the file `name` as a whole word: delimited by white
/// space, quotes, backticks, brackets or punctuation, so `ema_model.bin` does not name `model.bin`.
func mentions(_ text: String, _ name: String) -> Bool {
    let haystack = Array(text.utf8)
    let needle = Array(LicenseCatalog.normalize(name).utf8)
    guard !needle.isEmpty, needle.count <= haystack.count else { return false }
    let delimiters = Set(" \t\n`'\"()[]{}<>,;:".utf8)
    var start = 0
    while start + needle.count <= haystack.count {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) {
            let end = start + needle.count
            let before = start == 0 || delimiters.contains(haystack[start - 1])
            let after = end == haystack.count || delimiters.contains(haystack[end])
                || (haystack[end] == UInt8(ascii: ".") && (end + 1 == haystack.count || delimiters.contains(haystack[end + 1])))
            if before && after { return true }
        }
        start += 1
    }
    return false
}

/// The first 12 hex digits of a digest, for people.
public func short(_ hex: String) -> String { String(hex.prefix(12)) }

/// The start of a long text, for messages.
func excerpt(_ text: String) -> String {
    let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return flat.count > 72 ? String(flat.prefix(69)) + "…" : flat
}

/// `1 file`, `2 files`.
public func plural(_ count: Int, _ noun: String) -> String { count == 1 ? "1 \(noun)" : "\(count) \(noun)s" }
