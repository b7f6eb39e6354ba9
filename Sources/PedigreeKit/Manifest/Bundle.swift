import PedigreeCrypto

/// Which container a bundle file is.
public enum BundleKind: Equatable, Sendable {
    /// pedigree's own bundle (`pedigree.json`).
    case pedigree
    /// A Sigstore bundle v0.3, as `model_signing` writes `model.sig`.
    case sigstore

    /// The `mediaType` the file carries.
    public var mediaType: String {
        switch self {
        case .pedigree: return MediaTypes.bundle
        case .sigstore: return MediaTypes.sigstoreBundle
        }
    }

    /// The kind a `mediaType` names; `nil` for any other.
    public init?(mediaType: String) {
        switch mediaType {
        case MediaTypes.bundle: self = .pedigree
        case MediaTypes.sigstoreBundle: self = .sigstore
        default: return nil
        }
    }
}

/// The file that travels with a model: a signed envelope and the signed envelopes of its
/// ancestors. A Sigstore bundle written by `model_signing` has the same shape with its own
/// media type and a public-key hint, and is read into the same type.
///
/// A value read from a file (`load`, `parse`) has passed `BundleCodec`'s checks: strict JSON,
/// a known media type, envelopes with valid Base64, between 1 and
/// `Limits.signaturesPerEnvelope` signatures each, at most `Limits.ancestors` ancestors.
public struct ManifestBundle: Equatable, Sendable {
    public var kind: BundleKind
    public var verificationMaterial: VerificationMaterial?
    public var dsseEnvelope: Envelope
    /// The signed manifests of every ancestor, each once: parents, grandparents, …
    public var ancestors: [AncestorEntry]

    public init(
        kind: BundleKind, dsseEnvelope: Envelope, ancestors: [AncestorEntry] = [],
        verificationMaterial: VerificationMaterial? = nil
    ) {
        self.kind = kind
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
            bytes = try readSmallFile(path, limit: Limits.manifestBytes)
        } catch {
            throw .unreadable(error)
        }
        return try parse(consume bytes)
    }

    /// Parses the bytes of a bundle file.
    public static func parse(_ bytes: consuming [UInt8]) throws(ManifestError) -> ManifestBundle {
        try BundleCodec.decode(consume bytes)
    }

    /// The bytes of the bundle as written to disk: indented JSON with sorted keys.
    public func encoded() throws -> [UInt8] { try BundleCodec.encode(self, compact: false) }

    /// The bundle as one line of JSON, as `model_signing` writes its bundles.
    public func encodedCompact() throws -> [UInt8] { try BundleCodec.encode(self, compact: true) }
}

/// How a Sigstore bundle says its signature is to be verified (OMS v1.0 §4.1).
public enum SigningMethod: String, Equatable, Sendable, Encodable {
    /// A long-lived key pair: `verificationMaterial.publicKey`.
    case key
    /// A signing certificate and its CA chain: `verificationMaterial.x509CertificateChain`.
    case certificate
    /// Sigstore keyless signing: one short-lived Fulcio `certificate` and Rekor log entries.
    case sigstore
}

/// A Sigstore bundle's verification material, decoded (OMS v1.0 §4.1, §11.1).
///
/// Exactly one of the three shapes is present: a public key (by `hint`, or by `rawBytes` and
/// `keyDetails` before model_signing 1.1 — §11.2 item 1), an X.509 chain (leaf first, DER), or a
/// single Fulcio certificate. Transparency-log entries are counted, not interpreted: a key or
/// certificate bundle may have none (§11.1 `tlogEntries`), pedigree does not verify Sigstore
/// bundles at all.
public struct VerificationMaterial: Equatable, Sendable {
    /// What `model_signing` 1.1+ names the key by: the hex SHA-256 of its PEM text.
    public var publicKeyHint: String?
    /// What `model_signing` 0.3.1–1.0 wrote instead of a hint: the public key itself (the PEM
    /// text of its SubjectPublicKeyInfo), Base64-decoded.
    public var publicKeyRawBytes: [UInt8]?
    /// The `keyDetails` beside `rawBytes` (`PKIX_ECDSA_P256_SHA_256`, …), informational.
    public var keyDetails: String?
    /// The certificate method's chain: DER certificates, the signing (leaf) certificate first.
    public var certificateChain: [[UInt8]]?
    /// The Sigstore method's Fulcio certificate (DER).
    public var sigstoreCertificate: [UInt8]?
    /// How many transparency-log entries the bundle carries.
    public var logEntries: Int

