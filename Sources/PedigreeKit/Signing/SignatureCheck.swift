import PedigreeCrypto

/// What became of one signature of an envelope.
public struct SignatureResult: Equatable, Sendable, Encodable {
    public enum Status: String, Equatable, Sendable, Encodable {
        /// Valid, by a trusted key.
        case trusted
        /// By a key that is not among the trusted keys, so it proves nothing.
        case unknownKey = "unknown-key"
        /// Claims a trusted key but does not verify: the payload or the signature was altered.
        case invalid
    }

    /// 1-based position in the envelope.
    public var index: Int
    /// The key id the signature names (may be empty).
    public var keyid: String
    public var status: Status
    /// The trusted key's file, for a trusted or invalid signature.
    public var key: String?
    /// The trusted key's algorithm, for a trusted or invalid signature.
    public var algorithm: String?
}

extension Envelope {
    /// Checks every signature over this envelope's payload against `keys`.
    ///
    /// A signature whose key id names a trusted key must verify with it (else it is
    /// `.invalid`); one with an empty or unknown key id is tried with every trusted key, as
    /// `model_signing` bundles carry no key id.
    public func checkSignatures(payload: [UInt8], keys: [TrustedKey]) -> [SignatureResult] {
        let message = Self.pae(payloadType: payloadType, payload: payload)
        return signatures.enumerated().map { offset, signature in
            var result = SignatureResult(index: offset + 1, keyid: signature.keyid, status: .unknownKey)
            guard let bytes = base64Decode(signature.sig) else {
                result.status = .invalid
                return result
            }
            let named = keys.filter { $0.key.keyID == signature.keyid }
            if let first = named.first {
                let valid = named.first { $0.key.isValidSignature(bytes, for: message) }
                let key = valid ?? first
                result.status = valid == nil ? .invalid : .trusted
                result.key = key.label
                result.algorithm = key.key.algorithm.displayName
                return result
            }
            if let key = keys.first(where: { $0.key.isValidSignature(bytes, for: message) }) {
                result.status = .trusted
                result.key = key.label
                result.algorithm = key.key.algorithm.displayName
            }
            return result
        }
    }
}

extension Array where Element == SignatureResult {
    /// Signed by at least one trusted key, and no signature claiming a trusted key failed.
    public var isTrusted: Bool { trust == .trusted }

    /// Invalid if any signature claiming a trusted key fails, else trusted if one is by a
    /// trusted key, else untrusted.
    public var trust: AncestorTrust {
        if contains(where: { $0.status == .invalid }) { return .invalid }
        return contains { $0.status == .trusted } ? .trusted : .untrusted
    }
}
