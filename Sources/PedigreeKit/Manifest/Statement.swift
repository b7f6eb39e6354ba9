import PedigreeCrypto

/// Names and URIs of the formats pedigree reads and writes.
public enum MediaTypes {
    /// The media type of a pedigree bundle (`pedigree.json`).
    public static let bundle = "application/vnd.pedigree.bundle.v1+json"
    /// The DSSE payload type of an in-toto Statement.
    public static let inToto = "application/vnd.in-toto+json"
    /// The in-toto Statement v1 `_type`.
    public static let statementV1 = "https://in-toto.io/Statement/v1"
    /// The predicate type of pedigree's model manifest (see `Schemas/`).
    public static let pedigreePredicate = "https://pedigree.dev/model-manifest/v1"
    /// The predicate type of an OpenSSF Model Signing (OMS) v1.0 signature.
    public static let omsPredicate = "https://model_signing/signature/v1.0"
    /// The deprecated predicate of model_signing v0.2 (OMS v1.0 §11, §11.2 item 4): each file is
    /// a subject, there is no root digest and no serialization. Read for verification only.
    public static let omsV02Predicate = "https://model_signing/Digests/v0.1"
    /// A Sigstore bundle v0.3, the container `model_signing` writes.
    public static let sigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
}

// The types below are what a signed manifest says, as the library works with it. They are
// built by `ModelSigner` or decoded from a Statement by `StatementCodec`, which refuses
// anything they cannot hold: digests are `SHA256Digest`s, file names `ResourceName`s, sizes
// in range, enumerations known, a lineage's parents never empty. Their JSON form lives in
// `Codec/WireTypes.swift`, and only there.

/// The predicate of a pedigree manifest: what the model is made of, where it came from and
/// which license notices travel with it.
public struct ModelPredicate: Equatable, Sendable {
    public var model: ModelInfo
    public var resources: [Resource]
    public var serialization: Serialization
    public var license: LicenseInfo?
    public var notices: Notices
    public var lineage: Lineage?
    public var modifications: [Modification]
    public var distribution: Distribution
    public var generator: Generator
    public var createdAt: String
    /// Present when the digests were supplied in a list instead of computed by the signer
    /// (`sign --digests`); absent (and so not written) otherwise.
    public var suppliedDigests: SuppliedDigests? = nil
    /// Models this one names as its base without a signed manifest to link them by digest
    /// (a Hub id in the README's front matter): recorded with where they were read, never as
    /// parents. Empty (and so not written) for most manifests.
    public var unverifiedReferences: [UnverifiedReference] = []
    /// Set by the signer when the license was taken from the README's front matter (no
    /// option, no recognised license file), so the command can say so. Not part of the
    /// manifest: a decoded predicate has it `false`.
    public var licenseFromDeclaration = false
    /// The tensors of the weights files (`sign --tensors`): for each safetensors or GGUF
    /// resource, every tensor's name, dtype, shape, byte range and SHA-256, in file order then
    /// header order; absent (and so not written) when not recorded.
    public var tensors: [TensorRecord]? = nil

    public init(
        model: ModelInfo, resources: [Resource], serialization: Serialization, license: LicenseInfo?,
        notices: Notices, lineage: Lineage?, modifications: [Modification], distribution: Distribution,
        generator: Generator, createdAt: String
    ) {
        self.model = model
        self.resources = resources
        self.serialization = serialization
        self.license = license
        self.notices = notices
        self.lineage = lineage
        self.modifications = modifications
        self.distribution = distribution
        self.generator = generator
        self.createdAt = createdAt
    }
}

/// A base model known only by name, with where the name was read (DESIGN.md, "The manifest
/// file"): nothing vouches for its content, so it is never a hash-linked parent.
public struct UnverifiedReference: Equatable, Sendable {
    /// The model as named (a Hugging Face Hub id, as written).
    public var name: String
    /// Where the name was read: `README.md front matter base_model`.
    public var source: String
    /// The relation the same source gives (its `base_model_relation`), as written.
    public var relation: String?

    public init(name: String, source: String, relation: String? = nil) {
        self.name = name
        self.source = source
        self.relation = relation
    }
}

/// The model's name (as the subject names it) and an optional version.
public struct ModelInfo: Equatable, Sendable {
    public var name: String
    public var version: String?

    public init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }
}

/// One file of the model, hashed with SHA-256.
public struct Resource: Equatable, Sendable {
    /// Where the file is in the model folder.
    public var name: ResourceName
    public var digest: SHA256Digest
    /// Size in bytes, never negative.
    public var size: Int64
    public var role: Role

