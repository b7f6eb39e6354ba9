import PedigreeCrypto
import PedigreeKit

// The JSON reports, one per command, each described by `Schemas/report-<command>.v1.schema.json`.
//
// Conventions shared by every report (and checked by the schemas):
// - Every report has `version` (1), `command` and `ok`, true exactly when the command exits 0;
//   keys are sorted (`JSONOutput`).
// - Field names are camelCase; digests are full lowercase hex (`sha256`, `rootDigest`,
//   `manifestDigest`, `expected`, `actual`), key ids are full (`keyid`, as DSSE spells it).
// - Statuses and verdicts are lowercase words: files `ok`, `modified`, `missing`,
//   `unexpected`, `unreadable`, `failed`, `skipped`; signatures `trusted`, `unknown-key`,
//   `invalid`, `unchecked`, `unverified`; conditions `pass`, `fail`, `not-applicable`, `declared`,
//   `unchecked`.
// - Counts are integers, flags are booleans; a value that is absent is left out, never `null`.

/// The report version every schema pins.
let reportVersion = 1

/// Signature check results, as every report gives them.
struct SignatureRow: Encodable {
    var index: Int
    var keyid: String
    var status: String
    var key: String?
    var algorithm: String?

    init(_ result: SignatureResult) {
        index = result.index
        keyid = result.keyid
        status = result.status.rawValue
        key = result.key
        algorithm = result.algorithm
    }

    init(index: Int, keyid: String, status: String, key: String? = nil, algorithm: String? = nil) {
        self.index = index
        self.keyid = keyid
        self.status = status
        self.key = key
        self.algorithm = algorithm
    }
}

// MARK: hash

struct HashReport: Encodable {
    let version = reportVersion
    let command = "hash"
    let mode = "hash"
    var ok: Bool
    var files: [Row]
    var summary: Summary

    struct Row: Encodable {
        var path: String
        var status: String
        var sha256: String?
        var size: Int64?
        var error: String?
    }

    struct Summary: Encodable {
        var files: Int
        var bytes: Int64
        var failed: Int
    }
}

struct HashCheckReport: Encodable {
    let version = reportVersion
    let command = "hash"
    let mode = "check"
    var ok: Bool
    var lists: [List]

    struct List: Encodable {
        var list: String
        var files: [Row]
        var malformedLines: [Int]
        var error: String?
    }

    struct Row: Encodable {
        var path: String
        var status: String
        var expected: String
        var actual: String?
        var error: String?

        init(entry: ChecksumEntry, status: ChecksumStatus) {
            path = entry.path
            expected = entry.digest.hex
            switch status {
            case .ok: self.status = "ok"
            case .failed(let actual):
                self.status = "failed"
                self.actual = actual.hex
            case .unreadable(let error):
                self.status = "unreadable"
                self.error = error.reasonText
            case .skipped: self.status = "skipped"
            }
        }
    }
}

// MARK: keygen

struct KeygenReport: Encodable {
    let version = reportVersion
    let command = "keygen"
    let ok = true
    var algorithm: String
    var keyid: String
    var privateKey: String
    var publicKey: String
    var encrypted: Bool
}

// MARK: sign

struct SignReport: Encodable {
    let version = reportVersion
    let command = "sign"
    let ok = true
    /// `sign` for a new manifest, `append` for countersignatures.
    var mode: String
    var manifest: String
    var model: String
    var rootDigest: String
    var manifestDigest: String
    var fileCount: Int
    var bytes: Int64?
    var license: String?
    /// The signatures this run added.
    var signatures: [Signature]
    /// How many signatures the envelope now carries.
    var signatureCount: Int
    var parents: [Parent]
    /// Files whose digest came from the digest cache; absent when the cache was not used.
    var reusedFromCache: Int?
    /// How the digests were supplied, when they came from a list (`--digests`).
    var suppliedDigests: SuppliedDigests?
    /// NOTICE and MODIFICATIONS.md, when `--write-notices` wrote them before signing.
    var noticesWritten: [String]?
    /// The conditions `pedigree check` would fail on the manifest written, each with its fix.
    var checkWouldFail: [PreflightFinding]
    /// How many tensors the manifest records (`--tensors`); absent when it records none.
    var tensorCount: Int?

