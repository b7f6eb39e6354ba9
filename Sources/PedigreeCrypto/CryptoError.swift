internal import COpenSSL

/// An error raised by the cryptographic layer.
///
/// Failures inside OpenSSL carry the name of the failing call and the text of OpenSSL's
/// error queue, read right after the call failed.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An OpenSSL call failed; `reason` is the error-queue text (may be empty).
    case openssl(function: String, reason: String)
    /// The bytes are not a key this tool can use, with a reason.
    case invalidKey(String)
    /// The key is encrypted and no passphrase was given, or the passphrase is wrong.
    case passphrase(String)
    /// The key type is not one of Ed25519, ECDSA P-256, P-384, P-521.
    case unsupportedKeyType(String)

    public var description: String {
        switch self {
        case let .openssl(function, reason):
            return reason.isEmpty ? "\(function) failed" : "\(function) failed: \(reason)"
        case let .invalidKey(reason): return "invalid key: \(reason)"
        case let .passphrase(reason): return reason
        case let .unsupportedKeyType(type):
            return "unsupported key type \(type) (supported: Ed25519, ECDSA P-256, ECDSA P-384, ECDSA P-521)"
        }
    }

    /// Drains OpenSSL's thread-local error queue into an `.openssl` error for `function`.
    static func fromQueue(_ function: String) -> CryptoError {
        .openssl(function: function, reason: drainErrorQueue())
    }
}

/// Reads and clears OpenSSL's thread-local error queue; the reasons, most recent last.
func drainErrorQueue() -> String {
    var reasons: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if !reasons.contains(text) { reasons.append(text) }
    }
    return reasons.joined(separator: "; ")
}