    public init(name: ResourceName, digest: SHA256Digest, size: Int64, role: Role) {
        self.name = name
        self.digest = digest
        self.size = size
        self.role = role
    }
}

/// How the folder was turned into resources (OMS records the same): one SHA-256 digest per
/// file, whether links were followed, and which paths were left out.
public struct Serialization: Equatable, Sendable {
    /// Whether symbolic links inside the folder were followed.
    public var allowSymlinks: Bool
    /// Patterns (see `Glob`) of paths left out, relative to the folder.
    public var ignorePaths: [String]

    public init(allowSymlinks: Bool, ignorePaths: [String]) {
        self.allowSymlinks = allowSymlinks
        self.ignorePaths = ignorePaths
    }
}

/// The license the model is distributed under, and the files that carry its text.
public struct LicenseInfo: Equatable, Sendable {
    /// An SPDX license identifier or a `LicenseRef-…`.
    public var id: String
    /// The license's full name, when known.
    public var name: String?
    /// The files in the folder that carry the license text, with their digests.
    public var files: [FileReference]

    public init(id: String, name: String?, files: [FileReference]) {
        self.id = id
        self.name = name
        self.files = files
    }
}

/// A file of the folder named with its digest.
public struct FileReference: Equatable, Sendable {
    public var name: ResourceName
    public var digest: SHA256Digest

    public init(name: ResourceName, digest: SHA256Digest) {
        self.name = name
        self.digest = digest
    }
}

/// The kinds of notices the license obliges a redistributor to retain (§3.1(2)).
public enum NoticeKind: String, Codable, CaseIterable, Sendable {
    case copyright, patent, trademark, attribution
}

/// One notice: its kind and its text, verbatim.
public struct Notice: Equatable, Hashable, Sendable {
    public var kind: NoticeKind
    public var text: String

    public init(kind: NoticeKind, text: String) {
        self.kind = kind
        self.text = text
    }
}

/// The model an inherited notice was first recorded by.
public struct NoticeOrigin: Equatable, Hashable, Sendable {
    /// The model's name.
    public var model: String
    /// The sha256 of that model's Statement.
    public var manifestDigest: SHA256Digest

    public init(model: String, manifestDigest: SHA256Digest) {
        self.model = model
        self.manifestDigest = manifestDigest
    }
}

/// A notice carried over from an ancestor.
public struct RetainedNotice: Equatable, Hashable, Sendable {
    public var kind: NoticeKind
    public var text: String
    public var origin: NoticeOrigin

    public init(_ notice: Notice, origin: NoticeOrigin) {
        kind = notice.kind
        text = notice.text
        self.origin = origin
    }

    public var notice: Notice { Notice(kind: kind, text: text) }
}

/// An inherited notice the publisher chose not to carry, and why.
public struct DroppedNotice: Equatable, Sendable {
    public var kind: NoticeKind
    public var text: String
    public var origin: NoticeOrigin
    public var reason: String

    public init(_ notice: RetainedNotice, reason: String) {
        kind = notice.kind
        text = notice.text
        origin = notice.origin
        self.reason = reason
    }
}

/// The notices of the model: those retained from ancestors, kept apart from those this
/// publisher added (§3.2), and any inherited notice deliberately dropped.
public struct Notices: Equatable, Sendable {
    public var retained: [RetainedNotice]
    public var added: [Notice]
    public var dropped: [DroppedNotice]
    /// Additional or different terms this publisher applies to its modifications (§3.2).
    public var additionalTerms: String?

    public init(
        retained: [RetainedNotice] = [], added: [Notice] = [], dropped: [DroppedNotice] = [],
        additionalTerms: String? = nil
    ) {
        self.retained = retained
        self.added = added
        self.dropped = dropped
        self.additionalTerms = additionalTerms
    }
}

/// How the model is distributed, which decides the obligations that apply (§3.1).
public enum Distribution: String, Codable, CaseIterable, Sendable {
    /// Copies of the files are given to recipients.
    case files
    /// The model is offered as a hosted service; §3.1(1) and (3) do not apply.
    case hosted
}

/// A statement that files were modified, and how (§3.1(3)).
public struct Modification: Equatable, Sendable {
    /// The files (names relative to the model folder, checked like resource names).
    public var files: [String]
    public var description: String

    public init(files: [String], description: String) {
        self.files = files
        self.description = description
    }
}

/// The tool that wrote the manifest.
public struct Generator: Equatable, Sendable {
    public var name: String
    public var version: String

    public init(name: String = PedigreeInfo.name, version: String = PedigreeInfo.version) {
        self.name = name
        self.version = version
    }
}

