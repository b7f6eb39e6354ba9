import PedigreeCrypto

/// The file that travels with a model: a signed envelope and the signed envelopes of its
/// ancestors. A Sigstore bundle written by `model_signing` has the same shape with its own
/// media type and a public-key hint, and is read through the same type.
public struct ManifestBundle: Codable, Sendable {
    public var mediaType: String
    public var verificationMaterial: VerificationMaterial?
    public var dsseEnvelope: Envelope
    /// The signed manifests of every ancestor, each once: parents, grandparents, …
    public var ancestors: [AncestorEntry]?

    public init(mediaType: String, dsseEnvelope: Envelope, ancestors: [AncestorEntry]? = nil,
                verificationMaterial: VerificationMaterial? = nil) {
        self.mediaType = mediaType
        self.dsseEnvelope = dsseEnvelope
        self.ancestors = ancestors
        self.verificationMaterial = verificationMaterial
    }

    /// Reads and parses a bundle file (pedigree or Sigstore/OMS).
    ///
    /// - Throws: `ManifestError` naming what is wrong: unreadable, not JSON, a missing or
    ///   mistyped field, an unknown media type.
    public static func load(_ path: String) throws(ManifestError) -> ManifestBundle {
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: 256 << 20)
        } catch {
            throw .unreadable(error)
        }
        return try parse(bytes)
    }

    /// Parses the bytes of a bundle file.
    public static func parse(_ bytes: [UInt8]) throws(ManifestError) -> ManifestBundle {
        let bundle: ManifestBundle
        do {
            bundle = try JSON.decode(ManifestBundle.self, from: bytes)
        } catch {
            throw .malformed(error.message)
        }
        guard bundle.mediaType == MediaTypes.bundle || bundle.mediaType == MediaTypes.sigstoreBundle else {
            throw .wrongMediaType(bundle.mediaType)
        }
        return bundle
    }

    /// The bytes of the bundle as written to disk: indented JSON with sorted keys.
    public func encoded() throws -> [UInt8] { try JSON.pretty(self) }

    /// The bundle as one line of JSON, as `model_signing` writes its bundles.
    public func encodedCompact() throws -> [UInt8] { try JSON.compact(self) }
}

/// A Sigstore bundle's verification material; only the public-key hint is used.
public struct VerificationMaterial: Codable, Equatable, Sendable {
    public var publicKey: PublicKeyHint?
    public var tlogEntries: [String]?

    public init(publicKey: PublicKeyHint?, tlogEntries: [String]? = []) {
        self.publicKey = publicKey
        self.tlogEntries = tlogEntries
    }

    enum CodingKeys: String, CodingKey { case publicKey, tlogEntries }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        publicKey = try container.decodeIfPresent(PublicKeyHint.self, forKey: .publicKey)
        // Transparency-log entries are objects pedigree does not interpret.
        tlogEntries = nil
    }
}

/// A Sigstore public-key hint.
public struct PublicKeyHint: Codable, Equatable, Sendable {
    public var hint: String
    public init(hint: String) { self.hint = hint }
}

/// One ancestor's signed manifest, embedded in a descendant's bundle.
public struct AncestorEntry: Codable, Equatable, Sendable {
    public var dsseEnvelope: Envelope
    /// For an ancestor signed by `model_signing`: its bundle's public-key hint.
    public var verificationMaterial: VerificationMaterial?

    public init(dsseEnvelope: Envelope, verificationMaterial: VerificationMaterial? = nil) {
        self.dsseEnvelope = dsseEnvelope
        self.verificationMaterial = verificationMaterial
    }
}

/// Why a manifest cannot be read or trusted as a manifest.
public enum ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(FileError)
    case malformed(String)
    case wrongMediaType(String)
    case wrongPayloadType(String)
    case badBase64(field: String)
    case noSignatures
    case tooManySignatures(Int)
    case tooManyAncestors(Int)
    case statement(String)
    case unknownPredicate(String)

    public var description: String {
        switch self {
        case let .unreadable(error): return error.reasonText
        case let .malformed(message): return message
        case let .wrongMediaType(found):
            return "mediaType is '\(found)', expected '\(MediaTypes.bundle)' or '\(MediaTypes.sigstoreBundle)'"
        case let .wrongPayloadType(found):
            return "dsseEnvelope.payloadType is '\(found)', expected '\(MediaTypes.inToto)'"
        case let .badBase64(field): return "\(field) is not valid Base64"
        case .noSignatures: return "dsseEnvelope.signatures is empty: the manifest is not signed"
        case let .tooManySignatures(count):
            return "dsseEnvelope.signatures holds \(count) signatures; at most \(SignedManifest.signatureLimit) are read"
        case let .tooManyAncestors(count):
            return "ancestors holds \(count) manifests; at most \(ModelChain.ancestorLimit) are read"
        case let .statement(message): return "the signed payload is not an in-toto Statement v1: \(message)"
        case let .unknownPredicate(type):
            return "predicateType '\(type)' is neither '\(MediaTypes.pedigreePredicate)' nor '\(MediaTypes.omsPredicate)'"
        }
    }
}
