internal import COpenSSL

/// The signature schemes pedigree signs and verifies with.
public enum KeyAlgorithm: String, Sendable, CaseIterable, Codable {
    /// Ed25519 (RFC 8032), signing the message itself.
    case ed25519
    /// ECDSA on NIST P-256 over SHA-256, DER-encoded signatures.
    case ecdsaP256 = "ecdsa-p256"
    /// ECDSA on NIST P-384 over SHA-384, DER-encoded signatures.
    case ecdsaP384 = "ecdsa-p384"
    /// ECDSA on NIST P-521 over SHA-512, DER-encoded signatures (OMS algorithm registry).
    case ecdsaP521 = "ecdsa-p521"

    /// A name for people: `Ed25519`, `ECDSA P-256`, `ECDSA P-384`, `ECDSA P-521`.
    public var displayName: String {
        switch self {
        case .ed25519: return "Ed25519"
        case .ecdsaP256: return "ECDSA P-256"
        case .ecdsaP384: return "ECDSA P-384"
        case .ecdsaP521: return "ECDSA P-521"
        }
    }

    /// The NIST name of the curve (`P-256`, `P-384`, `P-521`); `nil` for Ed25519.
    public var curveName: String? {
        switch self {
        case .ed25519: return nil
        case .ecdsaP256: return "P-256"
        case .ecdsaP384: return "P-384"
        case .ecdsaP521: return "P-521"
        }
    }

    /// The name of the digest an ECDSA signature is computed over (`sha256`, `sha384`,
    /// `sha512`, as `openssl dgst -<name>` spells it); `nil` for Ed25519, which signs the
    /// message itself.
    ///
    /// The pairing curve → digest is the one model_signing uses (`get_ec_key_hash`) and the
    /// Sigstore algorithm registry lists.
    public var digestName: String? {
        switch self {
        case .ed25519: return nil
        case .ecdsaP256: return "sha256"
        case .ecdsaP384: return "sha384"
        case .ecdsaP521: return "sha512"
        }
    }

    /// Whether this is one of the ECDSA curves.
    public var isECDSA: Bool { self != .ed25519 }

    /// The digest an ECDSA signature is computed over; `nil` for Ed25519.
    fileprivate var messageDigest: OpaquePointer? {
        switch self {
        case .ed25519: return nil
        case .ecdsaP256: return EVP_sha256()
        case .ecdsaP384: return EVP_sha384()
        case .ecdsaP521: return EVP_sha512()
        }
    }
}

/// An `EVP_PKEY`, freed with the last reference.
final class KeyHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }
}

/// The algorithm of a loaded key, or an error naming what the key is instead.
private func algorithm(of key: OpaquePointer) throws(CryptoError) -> KeyAlgorithm {
    let id = EVP_PKEY_get_base_id(key)
    switch id {
    case EVP_PKEY_ED25519:
        return .ed25519
    case EVP_PKEY_EC:
        var name = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else {
            throw CryptoError.fromQueue("EVP_PKEY_get_group_name")
        }
        let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch curve {
        case "prime256v1", "P-256", "secp256r1": return .ecdsaP256
        case "secp384r1", "P-384": return .ecdsaP384
        case "secp521r1", "P-521": return .ecdsaP521
        default: throw CryptoError.unsupportedKeyType("ECDSA on curve \(curve)")
        }
    case EVP_PKEY_RSA:
        throw CryptoError.unsupportedKeyType("RSA")
    default:
        let name = OBJ_nid2sn(id).map { String(cString: $0) } ?? "NID \(id)"
        throw CryptoError.unsupportedKeyType(name)
    }
}

/// A private signing key held by OpenSSL.
public struct PrivateKey: Sendable {
    let handle: KeyHandle
    public let algorithm: KeyAlgorithm

    private init(handle: KeyHandle) throws(CryptoError) {
        self.handle = handle
        self.algorithm = try PedigreeCrypto.algorithm(of: handle.pointer)
    }

