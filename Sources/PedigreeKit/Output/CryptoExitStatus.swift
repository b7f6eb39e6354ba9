import PedigreeCrypto

// The exit statuses of PedigreeCrypto's errors, declared here because PedigreeCrypto sits
// below PedigreeKit and does not see `ExitStatus`.

extension CryptoError: ExitStatusProviding {
    /// 70 when OpenSSL itself failed; 65 for a key that cannot be used (malformed, encrypted
    /// without or with the wrong passphrase, an unsupported type).
    public var exitStatus: ExitStatus {
        switch self {
        case .openssl: return .software
        case .invalidKey, .passphrase, .unsupportedKeyType: return .dataError
        }
    }
}

extension CertificateError: ExitStatusProviding {
    /// 70 when OpenSSL itself failed; 65 for a certificate that cannot be read or a key and
    /// certificate that cannot sign together.
    public var exitStatus: ExitStatus {
        switch self {
        case .openssl: return .software
        case .noCertificate, .malformedPEM, .malformedCertificate, .emptyChain, .malformedChainCertificate,
            .keyDoesNotMatchCertificate, .notForSigning:
            return .dataError
        }
    }
}

extension CertificateValidationError: ExitStatusProviding {
    /// 1 for a chain that fails a check (verification failed); 64 when no trust anchor was
    /// given; 70 when OpenSSL itself failed.
    public var exitStatus: ExitStatus {
        switch self {
        case .noTrustAnchors: return .usage
        case .openssl: return .software
        case .expired, .notYetValid, .selfSignedLeafNotTrusted, .untrustedRoot, .noPathToTrustAnchor,
            .badCertificateSignature, .issuerNotACertificateAuthority, .pathLengthExceeded, .unsuitableKeyUsage,
            .unsupportedLeafKey, .rejected:
            return .failure
        }
    }
}
