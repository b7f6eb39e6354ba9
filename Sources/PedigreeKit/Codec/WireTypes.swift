import PedigreeCrypto

// The JSON shapes of bundles and Statements, exactly as pedigree writes them. These are the
// only Codable descriptions of the formats: the domain types (`ModelPredicate`,
// `ManifestBundle`, …) are turned into them to be written, and `StatementCodec` /
// `BundleCodec` read outside JSON into domain types directly (strictly, through
// `JSONReader`), never through these. Changing a field here changes the signed bytes.

/// A bundle on disk: pedigree's, or a Sigstore bundle as `model_signing` writes it.
struct WireBundle: Encodable {
    var mediaType: String
    var verificationMaterial: WireVerificationMaterial?
    var dsseEnvelope: WireEnvelope
    /// Left out when there are none.
    var ancestors: [WireAncestor]?
}

/// A Sigstore bundle's verification material: the public-key hint (and an empty log list,
/// which `model_signing` expects).
struct WireVerificationMaterial: Encodable {
    var publicKey: WirePublicKeyHint?
    var x509CertificateChain: WireCertificateChain?
    var certificate: WireRawBytes?
    var tlogEntries: [String]?
}

/// `{"hint": …}`, or for a material read from a pre-1.1 bundle `{"rawBytes": …, "keyDetails": …}`.
struct WirePublicKeyHint: Encodable {
    var hint: String?
    var rawBytes: String?
    var keyDetails: String?
}

/// Sigstore's `X509CertificateChain`: `{"certificates": [{"rawBytes": DER in Base64}, …]}`, leaf first.
struct WireCertificateChain: Encodable {
    var certificates: [WireRawBytes]
}

struct WireRawBytes: Encodable {
    var rawBytes: String
}

struct WireAncestor: Encodable {
    var dsseEnvelope: WireEnvelope
    var verificationMaterial: WireVerificationMaterial?
}

/// A DSSE envelope: the payload and signatures in Base64.
struct WireEnvelope: Encodable {
    var payloadType: String
    var payload: String
    var signatures: [WireSignature]
}

struct WireSignature: Encodable {
    var keyid: String
    var sig: String
}

/// An in-toto Statement v1.
struct WireStatement<Predicate: Encodable>: Encodable {
    var type: String = MediaTypes.statementV1
    var subject: [WireSubject]
    var predicateType: String
    var predicate: Predicate

    enum CodingKeys: String, CodingKey {
        case type = "_type"
        case subject, predicateType, predicate
    }
}

struct WireSubject: Encodable {
    var name: String
    var digest: [String: String]
}

struct WireModelPredicate: Encodable {
    var model: WireModelInfo
    var resources: [WireResource]
    var serialization: WireSerialization
    var license: WireLicense?
    var notices: WireNotices
    var lineage: WireLineage?
    var modifications: [WireModification]
    var distribution: Distribution
    var generator: WireGenerator
    var createdAt: String
    /// Absent (not written) unless the digests were supplied in a list.
    var suppliedDigests: WireSuppliedDigests?
    /// Absent (not written) unless the model names a base it cannot link by digest.
    var unverifiedReferences: [WireUnverifiedReference]?
    /// Absent (not written) unless tensors were recorded (`sign --tensors`).
    var tensors: [WireTensor]?
}

struct WireUnverifiedReference: Encodable {
    var name: String
    var source: String
    var relation: String?
}

/// One row of the tensor table: `$defs/tensor` of `Schemas/tensor-evidence.v1.schema.json`.
struct WireTensor: Encodable {
    var file: String
    var name: String
    var dtype: TensorDType
    var shape: [Int64]
    var byteRange: [Int64]
    var sha256: String

    init(_ record: TensorRecord) {
        file = record.file
        name = record.name
        dtype = record.dtype
        shape = record.shape.dims
        byteRange = [record.byteRange.lowerBound, record.byteRange.upperBound]
        sha256 = record.digest.hex
    }
}

struct WireSuppliedDigests: Encodable {
    var spotChecked: Int
    var checkedAgainstFolder: Bool
}

struct WireModelInfo: Encodable {
    var name: String
    var version: String?
}

