import PedigreeCrypto

/// The state of one file after verification.
public enum FileStatusCode: String, Encodable, Sendable {
    /// Present with the signed digest.
    case ok = "OK"
    /// Present with another digest or size.
    case modified = "MODIFIED"
    /// Listed in the manifest, absent from the folder.
    case missing = "MISSING"
    /// Present in the folder, absent from the manifest.
    case unexpected = "UNEXPECTED"
    /// Present but refused or unreadable (a link, a FIFO, a read error, a change mid-read).
    case unreadable = "UNREADABLE"
    /// A Git LFS pointer stands where the file should be: its content was not downloaded
    /// (`lfsPointer` says whether the pointer names the signed content).
    case lfsPointer = "LFS_POINTER"
}

/// What a Git LFS pointer found in place of a listed file points to.
public struct LFSPointerVerdict: Encodable, Sendable, Equatable {
    /// The pointer's `oid`, as hex.
    public var oid: String
    /// The pointer's `size`.
    public var size: Int64
    /// Whether the pointer names the signed digest (and size, where the manifest gives it).
    public var matchesExpected: Bool
}

/// One file's verdict.
///
/// The digests are kept as digests (32 bytes inline) and spelled as hex only when asked: a
/// report on a million files would otherwise hold two million 64-character strings. The
/// fields only a few verdicts carry (`detail`, `lfsPointer`) share one reference, and the
/// digests' presence is two bits rather than two optionals' padding, so a verdict takes 96
/// bytes rather than 152 (`MemoryLayout<FileVerdict>.stride`; a name of up to 15 UTF-8
/// bytes is held inline, a longer one shares the manifest's storage).
public struct FileVerdict: Encodable, Sendable, Equatable {
    public var name: String
    private var expectedBytes: SHA256Digest
    private var actualBytes: SHA256Digest
    /// `detail` and `lfsPointer`, when either is given.
    private var rare: Rare?
    public var status: FileStatusCode
    /// Bit 0: `expectedDigest` is given; bit 1: `actualDigest` is given.
    private var present: UInt8

    /// What an absent digest's bytes hold (never read: `present` says it is absent).
    private static let placeholder = SHA256.hash([UInt8]())

    /// What few verdicts carry, held once behind a reference.
    private final class Rare: Sendable, Equatable {
        let detail: String?
        let lfsPointer: LFSPointerVerdict?

        init(detail: String?, lfsPointer: LFSPointerVerdict?) {
            self.detail = detail
            self.lfsPointer = lfsPointer
        }

        /// `nil` when neither is given, so a verdict without them holds no reference.
        static func make(detail: String?, lfsPointer: LFSPointerVerdict?) -> Rare? {
            detail == nil && lfsPointer == nil ? nil : Rare(detail: detail, lfsPointer: lfsPointer)
        }

        static func == (lhs: Rare, rhs: Rare) -> Bool { lhs.detail == rhs.detail && lhs.lfsPointer == rhs.lfsPointer }
    }

    /// The digest the manifest lists, for a file the manifest lists.
    public var expectedDigest: SHA256Digest? {
        get { present & 1 != 0 ? expectedBytes : nil }
        set {
            expectedBytes = newValue ?? Self.placeholder
            present = newValue == nil ? present & ~1 : present | 1
        }
    }
    /// The digest the file was read with, for a file that was read.
    public var actualDigest: SHA256Digest? {
        get { present & 2 != 0 ? actualBytes : nil }
        set {
            actualBytes = newValue ?? Self.placeholder
            present = newValue == nil ? present & ~2 : present | 2
        }
    }
    /// Why the file could not be read, for `UNREADABLE`; what a pointer means, for `LFS_POINTER`.
    public var detail: String? {
        get { rare?.detail }
        set { rare = Rare.make(detail: newValue, lfsPointer: rare?.lfsPointer) }
    }
    /// The Git LFS pointer found in place of the file, for `LFS_POINTER`.
    public var lfsPointer: LFSPointerVerdict? {
        get { rare?.lfsPointer }
        set { rare = Rare.make(detail: rare?.detail, lfsPointer: newValue) }
    }

    /// `expectedDigest` as 64 lowercase hex digits.
    public var expected: String? { expectedDigest?.hex }
    /// `actualDigest` as 64 lowercase hex digits.
    public var actual: String? { actualDigest?.hex }

    init(
        name: String, status: FileStatusCode, expectedDigest: SHA256Digest? = nil, actualDigest: SHA256Digest? = nil,
        detail: String? = nil, lfsPointer: LFSPointerVerdict? = nil
    ) {
        self.name = name
        self.status = status
        expectedBytes = expectedDigest ?? Self.placeholder
        actualBytes = actualDigest ?? Self.placeholder
        present = (expectedDigest == nil ? 0 : 1) | (actualDigest == nil ? 0 : 2)
        rare = Rare.make(detail: detail, lfsPointer: lfsPointer)
    }

    public static func == (lhs: FileVerdict, rhs: FileVerdict) -> Bool {
        lhs.name == rhs.name && lhs.status == rhs.status && lhs.expectedDigest == rhs.expectedDigest
            && lhs.actualDigest == rhs.actualDigest && lhs.detail == rhs.detail && lhs.lfsPointer == rhs.lfsPointer
    }