    public init(
        publicKeyHint: String? = nil, publicKeyRawBytes: [UInt8]? = nil, keyDetails: String? = nil,
        certificateChain: [[UInt8]]? = nil, sigstoreCertificate: [UInt8]? = nil, logEntries: Int = 0
    ) {
        self.publicKeyHint = publicKeyHint
        self.publicKeyRawBytes = publicKeyRawBytes
        self.keyDetails = keyDetails
        self.certificateChain = certificateChain
        self.sigstoreCertificate = sigstoreCertificate
        self.logEntries = logEntries
    }

    /// Whether the material names `key`: its hint is the SHA-256 of the key's PEM text (as
    /// model_signing computes it), or its `rawBytes` hold that key. `false` when it names no key.
    public func names(_ key: PublicKey) -> Bool {
        if let hint = publicKeyHint, let pem = try? key.pem { return SHA256.hash(Array(pem.utf8)).hex == hint.lowercased() }
        if let raw = publicKeyRawBytes {
            let given = (try? PublicKey(pem: raw)) ?? (try? PublicKey(spkiDER: raw))
            return given?.keyID == key.keyID
        }
        return false
    }

    /// The signing method the material is for: a chain means `certificate`, a lone certificate
    /// `sigstore`, anything else (a key, or nothing) `key`.
    public var method: SigningMethod {
        if certificateChain != nil { return .certificate }
        if sigstoreCertificate != nil { return .sigstore }
        return .key
    }
}

/// One ancestor's signed manifest, embedded in a descendant's bundle.
public struct AncestorEntry: Equatable, Sendable {
    public var dsseEnvelope: Envelope
    /// For an ancestor signed by `model_signing`: its bundle's public-key hint.
    public var verificationMaterial: VerificationMaterial?

    public init(dsseEnvelope: Envelope, verificationMaterial: VerificationMaterial? = nil) {
        self.dsseEnvelope = dsseEnvelope
        self.verificationMaterial = verificationMaterial
    }
}

/// Why a manifest cannot be read or trusted as a manifest.
public enum ManifestError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    case unreadable(FileError)
    /// Not JSON, or JSON without the fields a bundle needs (the message names the field).
    case malformed(String)
    case wrongMediaType(String)
    case wrongPayloadType(String)
    /// `field` (a path such as `dsseEnvelope.payload`) is not Base64.
    case badBase64(field: String)
    /// The envelope at `path` has no signature.
    case noSignatures(path: String)
    /// The envelope at `path` has more than `Limits.signaturesPerEnvelope` signatures.
    case tooManySignatures(path: String, count: Int)
    case tooManyAncestors(Int)
    /// Two embedded ancestors are the same manifest (1-based positions).
    case duplicateAncestor(first: Int, second: Int, SHA256Digest)
    case statement(String)
    case unknownPredicate(String)
    /// Resource names that are not safe relative paths, each as "resource N: name '…' …":
    /// the manifest is refused whole, before any file is opened.
    case unsafeNames([String])

    public var description: String {
        switch self {
        case let .unreadable(error): return error.reasonText
        case let .malformed(message): return message
        case let .wrongMediaType(found):
            return "mediaType is '\(printable(found))', expected '\(MediaTypes.bundle)' or '\(MediaTypes.sigstoreBundle)'"
        case let .wrongPayloadType(found):
            return "dsseEnvelope.payloadType is '\(printable(found))', expected '\(MediaTypes.inToto)'"
        case let .badBase64(field): return "\(field) is not valid Base64"
        case let .noSignatures(path): return "\(path).signatures is empty: the manifest is not signed"
        case let .tooManySignatures(path, count):
            return "\(path).signatures holds \(count) signatures; at most \(Limits.signaturesPerEnvelope) are read"
        case let .tooManyAncestors(count):
            return "ancestors holds \(count) manifests; at most \(Limits.ancestors) are read"
        case let .duplicateAncestor(first, second, digest):
            return "ancestors \(first) and \(second) are the same manifest (\(digest.hex.prefix(12))…); each ancestor is embedded once"
        case let .statement(message): return "the signed payload is not an in-toto Statement v1: \(message)"
        case let .unknownPredicate(type):
            return "predicateType '\(printable(type))' is neither '\(MediaTypes.pedigreePredicate)' nor '\(MediaTypes.omsPredicate)'"
        case let .unsafeNames(problems): return problems.joined(separator: "\n")
        }
    }

    /// 66 when the file could not be read (missing, unreadable), else 65.
    public var exitStatus: ExitStatus {
        if case .unreadable(let error) = self, case .system = error.reason { return .noInput }
        return .dataError
    }
}