/// Where the model came from: its parents (at least one), how it was derived, what changed.
public struct Lineage: Equatable, Sendable {
    public var parents: NonEmptyArray<ParentReference>
    public var derivation: Derivation
    public var changes: [FileChanges]

    public init(parents: NonEmptyArray<ParentReference>, derivation: Derivation, changes: [FileChanges]) {
        self.parents = parents
        self.derivation = derivation
        self.changes = changes
    }
}

/// How a model relates to one of its parents; a superset of Hugging Face's
/// `base_model_relation`.
public enum Relation: String, Codable, CaseIterable, Sendable {
    case finetune
    case adapter
    case quantization
    case distillation
    case merge
    case continuedPretraining = "continued-pretraining"
    case pruning
    /// The same values in another container or layout (safetensors → GGUF F32/F16, a cast to
    /// F16/BF16): graded `supported` when every tensor is found identical or cast-exact in the parent.
    case conversion
    case other
}

/// What a parent is to its child: the model it derives from, or the teacher of a distillation.
public enum ParentRole: String, Codable, CaseIterable, Sendable {
    case base
    case teacher
}

/// A parent named by the digest of its signed Statement.
public struct ParentReference: Equatable, Sendable {
    public var name: String
    /// sha256 of the parent's Statement bytes: commits to everything the parent signed.
    public var manifestDigest: SHA256Digest
    /// The parent's OMS root digest (its subject).
    public var rootDigest: SHA256Digest
    public var relation: Relation
    public var role: ParentRole
    /// Key ids of the parent's signatures.
    public var signers: [String]
    /// Whether a parent signature was verified with a trusted key when this model was signed.
    public var trusted: Bool
    /// What kind of manifest the parent has.
    public var format: ManifestFormat
    /// How far the weights bear out `relation`, computed when the child was signed with the
    /// parent's weights or tensor digests at hand; `nil` when it was not computed.
    public var evidence: TensorEvidence? = nil

    public init(
        name: String, manifestDigest: SHA256Digest, rootDigest: SHA256Digest, relation: Relation, role: ParentRole,
        signers: [String], trusted: Bool, format: ManifestFormat
    ) {
        self.name = name
        self.manifestDigest = manifestDigest
        self.rootDigest = rootDigest
        self.relation = relation
        self.role = role
        self.signers = signers
        self.trusted = trusted
        self.format = format
    }
}

/// How the model was derived from its parents.
public struct Derivation: Equatable, Sendable {
    public var method: String?
    public var parameters: [String: String]
    public var datasets: [Dataset]
    public var tool: Tool?

    public init(method: String? = nil, parameters: [String: String] = [:], datasets: [Dataset] = [], tool: Tool? = nil) {
        self.method = method
        self.parameters = parameters
        self.datasets = datasets
        self.tool = tool
    }
}

/// A dataset used in a derivation, optionally pinned by a digest (`sha256:…` or any
/// `algorithm:value` the publisher gives).
public struct Dataset: Equatable, Sendable {
    public var name: String
    public var digest: String?

    public init(name: String, digest: String? = nil) {
        self.name = name
        self.digest = digest
    }
}

/// The software that performed a derivation.
public struct Tool: Equatable, Sendable {
    public var name: String
    public var version: String?

    public init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }
}

/// The file-level changes of a model against one parent (or between any two models).
public struct FileChanges: Equatable, Sendable, Encodable {
    /// The parent's manifest digest; `nil` when two models that are not parent and child
    /// were compared.
    public var parent: SHA256Digest?
    public var unchanged: [String]
    public var modified: [String]
    public var added: [String]
    public var removed: [String]
    public var renamed: [Rename]

    public init(
        parent: SHA256Digest?, unchanged: [String] = [], modified: [String] = [], added: [String] = [],
        removed: [String] = [], renamed: [Rename] = []
    ) {
        self.parent = parent
        self.unchanged = unchanged
        self.modified = modified
        self.added = added
        self.removed = removed
        self.renamed = renamed
    }

    enum CodingKeys: String, CodingKey { case parent, unchanged, modified, added, removed, renamed }

    /// The changes as a report (`pedigree diff --json`): the parent as hex when there is one.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(parent?.hex, forKey: .parent)
        try container.encode(unchanged, forKey: .unchanged)
        try container.encode(modified, forKey: .modified)
        try container.encode(added, forKey: .added)
        try container.encode(removed, forKey: .removed)
        try container.encode(renamed, forKey: .renamed)
    }
}

/// A file that kept its content under a new name.
public struct Rename: Equatable, Sendable, Encodable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}