    enum CodingKeys: String, CodingKey {
        case name, status, expected, actual, detail, lfsPointer
    }

    /// The fields as the synthesized encoding wrote them when the digests were strings:
    /// absent ones left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(expected, forKey: .expected)
        try container.encodeIfPresent(actual, forKey: .actual)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(lfsPointer, forKey: .lfsPointer)
    }
}

/// The signer a validated certificate chain names (OMS certificate method).
public struct CertificateSignerReport: Encodable, Sendable, Equatable {
    /// The leaf's subject, RFC 4514 text (may be empty when the SANs name the signer).
    public var subject: String
    /// The leaf's subject alternative names, as OpenSSL prints them (`email:…`, `URI:…`).
    public var subjectAlternativeNames: [String]
    public var issuer: String
    /// The trusted CA the chain ends at.
    public var anchor: String
    public var notBefore: String
    public var notAfter: String
}

/// How far an embedded ancestor's signature is trusted.
public enum AncestorTrust: String, Encodable, Sendable, Equatable {
    /// Signed by a trusted key.
    case trusted
    /// Signed only by keys that are not trusted: the descendant vouches for it by digest alone.
    case untrusted
    /// A signature names a trusted key but does not verify: it was altered.
    case invalid
}

/// One ancestor in the embedded chain and its trust.
public struct AncestorVerdict: Encodable, Sendable, Equatable {
    public var name: String
    public var manifestDigest: String
    public var rootDigest: String
    public var format: ManifestFormat
    /// 1 for a parent, 2 for a grandparent, …
    public var depth: Int
    public var trust: AncestorTrust
    public var signatures: [SignatureResult]
}

/// One thing wrong with a manifest or its folder, and what kind of thing it is.
public struct Finding: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The bundle or Statement cannot be read.
        case structure
        /// A resource name that is not a safe relative path: nothing is opened.
        case unsafeName
        /// The manifest contradicts itself (duplicates, a subject that does not match).
        case consistency
        /// The embedded chain does not hold together, or an ancestor's signature is invalid.
        case chain
        /// A signature names a trusted key and does not verify.
        case invalidSignature
        /// No signature is by a trusted key.
        case untrusted
        /// The folder cannot be read, or nothing matches `--only`.
        case folder
        /// A bound on the work one run does was reached (signature verifications): what was
        /// left unchecked cannot count for the manifest.
        case limit
        /// A file's tensors are not those the manifest's tensor table lists, or cannot be read.
        case tensors
        /// The evidence signed for a parent is not what its weights give (`verify --evidence`).
        case evidence
    }

    public var kind: Kind
    public var message: String
}

/// Everything `verify` found out about a folder and its manifest.
public struct VerificationReport: Encodable, Sendable {
    public var manifest: String
    public var format: ManifestFormat?
    public var model: String?
    public var rootDigest: String?
    public var manifestDigest: String?
    public var signatures: [SignatureResult] = []
    /// Failures of the manifest itself: structure, statement, unsafe names, subject digest,
    /// chain, signatures.
    public var findings: [Finding] = []
    /// The findings' messages.
    public var problems: [String] { findings.map(\.message) }
    public var files: [FileVerdict] = []
    /// The embedded ancestors, nearest first.
    public var ancestors: [AncestorVerdict] = []
    /// The `--only` patterns, when only a subset was verified.
    public var only: [String]?
    /// How many files the manifest lists in all.
    public var listed: Int = 0
    /// How the folder's symbolic links were treated; `nil` when the folder was not walked.
    public var links: LinkMode?
    /// How many signature verifications the run performed (not part of the JSON report).
    public var signatureVerifications: Int = 0
    /// What the manifest says about digests supplied in a list (`sign --digests`), if it says so.
    public var suppliedDigests: SuppliedDigests?
    /// Files whose digest was taken from the digest cache instead of being read (`verify
    /// --trust-cache`); `nil` when every file was read.
    public var reusedFromCache: Int?
    /// For a bundle signed with the certificate method whose chain validated: who signed.
    public var certificateSigner: CertificateSignerReport?
    /// With `--ignore-unsigned-files` (OMS v1.0 §8.5): how many files present but not in the
    /// manifest were let pass; `nil` without it.
    public var unsignedIgnored: Int?
    /// Rows of the manifest's tensor table re-read and re-digested from the files; `nil` when
    /// the manifest has no tensor table.
    public var tensorsChecked: Int?
    /// Parents whose signed evidence was recomputed (`verify --evidence`); `nil` when none was asked.
    public var evidenceChecked: Int?
    /// True only when the manifest is sound, trusted, and every selected file is OK.
    public var verified: Bool { problems.isEmpty && !files.isEmpty && files.allSatisfy { $0.status == .ok } }

