import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing

/// PedigreeCrypto's errors end a run with the status their kind calls for.
@Suite struct CryptoExitStatuses {
    @Test func failedChecksAreVerificationFailuresAndBadInputIsADataError() {
        let now = Date()
        #expect(CertificateValidationError.expired(subject: "CN=a", depth: 0, notAfter: now, verificationTime: now).exitStatus == .failure)
        #expect(CertificateValidationError.noPathToTrustAnchor(subject: "CN=a", issuer: "CN=b").exitStatus == .failure)
        #expect(CertificateValidationError.unsuitableKeyUsage(subject: "CN=a", keyUsage: nil, extendedKeyUsage: nil).exitStatus == .failure)
        #expect(CertificateValidationError.noTrustAnchors.exitStatus == .usage)
        #expect(CertificateValidationError.openssl(function: "X509_STORE_new", reason: "").exitStatus == .software)
        #expect(CertificateError.malformedCertificate("x").exitStatus == .dataError)
        #expect(CertificateError.keyDoesNotMatchCertificate(subject: "CN=a", certificateKeyID: "1", privateKeyID: "2").exitStatus == .dataError)
        #expect(CertificateError.openssl(function: "BIO_new", reason: "").exitStatus == .software)
        #expect(CryptoError.unsupportedKeyType("RSA").exitStatus == .dataError)
        #expect(CryptoError.openssl(function: "EVP_DigestSign", reason: "").exitStatus == .software)
        #expect(ExitStatus.failure.rawValue == 1 && ExitStatus.dataError.rawValue == 65)
    }
}
