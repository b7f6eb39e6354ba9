import PedigreeCrypto

/// Which tool's predicate a manifest carries.
public enum ManifestFormat: String, Codable, Sendable {
    /// pedigree's own predicate.
    case pedigree
    /// An OpenSSF Model Signing v1.0 signature, as `model_signing` writes it.
    case oms
}

/// One file as a manifest lists it.
public struct ManifestEntry: Equatable, Sendable {
    public var name: String
    public var digest: SHA256Digest
    /// The size, when the manifest records it (OMS does not).
    public var size: Int64?
    /// The role, when the manifest records it (OMS does not).
    public var role: Role?
}

/// An envelope whose payload has been decoded into a Statement about a model.
///
/// Constructing one checks structure only: payload type, Base64, Statement type, subject and
/// digest syntax. Whether the signatures hold, whether names are safe and whether the subject
/// matches the files are separate questions (`consistencyProblems`, `SignatureCheck`).
public struct SignedManifest: Sendable {
    public let envelope: Envelope
    /// The Statement bytes that were signed.
    public let payload: [UInt8]
    /// sha256 of `payload`: the name a descendant uses for this manifest.
    public let manifestDigest: SHA256Digest
    public let format: ManifestFormat
    /// The subject's name: the model's name.
    public let name: String
    /// The subject's sha256: the OMS root digest over the files.
    public let rootDigest: SHA256Digest
    public let entries: [ManifestEntry]
    public let serialization: Serialization
    /// pedigree's predicate; `nil` for an OMS manifest.
    public let predicate: ModelPredicate?

    /// The most signatures an envelope may carry; each costs a verification per trusted key.
    public static let signatureLimit = Limits.signaturesPerEnvelope

    /// Decodes and checks the structure of `envelope`.
    public init(envelope: Envelope) throws(ManifestError) {
        guard envelope.payloadType == MediaTypes.inToto else { throw .wrongPayloadType(envelope.payloadType) }
        guard let payload = base64Decode(envelope.payload) else { throw .badBase64(field: "dsseEnvelope.payload") }
        guard !envelope.signatures.isEmpty else { throw .noSignatures }
        guard envelope.signatures.count <= Self.signatureLimit else { throw .tooManySignatures(envelope.signatures.count) }
        for (index, signature) in envelope.signatures.enumerated() where base64Decode(signature.sig) == nil {
            throw .badBase64(field: "dsseEnvelope.signatures[\(index)].sig")
        }
        self.envelope = envelope
        self.payload = payload
        manifestDigest = SHA256.hash(payload)

        let header: StatementHeader
        do {
            header = try JSON.decode(StatementHeader.self, from: payload)
        } catch {
            throw .statement(error.message)
        }
        guard header.type == MediaTypes.statementV1 else {
            throw .statement("_type is '\(header.type)', expected '\(MediaTypes.statementV1)'")
        }
        guard header.subject.count == 1 else {
            throw .statement("it has \(header.subject.count) subjects, expected one (the model)")
        }
        guard let hex = header.subject[0].digest["sha256"], let root = SHA256Digest(hex: hex), hex == root.hex else {
            throw .statement("subject[0].digest.sha256 is not a lowercase SHA-256 hex digest")
        }
        name = header.subject[0].name
        rootDigest = root

        switch header.predicateType {
        case MediaTypes.pedigreePredicate:
            let statement: Statement<ModelPredicate>
            do {
                statement = try JSON.decode(Statement<ModelPredicate>.self, from: payload)
            } catch {
                throw .statement(error.message)
            }
            format = .pedigree
            predicate = statement.predicate
            serialization = statement.predicate.serialization
            entries = try statement.predicate.resources.enumerated().map { (index, resource) throws(ManifestError) in
                ManifestEntry(
                    name: resource.name, digest: try Self.digest(resource.algorithm, resource.digest, index),
                    size: resource.size, role: resource.role)
            }
            if let bad = statement.predicate.resources.firstIndex(where: { $0.size < 0 }) {
                throw .statement("predicate.resources[\(bad)].size is negative")
            }
        case MediaTypes.omsPredicate:
            let statement: Statement<OMSPredicate>
            do {
                statement = try JSON.decode(Statement<OMSPredicate>.self, from: payload)
            } catch {
                throw .statement(error.message)
            }
            format = .oms
            predicate = nil
            serialization = statement.predicate.serialization
            entries = try statement.predicate.resources.enumerated().map { (index, resource) throws(ManifestError) in
                ManifestEntry(
                    name: resource.name, digest: try Self.digest(resource.algorithm, resource.digest, index),
                    size: nil, role: nil)
            }
        default:
            throw .unknownPredicate(header.predicateType)
        }
        guard serialization.method == "files", serialization.hashType == "sha256" else {
            throw .statement(
                "predicate.serialization is '\(serialization.method)' with '\(serialization.hashType)'; "
                    + "only 'files' with 'sha256' is supported")
        }
    }