    enum CodingKeys: String, CodingKey {
        case manifest, format, model, rootDigest, manifestDigest, signatures, ancestors, problems, files, only, listed, verified
        case links
        case suppliedDigests, reusedFromCache, unsignedIgnored, certificateSigner, tensorsChecked, evidenceChecked
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(manifest, forKey: .manifest)
        try container.encodeIfPresent(format, forKey: .format)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encodeIfPresent(rootDigest, forKey: .rootDigest)
        try container.encodeIfPresent(manifestDigest, forKey: .manifestDigest)
        try container.encode(signatures, forKey: .signatures)
        try container.encode(ancestors, forKey: .ancestors)
        try container.encode(problems, forKey: .problems)
        try container.encode(files, forKey: .files)
        try container.encodeIfPresent(only, forKey: .only)
        try container.encode(listed, forKey: .listed)
        try container.encodeIfPresent(links, forKey: .links)
        try container.encode(verified, forKey: .verified)
        try container.encodeIfPresent(suppliedDigests, forKey: .suppliedDigests)
        try container.encodeIfPresent(reusedFromCache, forKey: .reusedFromCache)
        try container.encodeIfPresent(unsignedIgnored, forKey: .unsignedIgnored)
        try container.encodeIfPresent(certificateSigner, forKey: .certificateSigner)
        try container.encodeIfPresent(tensorsChecked, forKey: .tensorsChecked)
        try container.encodeIfPresent(evidenceChecked, forKey: .evidenceChecked)
    }

    /// Recomputes the evidence signed for the parent in each of `parentFolders` against the
    /// weights in `folder` (`verify --evidence`), adding a finding for every field that differs.
    public mutating func recheckEvidence(folder: String, manifestPath: String, parentFolders: [String]) {
        guard !parentFolders.isEmpty else { return }
        evidenceChecked = 0
        let manifest: SignedManifest
        do throws(ManifestError) {
            manifest = try ModelChain.load(manifestPath).manifest
        } catch {
            return  // the manifest's own findings already say why it cannot be read
        }
        for parentFolder in parentFolders {
            do throws(EvidenceError) {
                let differences = try ParentEvidence.recheck(manifest: manifest, childFolder: folder, parentFolder: parentFolder)
                findings += differences.map { Finding(kind: .evidence, message: $0) }
                if differences.isEmpty { evidenceChecked = (evidenceChecked ?? 0) + 1 }
            } catch {
                findings.append(Finding(kind: .evidence, message: "--evidence \(printable(parentFolder)): \(error.description)"))
            }
        }
    }

    /// The number of files with each status.
    public func count(_ status: FileStatusCode) -> Int { files.count { $0.status == status } }
}

/// Checks a model folder against its signed manifest.
public struct ManifestVerifier: Sendable {
    public var keys: [TrustedKey]
    /// Verify only the files matching one of these patterns (`--only`).
    public var only: [Glob]
    public var engine: HashEngine

    /// Use the manifest's ignore patterns and link setting even when no signature is trusted.
    ///
    /// Off by default: those come from the manifest, so only a trusted signer may set them.
    /// A signer about to countersign or re-sign a manifest may turn it on, vouching for them
    /// (`Countersigner` does so only when told to, and says which patterns it used).
    public var acceptUntrustedSerialization: Bool

    /// Fail unless every ancestor in the chain is signed by a trusted key
    /// (`verify --require-trusted-chain`); by default an untrusted ancestor is reported and
    /// the model's own trusted signature vouches for it by digest.
    public var requireTrustedChain: Bool

    /// The most signature verifications one `verify` performs.
    public var signatureLimit: Int

    /// Follow links that stay inside the folder (`verify --follow-symlinks`) even when the
    /// manifest was not made so. A Hub cache snapshot's links into its `blobs/` are followed
    /// either way (`ModelFolder.linkPolicy()`).
    public var followSymlinks: Bool

    /// Paths left out at verification time (`verify --ignore`), on top of the manifest's own:
    /// patterns (`Glob`) for a pedigree manifest, literal relative paths for an OMS bundle
    /// (OMS v1.0 §6.2.1: exact paths from the model root, a folder with its subtree). A listed
    /// file they leave out is MISSING, as model_signing reports it.
    public var ignore: [String] = []

    /// CA certificates a bundle signed with the certificate method must chain to (`verify
    /// --trusted-ca`); none means certificate-signed bundles are not trusted.
    public var anchors: [Certificate] = []

    /// When the signing certificate must be valid: `.now` by default (OMS v1.0 §8.2: "the leaf
    /// certificate MUST be within its validity period"), or `.leafNotBefore` as model_signing
    /// 1.1.1 checks (an expired leaf then passes).
    public var certificateTime: ChainValidationPolicy.Time = .now

    /// Files present but not in the manifest do not fail verification (OMS v1.0 §8.5,
    /// `--ignore-unsigned-files`); they are counted in `VerificationReport.unsignedIgnored`.
    public var ignoreUnsignedFiles = false

    /// The most files one call of the hash engine reads (`defaultHashBatch`; tests make it small).
    var hashBatch = Self.defaultHashBatch

    /// The most ignore-pattern bytes a manifest may carry.
    public static let ignorePatternBudget = Limits.ignorePatternBytes

    public init(
        keys: [TrustedKey], only: [Glob] = [], engine: HashEngine = HashEngine(), acceptUntrustedSerialization: Bool = false,
        requireTrustedChain: Bool = false, signatureLimit: Int = Limits.signatureVerificationsPerRun,
        followSymlinks: Bool = false, ignore: [String] = [], ignoreUnsignedFiles: Bool = false, anchors: [Certificate] = [],
        certificateTime: ChainValidationPolicy.Time = .now
    ) {
        self.followSymlinks = followSymlinks
        self.anchors = anchors
        self.certificateTime = certificateTime
        self.ignore = ignore
        self.ignoreUnsignedFiles = ignoreUnsignedFiles
        self.keys = keys
        self.only = only
        self.engine = engine
        self.acceptUntrustedSerialization = acceptUntrustedSerialization
        self.requireTrustedChain = requireTrustedChain
        self.signatureLimit = signatureLimit
    }

