import PedigreeCrypto
import Synchronization

/// What became of one signature of an envelope.
public struct SignatureResult: Equatable, Sendable, Encodable {
    public enum Status: String, Equatable, Sendable, Encodable {
        /// Valid, by a trusted key.
        case trusted
        /// By a key that is not among the trusted keys, so it proves nothing.
        case unknownKey = "unknown-key"
        /// Claims a trusted key but does not verify: the payload or the signature was altered.
        case invalid
        /// Not verified: the run's verification budget was spent, or an earlier signature of
        /// the same envelope already proved it altered. Proves nothing.
        case unchecked
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

/// The signature verifications one run may perform, shared by everything the run checks.
///
/// A bundle's signatures cost work only when they could matter: a signature that names a
/// key id is verified only against the trusted key with that id, and only signatures with
/// no key id (OMS bundles carry none) are tried against every trusted key. The budget caps
/// what is left (`Limits.signatureVerificationsPerRun`), so no bundle, however many
/// ancestors and signatures it holds, costs more than that many verifications.
public final class SignatureBudget: Sendable {
    /// The most verifications this budget allows.
    public let limit: Int
    private let used = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    public init(limit: Int = Limits.signatureVerificationsPerRun) {
        self.limit = limit
    }

    /// Verifications performed so far.
    public var performed: Int { min(used.load(ordering: .relaxed), limit) }

    /// Verifications asked for after the budget was spent (their signatures are `.unchecked`).
    public var refusedCount: Int { refused.load(ordering: .relaxed) }

    /// Takes one verification; `false` when none is left.
    func take() -> Bool {
        if used.wrappingAdd(1, ordering: .relaxed).oldValue < limit { return true }
        refused.add(1, ordering: .relaxed)
        return false
    }
}

extension Envelope {
    /// Checks every signature over this envelope's payload against `keys`.
    ///
    /// A signature whose key id names a trusted key must verify with it (else it is
    /// `.invalid`, and the envelope's later signatures that would need a verification are not
    /// tried: it is already proved altered). One whose key id names no trusted key is
    /// `.unknownKey` without any work. One with no key id is tried with every trusted key,
    /// as `model_signing` bundles carry none. Each verification is taken from `budget`.
    public func checkSignatures(keys: [TrustedKey], budget: SignatureBudget = SignatureBudget()) -> [SignatureResult] {
        let message = signedMessage
        var altered = false
        return signatures.enumerated().map { offset, signature in
            var result = SignatureResult(index: offset + 1, keyid: signature.keyid, status: .unknownKey)
            if !signature.keyid.isEmpty {
                // Keys with one id are one key (the id is the digest of the key), whatever file
                // each came from: one verification decides.
                guard let named = keys.first(where: { $0.key.keyID == signature.keyid }) else { return result }
                result.key = named.label
                result.algorithm = named.key.algorithm.displayName
                guard !altered, budget.take() else {
                    result.status = .unchecked
                    return result
                }
                if named.key.isValidSignature(signature.sig, for: message) {
                    result.status = .trusted
                } else {
                    result.status = .invalid
                    altered = true
                }
                return result
            }
            for key in keys {
                guard budget.take() else {
                    result.status = .unchecked
                    return result
                }
                if key.key.isValidSignature(signature.sig, for: message) {
                    result.status = .trusted
                    result.key = key.label
                    result.algorithm = key.key.algorithm.displayName
                    return result
                }
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