    private static func digest(_ algorithm: String, _ hex: String, _ index: Int) throws(ManifestError) -> SHA256Digest {
        guard algorithm == "sha256" else {
            throw .statement("predicate.resources[\(index)].algorithm is '\(algorithm)', expected 'sha256'")
        }
        guard let digest = SHA256Digest(hex: hex), digest.hex == hex else {
            throw .statement("predicate.resources[\(index)].digest is not a lowercase SHA-256 hex digest")
        }
        return digest
    }

    /// Resource names that are not safe relative paths: a manifest with any is rejected whole,
    /// before a file is opened.
    public func unsafeNames() -> [String] {
        entries.enumerated().compactMap { index, entry in
            RelativePath.problem(with: entry.name).map { "resource \(index + 1): name '\(printable(entry.name))' \($0)" }
        }
    }

    /// Everything wrong with the manifest's own content, without looking at any file: unsafe
    /// names, names listed twice, a subject digest that does not match the resources.
    public func consistencyProblems() -> [String] { unsafeNames() + contradictions() }

    /// Names listed twice and a subject digest that does not match the resources.
    public func contradictions() -> [String] {
        var problems: [String] = []
        var seen = Set<ByteKey>()
        for (index, entry) in entries.enumerated() where RelativePath.problem(with: entry.name) == nil {
            if !seen.insert(ByteKey(entry.name)).inserted {
                problems.append("resource \(index + 1): name '\(printable(entry.name))' is listed twice")
            }
        }
        let recomputed = RootDigest.compute(entries.map { ($0.name, $0.digest) })
        if recomputed != rootDigest {
            problems.append(
                "the subject digest \(rootDigest.hex.prefix(12))… does not match the resources "
                    + "(they give \(recomputed.hex.prefix(12))…)")
        }
        return problems
    }
}

/// A name shown in a message: control characters escaped so a hostile name cannot rewrite
/// the terminal.
public func printable(_ name: String) -> String {
    var out = ""
    for scalar in name.unicodeScalars {
        if scalar.value < 0x20 || scalar.value == 0x7f {
            let hex = String(scalar.value, radix: 16)
            out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// The Statement fields every predicate shares.
private struct StatementHeader: Decodable {
    var type: String
    var subject: [Subject]
    var predicateType: String

    enum CodingKeys: String, CodingKey {
        case type = "_type"
        case subject, predicateType
    }
}

/// The predicate of an OMS v1.0 signature (`model_signing` 1.x).
public struct OMSPredicate: Codable, Equatable, Sendable {
    public var serialization: Serialization
    public var resources: [OMSResource]

    public init(serialization: Serialization, resources: [OMSResource]) {
        self.serialization = serialization
        self.resources = resources
    }
}

/// A file in an OMS predicate: name and digest.
public struct OMSResource: Codable, Equatable, Sendable {
    public var name: String
    public var algorithm: String
    public var digest: String

    public init(name: String, digest: String) {
        self.name = name
        self.algorithm = "sha256"
        self.digest = digest
    }
}

/// The OMS root digest: what the OpenSSF Model Signing reference names a model by.
public enum RootDigest {
    /// SHA-256 over the raw 32-byte file digests, concatenated in `RelativePath.precedes`
    /// order, as `model_signing` 1.1 computes its subject digest.
    public static func compute(_ files: [(name: String, digest: SHA256Digest)]) -> SHA256Digest {
        let hasher = SHA256()
        for file in files.sorted(by: { RelativePath.precedes($0.name, $1.name) }) {
            hasher.update(file.digest.bytes)
        }
        return hasher.finalize()
    }
}