    struct Signature: Encodable {
        var index: Int
        var keyid: String
        var algorithm: String
    }

    struct Parent: Encodable {
        var name: String
        var manifestDigest: String
        var relation: String
        var role: String
        var trusted: Bool
        /// The evidence signed for this parent, when computed.
        var evidence: TensorEvidence?
    }
}

// MARK: verify

struct VerifyReport: Encodable {
    let version = reportVersion
    let command = "verify"
    var ok: Bool
    var manifest: String
    /// Whether the manifest was named (`--manifest`) or found in the folder, and which.
    var manifestSource: String
    var format: String?
    var model: String?
    var rootDigest: String?
    var manifestDigest: String?
    var signatures: [SignatureRow]
    var ancestors: [Ancestor]
    var files: [File]
    var problems: [String]
    var only: [String]?
    var listed: Int
    var summary: [String: Int]
    /// How the digests were supplied, when the manifest was signed from a list (`--digests`).
    var suppliedDigests: SuppliedDigests?
    /// Files whose digest came from the digest cache (`--trust-cache`); absent without it.
    var reusedFromCache: Int?
    /// How symbolic links in the folder were treated: refused, hub-cache or within-folder.
    var links: String?
    /// Files not in the manifest let pass (`--ignore-unsigned-files`); absent without it.
    var unsignedIgnored: Int?
    /// Who signed, for a bundle signed with a certificate whose chain validated.
    var certificateSigner: CertificateSignerReport?
    /// Rows of the manifest's tensor table re-digested from the files; absent when it has none.
    var tensorsChecked: Int?
    /// Parents whose signed evidence was recomputed as signed (`--evidence`); absent without it.
    var evidenceChecked: Int?

    struct Ancestor: Encodable {
        var name: String
        var manifestDigest: String
        var rootDigest: String
        var format: String
        var depth: Int
        var trust: String
        var signatures: [SignatureRow]
    }

    struct File: Encodable {
        var name: String
        var status: String
        var expected: String?
        var actual: String?
        var detail: String?
        var lfsPointer: LFSPointerVerdict?

        init(_ verdict: FileVerdict) {
            name = verdict.name
            status = VerifyReport.status(verdict.status)
            expected = verdict.expected
            actual = verdict.actual
            detail = verdict.detail
            lfsPointer = verdict.lfsPointer
        }
    }

    /// A file status as the JSON report spells it: lowercase, words joined by a hyphen.
    static func status(_ code: FileStatusCode) -> String {
        code.rawValue.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    /// Writes the report of `report` on standard output as `Console.json` would, each file's
    /// row made and written in turn rather than all held at once with the whole text.
    static func write(_ report: VerificationReport, source: String) throws(JSONOutput.EncodingFailure) {
        let shell = VerifyReport(report, source: source)
        try JSONOutput.write(shell, listAt: "files", elements: report.files.lazy.map(File.init), to: Console.text)
    }

    /// The report around its file rows: `files` is left empty, for `write` to stream the rows
    /// into.
    private init(_ report: VerificationReport, source: String) {
        ok = report.verified
        manifest = report.manifest
        manifestSource = source
        format = report.format?.rawValue
        model = report.model
        rootDigest = report.rootDigest
        manifestDigest = report.manifestDigest
        signatures = report.signatures.map(SignatureRow.init)
        ancestors = report.ancestors.map {
            Ancestor(name: $0.name, manifestDigest: $0.manifestDigest, rootDigest: $0.rootDigest, format: $0.format.rawValue,
                     depth: $0.depth, trust: $0.trust.rawValue, signatures: $0.signatures.map(SignatureRow.init))
        }
        files = []
        problems = report.problems
        only = report.only
        listed = report.listed
        suppliedDigests = report.suppliedDigests
        reusedFromCache = report.reusedFromCache
        links = report.links?.rawValue
        unsignedIgnored = report.unsignedIgnored
        certificateSigner = report.certificateSigner
        tensorsChecked = report.tensorsChecked
        evidenceChecked = report.evidenceChecked
        var summary: [String: Int] = [:]
        for status in [FileStatusCode.ok, .modified, .missing, .unexpected, .unreadable, .lfsPointer] {
            summary[Self.status(status)] = report.count(status)
        }
        self.summary = summary
    }
}

// MARK: lineage

struct LineageReport: Encodable {
    let version = reportVersion
    let command = "lineage"
    var ok: Bool
    var manifest: String
    var nodes: [LineageGraph.Node]
    var edges: [LineageGraph.Edge]
    /// Base models named without a signed manifest, drawn dashed.
    var unverifiedReferences: [LineageGraph.UnverifiedEdge]
    var descendants: [Descendant]?
    var problems: [String]
}

// MARK: diff

/// `diff --tensors --json`: every tensor match, the counts, the overall change
/// (`Schemas/report-diff-tensors.v1.schema.json`).
struct TensorDiffReport: Encodable {
    let version = reportVersion
    let command = "diff"
    let mode = "tensors"
    var ok: Bool
    var differ: Bool
    var old: DiffReport.Side
    var new: DiffReport.Side
    var valuesCompared: Bool
    var tensors: [Match]
    var summary: [String: Int]
    var overall: Metrics?