    /// Verifies `folder` against the manifest at `manifestPath`.
    ///
    /// Order: the bundle's structure; the model's own signatures (before any ancestor's, all
    /// from one `SignatureBudget`); the Statement, every resource name (all before any file
    /// is opened), the subject digest; the embedded chain; then the folder is re-hashed and
    /// every file reported. A listed file whose size differs from the signed size is MODIFIED
    /// without being read. Files are opened one component at a time beneath the folder
    /// without following links (unless the manifest was made with links followed, and then
    /// only links that stay inside), so no name in a manifest can make this read outside it.
    public func verify(folder: String, manifestPath: String, progress: ByteCounter? = nil) -> VerificationReport {
        let bundle: ManifestBundle
        do {
            bundle = try ManifestBundle.load(manifestPath)
        } catch {
            var report = VerificationReport(manifest: manifestPath)
            if !only.isEmpty { report.only = only.map(\.pattern) }
            report.findings.append(Finding(kind: .structure, message: "\(manifestPath): \(error)"))
            return report
        }
        // Handed over, not copied: the bundle (and its decoded payload) is let go before the walk.
        return verifyCounting(folder: folder, bundle: consume bundle, manifestPath: manifestPath, progress: progress)
    }

    /// Verifies `folder` against `bundle`, already read from `manifestPath` (which is named in
    /// the report and left out of the folder's files): for a caller that goes on to use the
    /// very bundle it checked, such as a countersigner, so the file is not read twice.
    public func verify(folder: String, bundle: ManifestBundle, manifestPath: String, progress: ByteCounter? = nil) -> VerificationReport {
        verifyCounting(folder: folder, bundle: bundle, manifestPath: manifestPath, progress: progress)
    }

    /// `verify` with the run's signature budget, its count kept in the report.
    private func verifyCounting(
        folder: String, bundle: consuming ManifestBundle, manifestPath: String, progress: ByteCounter?
    ) -> VerificationReport {
        let budget = SignatureBudget(limit: signatureLimit)
        var report = VerificationReport(manifest: manifestPath)
        if !only.isEmpty { report.only = only.map(\.pattern) }
        let plan = checkManifest(bundle: bundle, manifestPath: manifestPath, budget: budget, into: &report)
        // The bundle, its payload and the Statement's tree are no longer needed: the folder is
        // checked against the plan alone, so they are not held while the folder is walked.
        _ = consume bundle
        if let plan {
            report.files = checkFiles(folder: folder, plan: plan, manifestPath: manifestPath, progress: progress,
                                      findings: &report.findings, links: &report.links,
                                      unsignedIgnored: &report.unsignedIgnored, tensorsChecked: &report.tensorsChecked)
        }
        report.signatureVerifications = budget.performed
        return report
    }

    /// What checking the folder needs from a manifest: its entries, its tensor table and how to
    /// walk the folder. Held instead of the `SignedManifest`, whose envelope keeps the payload.
    struct FilePlan {
        var format: ManifestFormat
        var entries: [ManifestEntry]
        var tensors: [TensorRecord]?
        var ignore: [String]
        var followSymlinks: Bool
        var overBudget: Bool
    }

