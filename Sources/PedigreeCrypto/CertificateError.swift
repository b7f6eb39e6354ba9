#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
internal import COpenSSL

/// A certificate that cannot be read, or a key and certificate that cannot sign together.
public enum CertificateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// PEM text without a `CERTIFICATE` block; `found` lists the labels of the blocks it has.
    case noCertificate(found: [String])
    /// Broken PEM armour or Base64, with OpenSSL's reason.
    case malformedPEM(String)
    /// Bytes that are not a well-formed X.509 certificate, with the reason.
    case malformedCertificate(String)
    /// A certificate chain with no certificate in it.
    case emptyChain
    /// Certificate `position` (1 = the leaf) of a chain is malformed.
    case malformedChainCertificate(position: Int, reason: String)
    /// The private key is not the key the certificate certifies.
    case keyDoesNotMatchCertificate(subject: String, certificateKeyID: String, privateKeyID: String)
    /// The certificate may not be used to sign (see `Certificate.isUsableForSigning`).
    case notForSigning(subject: String, keyUsage: KeyUsage?, extendedKeyUsage: [ExtendedKeyUsage]?)
    /// An OpenSSL call failed; `reason` is the error-queue text.
    case openssl(function: String, reason: String)

    public var description: String {
        switch self {
        case let .noCertificate(found):
            if found.isEmpty { return "no PEM certificate found (expected -----BEGIN CERTIFICATE-----)" }
            return "no PEM certificate found, only \(found.joined(separator: ", ")) (expected -----BEGIN CERTIFICATE-----)"
        case let .malformedPEM(reason):
            return reason.isEmpty ? "malformed PEM" : "malformed PEM: \(reason)"
        case let .malformedCertificate(reason):
            return "malformed certificate: \(reason)"
        case .emptyChain:
            return "the certificate chain is empty; it must start with the signing certificate"
        case let .malformedChainCertificate(position, reason):
            let which = position == 1 ? "the signing certificate (1st in the chain)" : "certificate \(position) of the chain"
            return "\(which) is malformed: \(reason)"
        case let .keyDoesNotMatchCertificate(subject, certificateKeyID, privateKeyID):
            return """
                the private key does not belong to the certificate '\(subject)': the certificate \
                certifies key \(certificateKeyID), the private key's public key is \(privateKeyID); \
                give the key the certificate was issued for
                """
        case let .notForSigning(subject, keyUsage, extendedKeyUsage):
            return "the certificate '\(subject)' \(signingUsageProblem(keyUsage, extendedKeyUsage))"
        case let .openssl(function, reason):
            return reason.isEmpty ? "\(function) failed" : "\(function) failed: \(reason)"
        }
    }

    static func fromQueue(_ function: String) -> CertificateError {
        .openssl(function: function, reason: drainErrorQueue())
    }
}

