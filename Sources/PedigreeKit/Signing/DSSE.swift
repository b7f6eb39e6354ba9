import PedigreeCrypto

/// Dead Simple Signing Envelope v1 (https://github.com/secure-systems-lab/dsse, envelope.md
/// and protocol.md): a payload, its type, and signatures over the pre-authentication encoding.
///
/// Holds the payload and signatures as bytes: the Base64 of the file is decoded once, when
/// the bundle is read (`BundleCodec`), and encoded again only when it is written.
public struct Envelope: Equatable, Sendable {
    public var payloadType: String
    /// The payload's bytes: what is signed (through the PAE) and what is hashed to name it.
    public var payload: [UInt8]
    public var signatures: [EnvelopeSignature]

    public init(payloadType: String, payload: [UInt8], signatures: [EnvelopeSignature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// The pre-authentication encoding of DSSE v1:
    /// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
    public static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        paePrefix(payloadType: payloadType, payloadCount: payload.count) + payload
    }

    /// The PAE up to the body: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP`.
    static func paePrefix(payloadType: String, payloadCount: Int) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payloadCount) ".utf8)
    }

    /// Spare capacity a payload writer leaves so a signature is made over the payload in place
    /// (the prefix moved in front of it and out again) rather than over a copy: enough for the
    /// prefix with any payload type of up to 256 bytes.
    static let paePrefixRoom = 320

    /// The bytes every signature of this envelope signs.
    public var signedMessage: [UInt8] { Self.pae(payloadType: payloadType, payload: payload) }

    /// An envelope over `payload` signed by `key`.
    ///
    /// The payload is taken, not copied: given the last reference to a buffer with room for the
    /// PAE prefix, the signature is made over it in place (see `addSignature`).
    public static func sign(payload: consuming [UInt8], payloadType: String, key: PrivateKey) throws(CryptoError) -> Envelope {
        var envelope = Envelope(payloadType: payloadType, payload: consume payload, signatures: [])
        try envelope.addSignature(key: key)
        return envelope
    }

    /// Appends `key`'s signature over the payload.
    ///
    /// An ECDSA key signs the PAE prefix and the payload as two pieces (`PrivateKey.sign(parts:)`),
    /// reading the payload where it lies: it is neither copied nor moved, so another thread may
    /// read it meanwhile (`ModelSigner.sign` digests it). Ed25519 signs one piece: when the
    /// payload's buffer has room for the prefix (`paePrefixRoom`, which `StatementCodec.encode`
    /// leaves) and is not shared, the prefix is moved in front of the payload for the signature
    /// and out again, so a large payload is not copied; else the signature is over a copy
    /// (`signedMessage`). The payload's bytes are the same either way.
    public mutating func addSignature(key: PrivateKey) throws(CryptoError) {
        let publicKey = try key.publicKey
        let prefix = Self.paePrefix(payloadType: payloadType, payloadCount: payload.count)
        let signature: [UInt8]
        if key.signsInParts {
            let signed = prefix.withUnsafeBytes { head in
                payload.withUnsafeBytes { body in Result { () throws(CryptoError) in try key.sign(parts: [head, body]) } }
            }
            signature = try signed.get()
        } else if payload.capacity - payload.count >= prefix.count {
            payload.insert(contentsOf: prefix, at: 0)
            defer { payload.removeFirst(prefix.count) }
            signature = try key.sign(payload)
        } else {
            signature = try key.sign(signedMessage)
        }
        signatures.append(EnvelopeSignature(keyid: publicKey.keyID, sig: signature))
    }
}

/// One signature of an envelope.
public struct EnvelopeSignature: Equatable, Sendable {
    /// The signer's key id (hex SHA-256 of its SubjectPublicKeyInfo); empty when the signer
    /// gave none, as `model_signing` does.
    public var keyid: String
    /// The signature's bytes.
    public var sig: [UInt8]

    public init(keyid: String, sig: [UInt8]) {
        self.keyid = keyid
        self.sig = sig
    }
}