struct WireResource: Encodable {
    var name: String
    var algorithm = "sha256"
    var digest: String
    var size: Int64
    var role: Role
}

struct WireSerialization: Encodable {
    var method = "files"
    var hashType = "sha256"
    var allowSymlinks: Bool
    var ignorePaths: [String]

    enum CodingKeys: String, CodingKey {
        case method
        case hashType = "hash_type"
        case allowSymlinks = "allow_symlinks"
        case ignorePaths = "ignore_paths"
    }
}

struct WireLicense: Encodable {
    var id: String
    var name: String?
    var files: [WireFileReference]
}

struct WireFileReference: Encodable {
    var name: String
    var digest: String
}

struct WireNotice: Encodable {
    var kind: NoticeKind
    var text: String
}

struct WireNoticeOrigin: Encodable {
    var model: String
    var manifestDigest: String
}

struct WireRetainedNotice: Encodable {
    var kind: NoticeKind
    var text: String
    var origin: WireNoticeOrigin
}

struct WireDroppedNotice: Encodable {
    var kind: NoticeKind
    var text: String
    var origin: WireNoticeOrigin
    var reason: String
}

struct WireNotices: Encodable {
    var retained: [WireRetainedNotice]
    var added: [WireNotice]
    var dropped: [WireDroppedNotice]
    var additionalTerms: String?
}

struct WireModification: Encodable {
    var files: [String]
    var description: String
}

struct WireGenerator: Encodable {
    var name: String
    var version: String
}

struct WireLineage: Encodable {
    var parents: [WireParent]
    var derivation: WireDerivation
    var changes: [WireChanges]
}

struct WireParent: Encodable {
    var name: String
    var manifestDigest: String
    var rootDigest: String
    var relation: Relation
    var role: ParentRole
    var signers: [String]
    var trusted: Bool
    var format: ManifestFormat
    /// Absent (not written) when no evidence was computed.
    var evidence: TensorEvidence?
}

struct WireDerivation: Encodable {
    var method: String?
    var parameters: [String: String]
    var datasets: [WireDataset]
    var tool: WireTool?
}

struct WireDataset: Encodable {
    var name: String
    var digest: String?
}

struct WireTool: Encodable {
    var name: String
    var version: String?
}

struct WireChanges: Encodable {
    var parent: String
    var unchanged: [String]
    var modified: [String]
    var added: [String]
    var removed: [String]
    var renamed: [WireRename]
}

struct WireRename: Encodable {
    var from: String
    var to: String
}

struct WireOMSPredicate: Encodable {
    var serialization: WireSerialization
    var resources: [WireOMSResource]
}

struct WireOMSResource: Encodable {
    var name: String
    var algorithm = "sha256"
    var digest: String
}

// MARK: domain → wire

extension WireModelPredicate {
    /// - Parameter resources: the resources to write instead of the predicate's (`StatementCodec`
    ///   writes a large list itself).
    init(_ p: ModelPredicate, resources: [WireResource]? = nil) {
        model = WireModelInfo(name: p.model.name, version: p.model.version)
        self.resources = resources ?? p.resources.map {
            WireResource(name: $0.name.string, digest: $0.digest.hex, size: $0.size, role: $0.role)
        }
        serialization = WireSerialization(p.serialization)
        license = p.license.map { license in
            WireLicense(
                id: license.id, name: license.name,
                files: license.files.map { WireFileReference(name: $0.name.string, digest: $0.digest.hex) })
        }
        notices = WireNotices(p.notices)
        lineage = p.lineage.map(WireLineage.init)
        modifications = p.modifications.map { WireModification(files: $0.files, description: $0.description) }
        distribution = p.distribution
        generator = WireGenerator(name: p.generator.name, version: p.generator.version)
        createdAt = p.createdAt
        suppliedDigests = p.suppliedDigests.map {
            WireSuppliedDigests(spotChecked: $0.spotChecked, checkedAgainstFolder: $0.checkedAgainstFolder)
        }
        unverifiedReferences = p.unverifiedReferences.isEmpty
            ? nil : p.unverifiedReferences.map { WireUnverifiedReference(name: $0.name, source: $0.source, relation: $0.relation) }
        tensors = p.tensors.map { $0.map(WireTensor.init) }
    }
}