    /// A fresh key pair from OpenSSL's default random source.
    public static func generate(_ algorithm: KeyAlgorithm) throws(CryptoError) -> PrivateKey {
        let context: OpaquePointer?
        switch algorithm {
        case .ed25519: context = EVP_PKEY_CTX_new_from_name(nil, "ED25519", nil)
        case .ecdsaP256, .ecdsaP384, .ecdsaP521: context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil)
        }
        guard let context else { throw CryptoError.fromQueue("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw CryptoError.fromQueue("EVP_PKEY_keygen_init") }
        if let group = algorithm.curveName {
            guard EVP_PKEY_CTX_set_group_name(context, group) == 1 else {
                throw CryptoError.fromQueue("EVP_PKEY_CTX_set_group_name")
            }
        }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_keygen(context, &key) == 1, let key else { throw CryptoError.fromQueue("EVP_PKEY_keygen") }
        return try PrivateKey(handle: KeyHandle(key))
    }

    /// Loads a PEM private key: PKCS#8 (plain or encrypted), or a traditional SEC1
    /// `EC PRIVATE KEY` as `openssl ecparam -genkey` writes it.
    ///
    /// - Parameter passphrase: the passphrase of an encrypted key. OpenSSL never prompts.
    /// - Throws: `.passphrase` when the key is encrypted and no or a wrong passphrase is given,
    ///   `.invalidKey` when the bytes are not a private key, `.unsupportedKeyType` for RSA and
    ///   other curves.
    public init(pem: [UInt8], passphrase: [UInt8]? = nil) throws(CryptoError) {
        let request = PassphraseRequest(passphrase)
        let key: OpaquePointer? = withMemoryBIO(pem) { bio in
            withExtendedLifetime(request) {
                PEM_read_bio_PrivateKey(bio, nil, passphraseCallback, Unmanaged.passUnretained(request).toOpaque())
            }
        }
        guard let key else {
            let reason = drainErrorQueue()
            if request.asked {
                if passphrase == nil {
                    throw CryptoError.passphrase("the private key is encrypted and no passphrase was given")
                }
                throw CryptoError.passphrase("wrong passphrase for the private key")
            }
            let text = String(decoding: pem, as: UTF8.self)
            if !text.contains("-----BEGIN ") { throw CryptoError.invalidKey("not a PEM file") }
            if text.contains("PUBLIC KEY-----") {
                throw CryptoError.invalidKey("this is a public key; a private key is needed")
            }
            throw CryptoError.invalidKey("not a PEM private key (\(reason))")
        }
        try self.init(handle: KeyHandle(key))
    }

    /// The key as PKCS#8 PEM, encrypted with AES-256-CBC under `passphrase` when one is given.
    public func pkcs8PEM(passphrase: [UInt8]? = nil) throws(CryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.fromQueue("BIO_new") }
        defer { BIO_free(bio) }
        let ok: Int32
        if let passphrase {
            ok = passphrase.withUnsafeBufferPointer { buffer in
                let start = UnsafeMutableRawPointer(mutating: buffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                return PEM_write_bio_PKCS8PrivateKey(
                    bio, handle.pointer, EVP_aes_256_cbc(), start, Int32(buffer.count), nil, nil)
            }
        } else {
            ok = PEM_write_bio_PKCS8PrivateKey(bio, handle.pointer, nil, nil, 0, nil, nil)
        }
        guard ok == 1 else { throw CryptoError.fromQueue("PEM_write_bio_PKCS8PrivateKey") }
        return readAll(bio)
    }

    /// The matching public key.
    public var publicKey: PublicKey {
        get throws(CryptoError) {
            var der: UnsafeMutablePointer<UInt8>? = nil
            let length = i2d_PUBKEY(handle.pointer, &der)
            guard length > 0, let der else { throw CryptoError.fromQueue("i2d_PUBKEY") }
            defer { pedigree_OPENSSL_free(der) }
            return try PublicKey(spkiDER: Array(UnsafeBufferPointer(start: der, count: Int(length))))
        }
    }

    /// Signs `message`: Ed25519 over the message itself, ECDSA over its SHA-256 (P-256),
    /// SHA-384 (P-384) or SHA-512 (P-521), DER-encoded.
    public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.fromQueue("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, algorithm.messageDigest, nil, handle.pointer) == 1 else {
            throw CryptoError.fromQueue("EVP_DigestSignInit")
        }
        var length = 0
        guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }) == 1
        else { throw CryptoError.fromQueue("EVP_DigestSign") }
        var signature = [UInt8](repeating: 0, count: length)
        let ok = message.withUnsafeBufferPointer { input in
            EVP_DigestSign(context, &signature, &length, input.baseAddress, input.count)
        }
        guard ok == 1 else { throw CryptoError.fromQueue("EVP_DigestSign") }
        return Array(signature.prefix(length))
    }

    /// Whether `sign(parts:)` streams the pieces of a message into the signature: ECDSA does;
    /// OpenSSL signs with Ed25519 only over a message in one piece.
    public var signsInParts: Bool { algorithm != .ed25519 }

    /// `sign(_:)` of the pieces of `parts` joined, without joining them when the key
    /// `signsInParts`: a signer then reads a large message where it lies, and leaves it as it was.
    public func sign(parts: [UnsafeRawBufferPointer]) throws(CryptoError) -> [UInt8] {
        guard signsInParts else { return try sign(parts.flatMap { Array($0) }) }
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.fromQueue("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, algorithm.messageDigest, nil, handle.pointer) == 1 else {
            throw CryptoError.fromQueue("EVP_DigestSignInit")
        }
        for part in parts {
            guard let base = part.baseAddress, part.count > 0 else { continue }
            guard EVP_DigestSignUpdate(context, base, part.count) == 1 else { throw CryptoError.fromQueue("EVP_DigestSignUpdate") }
        }
        var length = 0
        guard EVP_DigestSignFinal(context, nil, &length) == 1 else { throw CryptoError.fromQueue("EVP_DigestSignFinal") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSignFinal(context, &signature, &length) == 1 else { throw CryptoError.fromQueue("EVP_DigestSignFinal") }
        return Array(signature.prefix(length))
    }
}