    /// Checks the bundle itself — structure, signatures, names, consistency, the embedded
    /// chain — into `report`, and returns what the folder is then checked against; `nil` when
    /// the manifest cannot be read far enough to check any file.
    private func checkManifest(
        bundle: ManifestBundle, manifestPath: String, budget: SignatureBudget, into report: inout VerificationReport
    ) -> FilePlan? {
        if let material = bundle.verificationMaterial, material.method == .sigstore {
            // OMS v1.0 §4.1, §8.2: keyless signing is verified against Fulcio and Rekor, which
            // pedigree does not do; say what the bundle is instead of "an unknown key".
            report.findings.append(Finding(kind: .untrusted, message: Self.sigstoreMessage(material)))
            return nil
        }
        var signingKeys = keys
        var keyMismatch: Finding?
        let material = bundle.verificationMaterial
        if let material, material.method == .certificate {
            // OMS v1.0 §8.2: validate the chain against the trusted CAs, then verify the
            // signature with the leaf's key, and only with it.
            signingKeys = []
            switch certificateSigner(material) {
            case .success(let signer):
                report.certificateSigner = signer.report
                signingKeys = [signer.key]
            case .failure(let finding):
                keyMismatch = finding
            }
        } else if keys.isEmpty, !anchors.isEmpty {
            keyMismatch = Finding(
                kind: .untrusted,
                message: "the bundle is signed with a bare key (method key), not a certificate: --trusted-ca cannot verify it; "
                    + "give the signer's public key with --trusted-key FILE")
        } else if let material, material.method == .key,
           material.publicKeyHint != nil || material.publicKeyRawBytes != nil {
            // model_signing 1.1.1 compares the hint with the key it is given ("Key mismatch");
            // with several trusted keys, the hint picks the one that may have signed.
            signingKeys = keys.filter { material.names($0.key) }
            if signingKeys.isEmpty { keyMismatch = Finding(kind: .untrusted, message: Self.keyMismatchMessage(material)) }
        }
        let signatures = bundle.dsseEnvelope.checkSignatures(keys: signingKeys, budget: budget)
        let chain: ModelChain
        do {
            chain = try ModelChain(bundle: bundle)
        } catch {
            if case .unsafeNames(let problems) = error {
                // A name that is not a safe relative path stops here: no file is opened for it or any other.
                report.findings += problems.map { Finding(kind: .unsafeName, message: $0) }
                report.signatures = signatures
                report.findings += keyMismatch.map { [$0] } ?? signatureFindings(signatures)
            } else {
                report.findings.append(Finding(kind: .structure, message: "\(manifestPath): \(error)"))
            }
            return nil
        }
        let manifest = chain.manifest
        report.format = manifest.format
        report.model = manifest.name
        report.rootDigest = manifest.rootDigest.hex
        report.manifestDigest = manifest.manifestDigest.hex
        report.listed = manifest.entries.count
        report.suppliedDigests = manifest.predicate?.suppliedDigests

        report.findings += manifest.contradictions().map { Finding(kind: .consistency, message: $0) }
        report.signatures = signatures
        report.findings += keyMismatch.map { [$0] } ?? signatureFindings(signatures)
        checkAncestors(chain, budget: budget, into: &report)
        if budget.refusedCount > 0 {
            report.findings.append(Finding(
                kind: .limit,
                message: "signature checks stopped after \(budget.limit) verifications, the most one run performs; "
                    + "\(budget.refusedCount) more were not made, so the signatures they concern are unchecked"))
        }

        let trusted = report.signatures.isTrusted || acceptUntrustedSerialization
        let walk = Self.walkSettings(for: manifest, trusted: trusted)
        return FilePlan(
            format: manifest.format, entries: manifest.entries, tensors: manifest.predicate?.tensors, ignore: walk.ignore,
            followSymlinks: walk.followSymlinks, overBudget: walk.overBudget)
    }

    /// Walks the embedded chain: every parent reference must resolve to an embedded manifest
    /// with the name and root it names, and every ancestor's signatures are checked, nearest
    /// first, from `budget`.
    private func checkAncestors(_ chain: ModelChain, budget: SignatureBudget, into report: inout VerificationReport) {
        report.findings += chain.problems().map { Finding(kind: .chain, message: $0) }
        for (ancestor, depth) in chain.lineage() {
            let signatures = ancestor.envelope.checkSignatures(keys: keys, budget: budget)
            let trust = signatures.trust
            let who = "ancestor \(printable(ancestor.name)) (manifest \(ancestor.manifestDigest.hex.prefix(12))…)"
            if trust == .invalid {
                report.findings.append(Finding(
                    kind: .chain, message: "\(who): a signature does not verify with the trusted key it names"))
            } else if trust == .untrusted, requireTrustedChain {
                report.findings.append(Finding(
                    kind: .untrusted,
                    message: "\(who): not signed by a trusted key, and --require-trusted-chain asks every ancestor to be"))
            }
            report.ancestors.append(AncestorVerdict(
                name: ancestor.name, manifestDigest: ancestor.manifestDigest.hex, rootDigest: ancestor.rootDigest.hex,
                format: ancestor.format, depth: depth, trust: trust, signatures: signatures))
        }
    }

    /// The signer of a certificate-method bundle once its chain validated against `anchors`,
    /// or the finding that says why not (no anchors given, a malformed certificate, a chain
    /// that does not validate).
    private func certificateSigner(_ material: VerificationMaterial) -> Result<(key: TrustedKey, report: CertificateSignerReport), Finding> {
        let chain: CertificateChain
        do {
            chain = try CertificateChain(derEncoded: material.certificateChain ?? [])
        } catch {
            return .failure(Finding(kind: .structure, message: "verificationMaterial.x509CertificateChain: \(error)"))
        }
        guard !anchors.isEmpty else {
            return .failure(Finding(
                kind: .untrusted,
                message: "the bundle is signed with a certificate (method certificate) for \(printable(chain.leaf.identity.description)); "
                    + "verify it against its CA with --trusted-ca FILE"))
        }
        do {
            let validated = try chain.validate(anchors: anchors, policy: ChainValidationPolicy(time: certificateTime))
            let identity = validated.identity
            let report = CertificateSignerReport(
                subject: identity.subject, subjectAlternativeNames: identity.subjectAlternativeNames.map(\.description),
                issuer: validated.leaf.issuer, anchor: validated.anchor.subject,
                notBefore: Timestamp.format(Int(validated.leaf.notBefore.timeIntervalSince1970)), notAfter: Timestamp.format(Int(validated.leaf.notAfter.timeIntervalSince1970)))
            return .success((TrustedKey(key: validated.publicKey, label: "certificate \(identity.description)"), report))
        } catch {
            return .failure(Finding(kind: .untrusted, message: "the signing certificate \(printable(chain.leaf.identity.description)) is not trusted: \(error)"))
        }
    }