extension WireSerialization {
    init(_ s: Serialization) {
        allowSymlinks = s.allowSymlinks
        ignorePaths = s.ignorePaths
    }
}

extension WireNoticeOrigin {
    init(_ origin: NoticeOrigin) {
        model = origin.model
        manifestDigest = origin.manifestDigest.hex
    }
}

extension WireRetainedNotice {
    init(_ notice: RetainedNotice) {
        kind = notice.kind
        text = notice.text
        origin = WireNoticeOrigin(notice.origin)
    }
}

extension WireDroppedNotice {
    init(_ notice: DroppedNotice) {
        kind = notice.kind
        text = notice.text
        origin = WireNoticeOrigin(notice.origin)
        reason = notice.reason
    }
}

extension WireNotices {
    init(_ n: Notices) {
        retained = n.retained.map(WireRetainedNotice.init)
        added = n.added.map { WireNotice(kind: $0.kind, text: $0.text) }
        dropped = n.dropped.map(WireDroppedNotice.init)
        additionalTerms = n.additionalTerms
    }
}

extension WireLineage {
    init(_ l: Lineage) {
        parents = l.parents.map {
            WireParent(
                name: $0.name, manifestDigest: $0.manifestDigest.hex, rootDigest: $0.rootDigest.hex,
                relation: $0.relation, role: $0.role, signers: $0.signers, trusted: $0.trusted, format: $0.format,
                evidence: $0.evidence)
        }
        derivation = WireDerivation(
            method: l.derivation.method, parameters: l.derivation.parameters,
            datasets: l.derivation.datasets.map { WireDataset(name: $0.name, digest: $0.digest) },
            tool: l.derivation.tool.map { WireTool(name: $0.name, version: $0.version) })
        changes = l.changes.map {
            WireChanges(
                parent: $0.parent?.hex ?? "", unchanged: $0.unchanged, modified: $0.modified, added: $0.added,
                removed: $0.removed, renamed: $0.renamed.map { WireRename(from: $0.from, to: $0.to) })
        }
    }
}

extension WireEnvelope {
    /// - Parameter payloadText: what to write as the payload instead of its Base64 (a
    ///   placeholder the bundle writer replaces with the Base64 it encodes in place).
    init(_ e: Envelope, payloadText: String? = nil) {
        payloadType = e.payloadType
        payload = payloadText ?? base64Encode(e.payload)
        signatures = e.signatures.map { WireSignature(keyid: $0.keyid, sig: base64Encode($0.sig)) }
    }
}

extension WireVerificationMaterial {
    /// - Parameter logList: write the (empty) transparency-log list `model_signing` looks for
    ///   in a bundle it reads; an embedded ancestor's copy leaves it out.
    init(_ m: VerificationMaterial, logList: Bool) {
        if m.publicKeyHint != nil || m.publicKeyRawBytes != nil {
            publicKey = WirePublicKeyHint(
                hint: m.publicKeyHint, rawBytes: m.publicKeyRawBytes.map(base64Encode), keyDetails: m.keyDetails)
        }
        x509CertificateChain = m.certificateChain.map { WireCertificateChain(certificates: $0.map { WireRawBytes(rawBytes: base64Encode($0)) }) }
        certificate = m.sigstoreCertificate.map { WireRawBytes(rawBytes: base64Encode($0)) }
        tlogEntries = logList ? [] : nil
    }
}

extension WireBundle {
    /// - Parameter payloadText: written in place of the envelope's Base64 payload (see
    ///   `WireEnvelope.init(_:payloadText:)`); ancestors' payloads are always encoded.
    init(_ b: ManifestBundle, payloadText: String? = nil) {
        mediaType = b.kind.mediaType
        verificationMaterial = b.verificationMaterial.map { WireVerificationMaterial($0, logList: true) }
        dsseEnvelope = WireEnvelope(b.dsseEnvelope, payloadText: payloadText)
        ancestors = b.ancestors.isEmpty ? nil : b.ancestors.map {
            WireAncestor(dsseEnvelope: WireEnvelope($0.dsseEnvelope), verificationMaterial: $0.verificationMaterial.map { WireVerificationMaterial($0, logList: false) })
        }
    }
}
