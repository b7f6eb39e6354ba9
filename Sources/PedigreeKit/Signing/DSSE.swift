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
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }

    /// The bytes every signature of this envelope signs.
    public var signedMessage: [UInt8] { Self.pae(payloadType: payloadType, payload: payload) }

    /// An envelope over `payload` signed by `key`.
    public static func sign(payload: [UInt8], payloadType: String, key: PrivateKey) throws(CryptoError) -> Envelope {
        var envelope = Envelope(payloadType: payloadType, payload: payload, signatures: [])
        try envelope.addSignature(key: key)
        return envelope
    }

    /// Appends `key`'s signature over the payload.
    public mutating func addSignature(key: PrivateKey) throws(CryptoError) {
        let publicKey = try key.publicKey
        let signature = try key.sign(signedMessage)
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