/// A public key: what a verifier trusts, named by its key id.
public struct PublicKey: Sendable, Hashable {
    let handle: KeyHandle
    public let algorithm: KeyAlgorithm
    /// The DER encoding of the key's SubjectPublicKeyInfo.
    public let spkiDER: [UInt8]

    /// Loads a key from the DER of a SubjectPublicKeyInfo.
    public init(spkiDER: [UInt8]) throws(CryptoError) {
        let key: OpaquePointer? = spkiDER.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else {
            throw CryptoError.invalidKey("not a DER SubjectPublicKeyInfo (\(drainErrorQueue()))")
        }
        handle = KeyHandle(key)
        algorithm = try PedigreeCrypto.algorithm(of: key)
        self.spkiDER = spkiDER
    }

    /// Loads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as `openssl pkey -pubout` writes it.
    public init(pem: [UInt8]) throws(CryptoError) {
        let key: OpaquePointer? = withMemoryBIO(pem) { bio in PEM_read_bio_PUBKEY(bio, nil, nil, nil) }
        guard let key else {
            let reason = drainErrorQueue()
            let text = String(decoding: pem, as: UTF8.self)
            if !text.contains("-----BEGIN ") { throw CryptoError.invalidKey("not a PEM file") }
            if text.contains("PRIVATE KEY-----") {
                throw CryptoError.invalidKey("this is a private key; give the public key (openssl pkey -pubout)")
            }
            throw CryptoError.invalidKey("not a PEM public key (\(reason))")
        }
        let handle = KeyHandle(key)
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(key, &der)
        guard length > 0, let der else { throw CryptoError.fromQueue("i2d_PUBKEY") }
        defer { pedigree_OPENSSL_free(der) }
        self.handle = handle
        self.algorithm = try PedigreeCrypto.algorithm(of: key)
        self.spkiDER = Array(UnsafeBufferPointer(start: der, count: Int(length)))
    }

    /// The key id: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo.
    public var keyID: String { SHA256.hash(spkiDER).hex }

    /// The key as PEM `PUBLIC KEY`.
    public var pem: String { pemArmor(spkiDER, label: "PUBLIC KEY") }

    /// Whether `signature` is this key's signature over `message` (see `PrivateKey.sign`).
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        guard EVP_DigestVerifyInit(context, nil, algorithm.messageDigest, nil, handle.pointer) == 1 else {
            return false
        }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        return result == 1
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.spkiDER == rhs.spkiDER }
    public func hash(into hasher: inout Hasher) { hasher.combine(spkiDER) }
}

/// What OpenSSL's passphrase callback needs: the passphrase, and whether it was asked for.
private final class PassphraseRequest {
    let passphrase: [UInt8]?
    var asked = false
    init(_ passphrase: [UInt8]?) { self.passphrase = passphrase }
}

/// OpenSSL's `pem_password_cb`: copies the passphrase, or fails when there is none, so that
/// OpenSSL never falls back to prompting on the terminal.
private let passphraseCallback: @convention(c) (
    UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?
) -> Int32 = { buffer, size, _, userdata in
    guard let userdata, let buffer else { return -1 }
    let request = Unmanaged<PassphraseRequest>.fromOpaque(userdata).takeUnretainedValue()
    request.asked = true
    guard let passphrase = request.passphrase, passphrase.count <= Int(size) else { return -1 }
    passphrase.withUnsafeBytes { raw in
        UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress!, byteCount: passphrase.count)
    }
    return Int32(passphrase.count)
}

/// Runs `body` with a read-only memory BIO over `bytes`.
private func withMemoryBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) -> T?) -> T? {
    bytes.withUnsafeBytes { raw -> T? in
        guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
        defer { BIO_free(bio) }
        return body(bio)
    }
}

/// Everything written to a memory BIO, as text.
private func readAll(_ bio: OpaquePointer) -> String {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = BIO_read(bio, &chunk, Int32(chunk.count))
        if n <= 0 { break }
        out += chunk.prefix(Int(n))
    }
    return String(decoding: out, as: UTF8.self)
}