/// Why a certificate chain was not accepted: which check failed, on which certificate.
///
/// `depth` counts from the signing certificate (0) towards the trust anchor.
public enum CertificateValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No trust anchor was given, so no chain can be trusted.
    case noTrustAnchors
    /// A certificate of the chain had expired at the verification time.
    case expired(subject: String, depth: Int, notAfter: Date, verificationTime: Date)
    /// A certificate of the chain was not yet valid at the verification time.
    case notYetValid(subject: String, depth: Int, notBefore: Date, verificationTime: Date)
    /// The signing certificate is self-signed and not one of the trust anchors.
    case selfSignedLeafNotTrusted(subject: String)
    /// The chain ends at a self-signed CA certificate that is not one of the trust anchors.
    case untrustedRoot(subject: String)
    /// No trust anchor, and no certificate of the chain, issued `subject` (whose issuer is
    /// `issuer`): the chain does not lead to a trusted anchor.
    case noPathToTrustAnchor(subject: String, issuer: String)
    /// The signature on a certificate does not verify with its issuer's key.
    case badCertificateSignature(subject: String, depth: Int)
    /// A certificate that issued another is not a CA (basicConstraints cA, keyCertSign).
    case issuerNotACertificateAuthority(subject: String, depth: Int)
    /// A CA's pathLenConstraint is exceeded.
    case pathLengthExceeded(subject: String, depth: Int)
    /// The signing certificate may not sign (see `Certificate.isUsableForSigning`).
    case unsuitableKeyUsage(subject: String, keyUsage: KeyUsage?, extendedKeyUsage: [ExtendedKeyUsage]?)
    /// The signing certificate certifies a key type pedigree does not verify with.
    case unsupportedLeafKey(subject: String, reason: String)
    /// Another of OpenSSL's chain checks failed (`X509_verify_cert_error_string`).
    case rejected(subject: String, depth: Int, reason: String)
    /// An OpenSSL call failed; `reason` is the error-queue text.
    case openssl(function: String, reason: String)

    public var description: String {
        switch self {
        case .noTrustAnchors:
            return "no trusted CA certificate was given; a certificate chain is only checked against trust anchors"
        case let .expired(subject, depth, notAfter, time):
            return """
                \(role(depth)) '\(subject)' expired on \(rfc3339UTC(notAfter)) (verification time \
                \(rfc3339UTC(time))); it needs renewing by its issuer
                """
        case let .notYetValid(subject, depth, notBefore, time):
            return """
                \(role(depth)) '\(subject)' is not valid before \(rfc3339UTC(notBefore)) \
                (verification time \(rfc3339UTC(time))); check the clock of the machine that issued it or this one
                """
        case let .selfSignedLeafNotTrusted(subject):
            return """
                the signing certificate '\(subject)' is self-signed and is not among the trusted CA \
                certificates; trust it by giving it as a CA certificate, or sign with a CA-issued certificate
                """
        case let .untrustedRoot(subject):
            return """
                the chain ends at the CA '\(subject)', which is not among the trusted CA certificates; \
                give that CA's certificate if you trust it
                """
        case let .noPathToTrustAnchor(subject, issuer):
            return """
                no trusted CA issued '\(subject)': its issuer '\(issuer)' is neither a trusted CA \
                certificate nor in the bundle's chain; give the CA certificate that issued it
                """
        case let .badCertificateSignature(subject, depth):
            return """
                the signature on \(role(depth)) '\(subject)' does not verify with its issuer's key: \
                it was altered, or was issued by a different CA of the same name
                """
        case let .issuerNotACertificateAuthority(subject, depth):
            return """
                \(role(depth)) '\(subject)' issued a certificate of the chain but is not a CA \
                (it needs basicConstraints CA:TRUE and, with keyUsage, keyCertSign)
                """
        case let .pathLengthExceeded(subject, depth):
            return "\(role(depth)) '\(subject)': the chain is longer than a CA's pathLenConstraint allows"
        case let .unsuitableKeyUsage(subject, keyUsage, extendedKeyUsage):
            return "the signing certificate '\(subject)' \(signingUsageProblem(keyUsage, extendedKeyUsage))"
        case let .unsupportedLeafKey(subject, reason):
            return "the signing certificate '\(subject)' certifies a key pedigree cannot verify with: \(reason)"
        case let .rejected(subject, depth, reason):
            return "\(role(depth)) '\(subject)' was rejected: \(reason)"
        case let .openssl(function, reason):
            return reason.isEmpty ? "\(function) failed" : "\(function) failed: \(reason)"
        }
    }
}

/// `the signing certificate` for depth 0, `the CA certificate at depth n` above it.
private func role(_ depth: Int) -> String {
    depth == 0 ? "the signing certificate" : "the CA certificate at depth \(depth)"
}

/// Why a certificate may not sign, saying what it has.
private func signingUsageProblem(_ keyUsage: KeyUsage?, _ extendedKeyUsage: [ExtendedKeyUsage]?) -> String {
    let has = [
        "keyUsage " + (keyUsage.map(\.description) ?? "absent"),
        "extendedKeyUsage " + (extendedKeyUsage.map { $0.isEmpty ? "none" : $0.map(\.description).joined(separator: ", ") } ?? "absent"),
    ]
    return """
        cannot be used for signing: it needs keyUsage digitalSignature or extendedKeyUsage \
        codeSigning, and has \(has.joined(separator: "; "))
        """
}