    struct Match: Encodable {
        var kind: String
        var basis: String?
        var old: TensorRecord?
        var new: TensorRecord?
        var verdict: String?
        var relativeL2: Double?
        var cosine: Double?
    }

    struct Metrics: Encodable {
        var relativeL2: Double?
        var cosine: Double?
    }

    init(_ comparison: TensorComparison, old: TensorDiff.Side, new: TensorDiff.Side, differ: Bool, ok: Bool) {
        self.ok = ok
        self.differ = differ
        self.old = DiffReport.Side(path: old.path, kind: old.kind, model: old.model)
        self.new = DiffReport.Side(path: new.path, kind: new.kind, model: new.model)
        valuesCompared = comparison.valuesCompared
        tensors = comparison.matches.map {
            Match(kind: $0.kind.rawValue, basis: $0.basis?.rawValue, old: $0.parent, new: $0.child, verdict: $0.values?.verdict.name,
                  relativeL2: $0.values?.metrics.relativeL2, cosine: $0.values?.metrics.cosine)
        }
        var summary: [String: Int] = [:]
        for kind in TensorChangeKind.allCases { summary[kind.rawValue] = comparison.count(kind) }
        for verdict in ["exact", "cast-exact", "quantized-consistent", "differs", "not-compared"] {
            summary[verdict] = comparison.count(verdict: verdict)
        }
        self.summary = summary
        overall = comparison.valuesCompared
            ? Metrics(relativeL2: comparison.overall.relativeL2, cosine: comparison.overall.cosine) : nil
    }
}

struct DiffReport: Encodable {
    let version = reportVersion
    let command = "diff"
    var ok: Bool
    var differ: Bool
    var old: Side
    var new: Side
    var unchanged: [String]
    var modified: [String]
    var added: [String]
    var removed: [String]
    var renamed: [Rename]
    var summary: [String: Int]

    struct Side: Encodable {
        var path: String
        var kind: String
        var model: String?
    }

    init(_ comparison: ModelComparison, ok: Bool) {
        self.ok = ok
        differ = comparison.differ
        old = Side(path: comparison.old.path, kind: comparison.old.kind.rawValue, model: comparison.old.model)
        new = Side(path: comparison.new.path, kind: comparison.new.kind.rawValue, model: comparison.new.model)
        let changes = comparison.changes
        unchanged = changes.unchanged
        modified = changes.modified
        added = changes.added
        removed = changes.removed
        renamed = changes.renamed
        summary = ["unchanged": unchanged.count, "modified": modified.count, "added": added.count, "removed": removed.count,
                   "renamed": renamed.count]
    }
}

// MARK: check

struct CheckJSONReport: Encodable {
    let version = reportVersion
    let command = "check"
    var ok: Bool
    /// `pass`, `fail` (a condition failed) or `unchecked` (a license is unknown).
    var verdict: String
    var manifest: String
    var model: String
    var licenses: [String]
    var distribution: String
    var obligations: [Row]
    var warnings: [String]