    /// The bundle names its key (by hint or raw bytes) and no trusted key is that key.
    static func keyMismatchMessage(_ material: VerificationMaterial) -> String {
        let named = material.publicKeyHint.map { "public-key hint \(printable(String($0.prefix(16))))…" } ?? "public key (rawBytes)"
        return "Key mismatch: the bundle's \(named) names none of the trusted keys; it was signed with another key"
    }

    /// "Sigstore keyless bundle (Fulcio certificate for IDENTITY); …": the identity is the
    /// certificate's subject alternative names (Fulcio leaves the subject empty), or its
    /// subject, or a word that the certificate could not be read.
    static func sigstoreMessage(_ material: VerificationMaterial) -> String {
        var identity = "an unreadable certificate"
        if let der = material.sigstoreCertificate, let certificate = try? Certificate(derEncoded: der) {
            let names = certificate.subjectAlternativeNames.map { name -> String in
                switch name {
                case let .email(value), let .uri(value), let .dns(value), let .ipAddress(value): return value
                case let .other(kind): return kind
                }
            }
            identity = names.isEmpty ? certificate.identity.description : names.joined(separator: ", ")
        }
        return "Sigstore keyless bundle (Fulcio certificate for \(printable(identity))); pedigree verifies key and certificate bundles"
    }

    private func signatureFindings(_ results: [SignatureResult]) -> [Finding] {
        var findings: [Finding] = []
        for result in results where result.status == .invalid {
            findings.append(Finding(
                kind: .invalidSignature,
                message: "signature \(result.index) does not verify with the trusted key \(result.key ?? "?") "
                    + "it names: the signed payload or the signature was altered"))
        }
        if !results.contains(where: { $0.status == .trusted }) {
            let ids = results.map { $0.keyid.isEmpty ? "(no key id)" : printable(String($0.keyid.prefix(16))) + "…" }
            findings.append(Finding(kind: .untrusted, message: "no signature is by a trusted key (signed by \(ids.joined(separator: ", ")))"))
        }
        return findings
    }

    private func selected(_ name: String) -> Bool {
        only.isEmpty || only.contains { $0.matches(name) }
    }

    /// How a folder is walked to check it against `manifest`: with the manifest's own ignore
    /// patterns and link setting when `trusted` (and they are within the budget), else with
    /// the defaults and links refused.
    public static func walkSettings(
        for manifest: SignedManifest, trusted: Bool
    ) -> (ignore: [String], followSymlinks: Bool, overBudget: Bool) {
        let defaults = manifest.format == .oms ? ModelFolder.omsDefaultIgnores + ["pedigree.json"] : ModelFolder.defaultIgnores
        guard trusted else { return (defaults, false, false) }
        let given = manifest.serialization.ignorePaths
        guard given.reduce(0, { $0 + $1.utf8.count }) <= Self.ignorePatternBudget else { return (defaults, false, true) }
        switch manifest.format {
        case .pedigree:
            return (given, manifest.serialization.allowSymlinks, false)
        case .oms:
            // `model_signing` always leaves out the top-level git files; its ignore_paths are
            // literal paths, not patterns. pedigree's own manifest beside it is never model content.
            return (defaults + given.map(Glob.escape), manifest.serialization.allowSymlinks, false)
        }
    }

    /// What a manifest's own serialization changes from the walk an untrusted manifest gets:
    /// the patterns it adds to the defaults, and whether it follows links. Empty and `false`
    /// when the manifest walks the folder as the defaults do.
    public static func serializationBeyondDefaults(_ manifest: SignedManifest) -> (patterns: [String], followsLinks: Bool) {
        let defaults = walkSettings(for: manifest, trusted: false).ignore
        let own = walkSettings(for: manifest, trusted: true)
        return (own.ignore.filter { !defaults.contains($0) }, own.followSymlinks)
    }

    /// The most files one call of the hash engine reads by default: a batch's jobs and results
    /// are held at once, so a folder of a million files never has a job and a result for each.
    static let defaultHashBatch = 1 << 15

    /// One listed file to read: its verdict's index, its file's index in the walk and its
    /// entry's index in the manifest.
    private struct Read {
        var verdict: Int
        var file: Int
        var entry: Int
    }

