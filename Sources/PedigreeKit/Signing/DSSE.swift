import PedigreeCrypto

/// Dead Simple Signing Envelope v1 (https://github.com/secure-systems-lab/dsse, envelope.md
/// and protocol.md): a payload, its type, and signatures over the pre-authentication encoding.
public struct Envelope: Codable, Equatable, Sendable {
    public var payloadType: String
    /// The payload, Base64-encoded.
    public var payload: String
    public var signatures: [EnvelopeSignature]

    public init(payloadType: String, payload: String, signatures: [EnvelopeSignature]) {
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

    /// An envelope over `payload` signed by `key`.
    public static func sign(payload: [UInt8], payloadType: String, key: PrivateKey) throws -> Envelope {
        var envelope = Envelope(payloadType: payloadType, payload: base64Encode(payload), signatures: [])
        try envelope.addSignature(payload: payload, key: key)
        return envelope
    }

    /// Appends `key`'s signature over `payload` (which must be this envelope's payload).
    public mutating func addSignature(payload: [UInt8], key: PrivateKey) throws {
        let publicKey = try key.publicKey
        let signature = try key.sign(Self.pae(payloadType: payloadType, payload: payload))
        signatures.append(EnvelopeSignature(keyid: publicKey.keyID, sig: base64Encode(signature)))
    }
}

/// One signature of an envelope.
public struct EnvelopeSignature: Codable, Equatable, Sendable {
    /// The signer's key id (hex SHA-256 of its SubjectPublicKeyInfo); may be empty.
    public var keyid: String
    /// The signature, Base64-encoded.
    public var sig: String

    public init(keyid: String, sig: String) {
        self.keyid = keyid
        self.sig = sig
    }

    enum CodingKeys: String, CodingKey { case keyid, sig }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        keyid = try container.decodeIfPresent(String.self, forKey: .keyid) ?? ""
        sig = try container.decode(String.self, forKey: .sig)
    }
}