    struct Row: Encodable {
        var clause: String
        var title: String
        var verdict: String
        var evidence: [String]
        var problems: [String]
    }

    init(_ report: CheckReport, manifest: String) {
        verdict = report.failed ? "fail" : report.unchecked ? "unchecked" : "pass"
        ok = verdict == "pass"
        self.manifest = manifest
        model = report.model
        licenses = report.licenses
        distribution = report.distribution.rawValue
        obligations = report.obligations.map {
            Row(clause: $0.clause, title: $0.title, verdict: Self.word($0.verdict), evidence: $0.evidence, problems: $0.problems)
        }
        warnings = report.warnings
    }

    static func word(_ verdict: Verdict) -> String {
        switch verdict {
        case .pass: return "pass"
        case .fail: return "fail"
        case .notApplicable: return "not-applicable"
        case .declared: return "declared"
        case .unchecked: return "unchecked"
        }
    }
}

// MARK: notices

struct NoticesReport: Encodable {
    let version = reportVersion
    let command = "notices"
    let ok = true
    var model: String
    var written: [Written]
    var noticeCount: Int
    var modifiedFileCount: Int
    var parents: [SignReport.Parent]

    struct Written: Encodable {
        var path: String
        var kind: String
    }
}

// MARK: export

struct ExportReport: Encodable {
    let version = reportVersion
    let command = "export"
    let ok = true
    var format: String
    var manifest: String
    var output: String
    var bytes: Int
}

// MARK: show

struct ShowReport: Encodable {
    let version = reportVersion
    let command = "show"
    var ok = true
    var manifest: String
    var format: String
    var model: String
    var modelVersion: String?
    var rootDigest: String
    var manifestDigest: String
    var createdAt: String?
    var generator: GeneratorRow?
    var distribution: String?
    var license: License?
    var fileCount: Int
    var bytes: Int64
    var roles: [String: Int]
    var files: [File]
    var lineage: Lineage?
    /// Base models named without a signed manifest; absent when there are none.
    var unverifiedReferences: [UnverifiedReferenceRow]?
    var ancestors: [Ancestor]
    var notices: NoticesRow?
    var modifications: [ModificationRow]
    var signatures: [SignatureRow]
    var problems: [String]
    /// The tensor table (`sign --tensors`), rows as the manifest has them; absent when it has none.
    var tensors: [TensorRecord]?

    struct License: Encodable {
        var id: String
        var name: String?
        var files: [FileRef]
    }

    struct FileRef: Encodable {
        var name: String
        var sha256: String
    }

    struct File: Encodable {
        var name: String
        var sha256: String
        var size: Int64?
        var role: String?
    }

    struct Lineage: Encodable {
        var parents: [Parent]
        var derivation: DerivationRow?
        var changes: [FileChanges]
    }

    struct Parent: Encodable {
        var name: String
        var manifestDigest: String
        var rootDigest: String
        var relation: String
        var role: String
        var format: String
        var signers: [String]
        var trustedWhenSigned: Bool
        var embedded: Bool
        var evidence: TensorEvidence?
    }

    struct Ancestor: Encodable {
        var name: String
        var manifestDigest: String
        var rootDigest: String
        var depth: Int
    }

