/// What a manifest says, read once for `pedigree show`: the model, its digests, license, files
/// by role, lineage, notices and signers.
///
/// Reading a manifest is not verifying it: signatures are checked only against the keys given
/// (each signer is otherwise `unverified`), files are not hashed, and what is wrong with the
/// manifest or its chain is listed in `problems` rather than thrown.
public struct ManifestSummary: Sendable {
    /// One signature of the envelope.
    public struct Signer: Equatable, Sendable {
        /// 1-based position in the envelope.
        public var index: Int
        /// The full key id the signature names (empty for `model_signing` bundles).
        public var keyid: String
        /// What checking it against the keys given found; `nil` when no keys were given.
        public var status: SignatureResult.Status?
        /// The trusted key's file and algorithm, for a trusted or invalid signature.
        public var key: String?
        public var algorithm: String?
    }

    /// A parent the manifest names, and whether the bundle embeds its manifest.
    public struct Parent: Equatable, Sendable {
        public var reference: ParentReference
        public var embedded: Bool
    }

    /// An embedded ancestor reachable through parent references.
    public struct Ancestor: Equatable, Sendable {
        public var name: String
        public var manifestDigest: String
        public var rootDigest: String
        /// 1 for a parent, 2 for a grandparent, …
        public var depth: Int
    }

    /// The manifest file read.
    public var manifestPath: String
    public var format: ManifestFormat
    public var model: String
    public var version: String?
    public var rootDigest: String
    public var manifestDigest: String
    public var createdAt: String?
    public var generator: Generator?
    public var distribution: Distribution?
    public var license: LicenseInfo?
    /// Every file the manifest lists, in its order.
    public var files: [ManifestEntry]
    public var parents: [Parent]
    /// Base models named without a signed manifest (see `UnverifiedReference`).
    public var unverifiedReferences: [UnverifiedReference]
    public var derivation: Derivation?
    public var changes: [FileChanges]
    public var ancestors: [Ancestor]
    public var notices: Notices?
    public var modifications: [Modification]
    /// The tensor table (`sign --tensors`), when the manifest carries one.
    public var tensors: [TensorRecord]?
    public var signers: [Signer]
    /// What is wrong with the manifest or its chain (names escaped).
    public var problems: [String]

    /// Reads the manifest at `path` (a file, or a folder with `pedigree.json` or `model.sig`).
    ///
    /// - Parameter keys: keys to check the signatures with; `nil` leaves them unverified.
    public static func load(_ path: String, keys: [TrustedKey]? = nil) throws(ManifestError) -> ManifestSummary {
        let file = ModelChain.manifestFile(for: path)
        return ManifestSummary(chain: try ModelChain.load(file), manifestPath: file, keys: keys)
    }

    /// The summary of `chain`, read from `manifestPath`.
    public init(chain: ModelChain, manifestPath: String, keys: [TrustedKey]? = nil) {
        let manifest = chain.manifest
        let predicate = manifest.predicate
        self.manifestPath = manifestPath
        format = manifest.format
        model = manifest.name
        version = predicate?.model.version
        rootDigest = manifest.rootDigest.hex
        manifestDigest = manifest.manifestDigest.hex
        createdAt = predicate?.createdAt
        generator = predicate?.generator
        distribution = predicate?.distribution
        license = predicate?.license
        files = manifest.entries
        parents = chain.parents(of: manifest).map { Parent(reference: $0.reference, embedded: $0.manifest != nil) }
        unverifiedReferences = predicate?.unverifiedReferences ?? []
        derivation = predicate?.lineage?.derivation
        changes = predicate?.lineage?.changes ?? []
        ancestors = chain.lineage().map {
            Ancestor(name: $0.manifest.name, manifestDigest: $0.manifest.manifestDigest.hex,
                     rootDigest: $0.manifest.rootDigest.hex, depth: $0.depth)
        }
        notices = predicate?.notices
        modifications = predicate?.modifications ?? []
        tensors = predicate?.tensors
        let results = keys.map { manifest.envelope.checkSignatures(keys: $0) }
        signers = manifest.envelope.signatures.enumerated().map { offset, signature in
            let result = results?[offset]
            return Signer(index: offset + 1, keyid: signature.keyid, status: result?.status, key: result?.key,
                          algorithm: result?.algorithm)
        }
        problems = manifest.consistencyProblems() + chain.problems()
    }

    /// The files grouped by role, roles in the order `Role.allCases` lists them, files in
    /// manifest order; files without a role (OMS manifests) come last under `nil`.
    public var filesByRole: [(role: Role?, files: [ManifestEntry])] {
        var groups: [(Role?, [ManifestEntry])] = Role.allCases.compactMap { role in
            let matching = files.filter { $0.role == role }
            return matching.isEmpty ? nil : (role, matching)
        }
        let unroled = files.filter { $0.role == nil }
        if !unroled.isEmpty { groups.append((nil, unroled)) }
        return groups
    }

    /// The sum of the recorded sizes (files whose size is not recorded count 0).
    public var totalBytes: Int64 { files.reduce(0) { $0 + ($1.size ?? 0) } }
}