    private func checkFiles(
        folder: String, plan: FilePlan, manifestPath: String, progress: ByteCounter?,
        findings: inout [Finding], links: inout LinkMode?, unsignedIgnored: inout Int?, tensorsChecked: inout Int?
    ) -> [FileVerdict] {
        var ignore = plan.ignore
        if plan.overBudget {
            findings.append(Finding(
                kind: .consistency,
                message: "the manifest's ignore_paths exceed \(Self.ignorePatternBudget) bytes; the defaults were used instead"))
        }
        ignore += self.ignore.map { plan.format == .oms ? Glob.escape($0) : $0 }
        // The manifest being verified is never part of the model, wherever it sits.
        if let inside = relativePath(of: manifestPath, inside: folder) { ignore.append(Glob.escape(inside)) }
        let model = ModelFolder(path: folder, ignorePatterns: ignore, followSymlinks: plan.followSymlinks || self.followSymlinks)
        links = model.linkMode
        var scan: (files: [(name: String, job: HashJob)], problems: [FileError])
        do {
            scan = try model.scan()
        } catch {
            findings.append(Finding(kind: .folder, message: "cannot read the folder: \(error)"))
            return []
        }
        if plan.format == .oms, plan.followSymlinks || self.followSymlinks {
            // OMS v1.0 §6.1.1: links to folders (and cycles) are not part of the model.
            let filtered = OMSEnumeration.filter(scan, root: folder)
            scan = (filtered.files, filtered.problems)
        }
        // The walk's files are found by name in the walk's own list (no dictionary of every
        // name), and whether the manifest lists each is one flag per file.
        var walk = WalkLookup(scan.files)
        var refused: [ByteKey: Int] = [:]
        for (index, error) in scan.problems.enumerated() where selected(error.path) { refused[ByteKey(error.path)] = index }
        var listedFiles = [Bool](repeating: false, count: scan.files.count)
        var listedProblems = [Bool](repeating: false, count: scan.problems.count)

        let entries = plan.entries
        var verdicts: [FileVerdict] = []
        verdicts.reserveCapacity(entries.count)
        var reads: [Read] = []
        reads.reserveCapacity(entries.count)
        var expectedBytes: Int64 = 0
        for (entryIndex, entry) in entries.enumerated() where selected(entry.name.string) {
            let name = entry.name.string
            let fileIndex = walk.find(name)
            let problemIndex = refused.isEmpty ? nil : refused[ByteKey(name)]
            if let fileIndex { listedFiles[fileIndex] = true }
            if let problemIndex { listedProblems[problemIndex] = true }
            var verdict = FileVerdict(name: name, status: .missing, expectedDigest: entry.digest)
            if let fileIndex {
                let job = scan.files[fileIndex].job
                if let size = entry.size, size != job.sizeHint {
                    // Its size alone proves it changed: reading it would only cost time (a
                    // sparse file can claim terabytes). One small enough to be a Git LFS
                    // pointer is read to say so.
                    verdict.status = .modified
                    Self.recognisePointer(&verdict, job: job, entry: entry)
                } else {
                    reads.append(Read(verdict: verdicts.count, file: fileIndex, entry: entryIndex))
                    expectedBytes += max(0, job.sizeHint)
                }
            } else if let problemIndex {
                verdict.status = .unreadable
                verdict.detail = scan.problems[problemIndex].reasonText
            }
            verdicts.append(verdict)
        }
        var engine = self.engine
        var tensorFiles: [(name: String, job: HashJob)] = []
        var tableFiles = Set<String>()
        var collector: TensorTableCollector?
        if let table = plan.tensors {
            tableFiles = Set(table.map(\.file))
            for name in tableFiles.sorted() where TensorTableCollector.format(of: name) == nil {
                findings.append(Finding(kind: .tensors, message: "the tensor table lists '\(printable(name))', which is not a safetensors or GGUF file"))
            }
            tensorFiles = reads.compactMap { read in
                let name = entries[read.entry].name.string
                return tableFiles.contains(name) ? (name, scan.files[read.file].job) : nil
            }
            let made = ModelSigner.tensorCollector(tensorFiles, engine: engine)
            engine.observers = made
            collector = made
        }
        // The files are read a batch at a time; the bytes of all of them are announced once,
        // and each batch's own announcement by the engine is taken back, so a progress display
        // counts towards the whole folder from the start.
        progress?.expect(expectedBytes)
        var tensorResults: [String: Result<FileDigest, FileError>] = [:]
        var tensorExpected: [String: SHA256Digest] = [:]
        var start = reads.startIndex
        while start < reads.endIndex {
            let batch = reads[start..<min(start + max(1, hashBatch), reads.endIndex)]
            start = batch.endIndex
            let jobs = batch.map { scan.files[$0.file].job }
            progress?.expect(-jobs.reduce(0) { $0 + max(0, $1.sizeHint) })
            let results = engine.hash(jobs, progress: progress)
            for (read, result) in zip(batch, results) {
                let entry = entries[read.entry]
                switch result {
                case .success(let file):
                    verdicts[read.verdict].actualDigest = file.digest
                    let sizeMatches = entry.size.map { $0 == file.size } ?? true
                    if file.digest == entry.digest && sizeMatches {
                        verdicts[read.verdict].status = .ok
                    } else {
                        // A MODIFIED file small enough to be a Git LFS pointer is read once more to say so.
                        verdicts[read.verdict].status = .modified
                        Self.recognisePointer(&verdicts[read.verdict], job: scan.files[read.file].job, entry: entry)
                    }
                case .failure(let error):
                    verdicts[read.verdict].status = .unreadable
                    verdicts[read.verdict].detail = error.reasonText
                }
                let name = entry.name.string
                if tableFiles.contains(name), tensorResults[name] == nil {
                    tensorResults[name] = result
                    tensorExpected[name] = entry.digest
                }
            }
        }
        reads = []
        if let collector, let table = plan.tensors {
            let read = Set(tensorFiles.compactMap { collector.table(for: $0.job.displayPath) != nil ? $0.name : nil })
            tensorsChecked = table.count { read.contains($0.file) }
            findings += Self.checkTensors(table, collector: collector, files: tensorFiles, results: tensorResults, expected: tensorExpected)
        }
        var unsigned = 0
        for (index, file) in scan.files.enumerated() where !listedFiles[index] && selected(file.name) {
            if ignoreUnsignedFiles { unsigned += 1 } else { verdicts.append(FileVerdict(name: file.name, status: .unexpected)) }
        }
        for error in scan.problems where selected(error.path) && !(refused[ByteKey(error.path)].map { listedProblems[$0] } ?? false) {
            if ignoreUnsignedFiles {
                unsigned += 1
            } else {
                verdicts.append(FileVerdict(name: error.path, status: .unexpected, detail: error.reasonText))
            }
        }
        if ignoreUnsignedFiles { unsignedIgnored = unsigned }
        if verdicts.isEmpty, !only.isEmpty {
            findings.append(Finding(
                kind: .folder,
                message: "no file of the manifest or the folder matches --only \(only.map(\.pattern).joined(separator: ", "))"))
        }
        return verdicts
    }
}