    init(_ summary: ManifestSummary) {
        manifest = summary.manifestPath
        format = summary.format.rawValue
        model = summary.model
        modelVersion = summary.version
        rootDigest = summary.rootDigest
        manifestDigest = summary.manifestDigest
        createdAt = summary.createdAt
        generator = summary.generator.map { GeneratorRow(name: $0.name, version: $0.version) }
        distribution = summary.distribution?.rawValue
        license = summary.license.map {
            License(id: $0.id, name: $0.name, files: $0.files.map { FileRef(name: $0.name.string, sha256: $0.digest.hex) })
        }
        fileCount = summary.files.count
        bytes = summary.totalBytes
        var roles: [String: Int] = [:]
        for file in summary.files { roles[file.role?.rawValue ?? "unknown", default: 0] += 1 }
        self.roles = roles
        files = summary.files.map { File(name: $0.name.string, sha256: $0.digest.hex, size: $0.size, role: $0.role?.rawValue) }
        if !summary.parents.isEmpty || summary.derivation != nil {
            lineage = Lineage(
                parents: summary.parents.map {
                    Parent(name: $0.reference.name, manifestDigest: $0.reference.manifestDigest.hex, rootDigest: $0.reference.rootDigest.hex,
                           relation: $0.reference.relation.rawValue, role: $0.reference.role.rawValue, format: $0.reference.format.rawValue,
                           signers: $0.reference.signers, trustedWhenSigned: $0.reference.trusted, embedded: $0.embedded,
                           evidence: $0.reference.evidence)
                },
                derivation: summary.derivation.map(DerivationRow.init), changes: summary.changes)
        }
        unverifiedReferences = summary.unverifiedReferences.isEmpty
            ? nil : summary.unverifiedReferences.map { UnverifiedReferenceRow(name: $0.name, source: $0.source, relation: $0.relation) }
        ancestors = summary.ancestors.map { Ancestor(name: $0.name, manifestDigest: $0.manifestDigest, rootDigest: $0.rootDigest, depth: $0.depth) }
        notices = summary.notices.map(NoticesRow.init)
        tensors = summary.tensors
        modifications = summary.modifications.map { ModificationRow(files: $0.files, description: $0.description) }
        signatures = summary.signers.map {
            SignatureRow(index: $0.index, keyid: $0.keyid, status: $0.status?.rawValue ?? "unverified", key: $0.key, algorithm: $0.algorithm)
        }
        problems = summary.problems
    }
}

// The manifest's parts as reports write them: the same fields and spellings as the Statement,
// digests as hex (the library's types are not Codable; their wire form is the library's own).

struct GeneratorRow: Encodable {
    var name: String
    var version: String
}

struct ModificationRow: Encodable {
    var files: [String]
    var description: String
}

struct DerivationRow: Encodable {
    var method: String?
    var parameters: [String: String]
    var datasets: [Dataset]
    var tool: Tool?

    struct Dataset: Encodable {
        var name: String
        var digest: String?
    }

    struct Tool: Encodable {
        var name: String
        var version: String?
    }

    init(_ derivation: Derivation) {
        method = derivation.method
        parameters = derivation.parameters
        datasets = derivation.datasets.map { Dataset(name: $0.name, digest: $0.digest) }
        tool = derivation.tool.map { Tool(name: $0.name, version: $0.version) }
    }
}

struct NoticesRow: Encodable {
    var retained: [Retained]
    var added: [Added]
    var dropped: [Dropped]
    var additionalTerms: String?

    struct Origin: Encodable {
        var model: String
        var manifestDigest: String
    }

    struct Added: Encodable {
        var kind: String
        var text: String
    }

    struct Retained: Encodable {
        var kind: String
        var text: String
        var origin: Origin
    }

    struct Dropped: Encodable {
        var kind: String
        var text: String
        var origin: Origin
        var reason: String
    }

    init(_ notices: PedigreeKit.Notices) {
        func origin(_ origin: NoticeOrigin) -> Origin { Origin(model: origin.model, manifestDigest: origin.manifestDigest.hex) }
        retained = notices.retained.map { Retained(kind: $0.kind.rawValue, text: $0.text, origin: origin($0.origin)) }
        added = notices.added.map { Added(kind: $0.kind.rawValue, text: $0.text) }
        dropped = notices.dropped.map { Dropped(kind: $0.kind.rawValue, text: $0.text, origin: origin($0.origin), reason: $0.reason) }
        additionalTerms = notices.additionalTerms
    }
}

/// A base model named without a signed manifest, as the JSON reports list it.
struct UnverifiedReferenceRow: Encodable {
    var name: String
    var source: String
    var relation: String?
}