/// Finds names among a walk's files by their bytes without a dictionary of every name.
///
/// The walk lists a folder in `RelativePath.precedes` order, the order the manifest lists its
/// resources in, so a cursor that moves past each file found answers the usual lookup with one
/// comparison; any other lookup (a missing file, a manifest in another order) is a binary
/// search. Files the walk did not list in that order are looked up through a sorted index.
struct WalkLookup {
    private let files: [(name: String, job: HashJob)]
    /// The files' indices in `precedes` order; `nil` when the walk listed them so.
    private let order: [Int]?
    private var cursor = 0

    init(_ files: [(name: String, job: HashJob)]) {
        self.files = files
        let sorted = files.indices.dropFirst().allSatisfy { RelativePath.precedes(files[$0 - 1].name, files[$0].name) }
        order = sorted ? nil : files.indices.sorted { RelativePath.precedes(files[$0].name, files[$1].name) }
    }

    private func index(at position: Int) -> Int { order?[position] ?? position }

    /// The index in the walk of the file named `name` (compared byte for byte), if it is there.
    mutating func find(_ name: String) -> Int? {
        let count = files.count
        if cursor < count, ByteKey(files[index(at: cursor)].name) == ByteKey(name) {
            cursor += 1
            return index(at: cursor - 1)
        }
        var low = 0
        var high = count
        while low < high {
            let middle = low + (high - low) / 2
            if RelativePath.precedes(files[index(at: middle)].name, name) { low = middle + 1 } else { high = middle }
        }
        cursor = low
        guard low < count, ByteKey(files[index(at: low)].name) == ByteKey(name) else { return nil }
        cursor = low + 1
        return index(at: low)
    }
}

extension ManifestVerifier {
    /// Turns a MODIFIED verdict into `LFS_POINTER` when the file is a Git LFS pointer (read
    /// only when it is smaller than `LFSPointer.maximumBytes`), saying whether it points to the
    /// signed content or to other content.
    static func recognisePointer(_ verdict: inout FileVerdict, job: HashJob, entry: ManifestEntry) {
        guard job.sizeHint < LFSPointer.maximumBytes,
            let bytes = try? readSmallFile(from: job.source, displayPath: job.displayPath, limit: LFSPointer.maximumBytes),
            let pointer = try? LFSPointer(parsing: bytes)
        else { return }
        let matches = pointer.oid == entry.digest && (entry.size.map { $0 == pointer.size } ?? true)
        verdict.status = .lfsPointer
        verdict.lfsPointer = LFSPointerVerdict(oid: pointer.oid.hex, size: pointer.size, matchesExpected: matches)
        verdict.detail = matches
            ? "LFS pointer, content not downloaded — run git lfs pull"
            : "LFS pointer to other content (sha256:\(pointer.oid.hex.prefix(12))…, \(pointer.size) bytes), not the signed file"
    }

    /// Findings for each file of the signed tensor table read with its signed digest: the
    /// tensors re-read from its header and re-digested in the same pass must be the rows the
    /// manifest lists. A file that is modified or unreadable is reported by its own verdict.
    static func checkTensors(
        _ table: [TensorRecord], collector: TensorTableCollector, files: [(name: String, job: HashJob)],
        results: [String: Result<FileDigest, FileError>], expected: [String: SHA256Digest]
    ) -> [Finding] {
        var findings: [Finding] = []
        for file in files {
            guard case .success(let digest)? = results[file.name], digest.digest == expected[file.name] else { continue }
            let signed = table.filter { $0.file == file.name }
            if let error = collector.error(for: file.job.displayPath) {
                findings.append(Finding(kind: .tensors, message: "the tensors of \(error.description)"))
            } else if let actual = collector.table(for: file.job.displayPath) {
                findings += TensorTableCheck.differences(file: file.name, signed: signed, actual: actual.records)
                    .map { Finding(kind: .tensors, message: "tensor table: " + $0) }
            }
        }
        return findings
    }
}

/// `path` relative to `folder` when it lies directly or deeply inside it, else `nil`.
public func relativePath(of path: String, inside folder: String) -> String? {
    guard let file = realPath(parentPath(path).isEmpty ? "." : parentPath(path)), let root = realPath(folder) else {
        return nil
    }
    let full = joinPath(file, lastComponent(path))
    let prefix = root.utf8.last == UInt8(ascii: "/") ? root : root + "/"
    guard full.utf8.starts(with: prefix.utf8) else { return nil }
    return String(decoding: full.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
}
