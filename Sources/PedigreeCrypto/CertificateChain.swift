#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
internal import COpenSSL

/// A signing certificate followed by the certificates that may lead to a trust anchor, in the
/// order of an OMS bundle's `x509CertificateChain.certificates` (OMS v1.0 §4.1: leaf first).
///
/// The chain is only what the signer offered: none of it is trusted until `validate` has
/// built a path from the leaf to one of the caller's anchors.
public struct CertificateChain: Sendable, Hashable {
    /// The signing certificate.
    public let leaf: Certificate
    /// The other certificates, as given: candidates for the path, in any order, possibly
    /// including a root (it is not trusted for being here).
    public let intermediates: [Certificate]

    public init(leaf: Certificate, intermediates: [Certificate] = []) {
        self.leaf = leaf
        self.intermediates = intermediates
    }

    /// A chain from certificates listed leaf first.
    public init(leafFirst certificates: [Certificate]) throws(CertificateError) {
        guard let leaf = certificates.first else { throw CertificateError.emptyChain }
        self.init(leaf: leaf, intermediates: Array(certificates.dropFirst()))
    }

    /// A chain from DER certificates listed leaf first, as decoded from a bundle's Base64
    /// `rawBytes`; an error names the position of a malformed one.
    public init(derEncoded certificates: [[UInt8]]) throws(CertificateError) {
        var parsed: [Certificate] = []
        for (index, der) in certificates.enumerated() {
            do {
                parsed.append(try Certificate(derEncoded: der))
            } catch let .malformedCertificate(reason) {
                throw CertificateError.malformedChainCertificate(position: index + 1, reason: reason)
            }
        }
        try self.init(leafFirst: parsed)
    }

    /// Leaf first, then the intermediates: what a bundle's `x509CertificateChain` carries.
    public var certificates: [Certificate] { [leaf] + intermediates }

    /// Validates the chain against `anchors` with OpenSSL's `X509_verify_cert`, then checks
    /// that the leaf may sign and carries a key pedigree verifies with.
    ///
    /// The checks, in OpenSSL's order: a path from the leaf through `intermediates` to a
    /// certificate in `anchors` (a self-signed root unless `policy.allowsPartialChain`),
    /// every issuer a CA within its path length, every certificate signature, every
    /// certificate of the path within its validity period at the verification time; then the
    /// leaf's usage (`Certificate.isUsableForSigning`, model_signing 1.1.1's rule) and key.
    /// Revocation is not checked (no CRL or OCSP), as model_signing does not.
    ///
    /// - Returns: the path OpenSSL built and the signer's identity and key.
    /// - Throws: a `CertificateValidationError` naming the first check that failed.
    public func validate(
        anchors: [Certificate], policy: ChainValidationPolicy = ChainValidationPolicy()
    ) throws(CertificateValidationError) -> ValidatedCertificateChain {
        guard !anchors.isEmpty else { throw CertificateValidationError.noTrustAnchors }
        let time: Date
        switch policy.time {
        case .now: time = Date()
        case let .at(date): time = date
        case .leafNotBefore: time = leaf.notBefore
        }

        ERR_clear_error()
        guard let store = X509_STORE_new() else { throw CertificateValidationError.fromQueue("X509_STORE_new") }
        defer { X509_STORE_free(store) }
        var added = Set<Certificate>()
        for anchor in anchors where added.insert(anchor).inserted {
            // The store takes its own reference.
            guard X509_STORE_add_cert(store, anchor.handle.pointer) == 1 else {
                throw CertificateValidationError.fromQueue("X509_STORE_add_cert")
            }
        }
        guard let untrusted = pedigree_sk_X509_new_null() else {
            throw CertificateValidationError.fromQueue("sk_X509_new_null")
        }
        // The stack borrows the certificates: `self` keeps them alive until it is freed.
        defer { pedigree_sk_X509_free(untrusted) }
        for certificate in intermediates {
            guard pedigree_sk_X509_push(untrusted, certificate.handle.pointer) > 0 else {
                throw CertificateValidationError.fromQueue("sk_X509_push")
            }
        }
        guard let context = X509_STORE_CTX_new() else { throw CertificateValidationError.fromQueue("X509_STORE_CTX_new") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.handle.pointer, untrusted) == 1 else {
            throw CertificateValidationError.fromQueue("X509_STORE_CTX_init")
        }
        if policy.allowsPartialChain { X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_PARTIAL_CHAIN)) }
        X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970.rounded(.down)))

        let verdict = withExtendedLifetime(self) { X509_verify_cert(context) }
        if verdict < 0 { throw CertificateValidationError.fromQueue("X509_verify_cert") }
        if verdict != 1 {
            ERR_clear_error()
            throw failure(context, time: time)
        }

        // The path, leaf first; get1 gives one reference per certificate, which the handles take.
        guard let built = X509_STORE_CTX_get1_chain(context) else {
            throw CertificateValidationError.fromQueue("X509_STORE_CTX_get1_chain")
        }
        var path: [Certificate] = []
        var handles: [CertificateHandle] = []
        for index in 0..<pedigree_sk_X509_num(built) {
            if let pointer = pedigree_sk_X509_value(built, index) { handles.append(CertificateHandle(pointer)) }
        }
        pedigree_sk_X509_free(built)
        guard !handles.isEmpty else {
            throw CertificateValidationError.openssl(function: "X509_STORE_CTX_get1_chain", reason: "empty chain")
        }
        for handle in handles {
            do {
                path.append(try Certificate(handle: handle))
            } catch {
                throw CertificateValidationError.openssl(function: "reading the validated chain", reason: error.description)
            }
        }

        guard leaf.isUsableForSigning else {
            throw CertificateValidationError.unsuitableKeyUsage(
                subject: leaf.subject, keyUsage: leaf.keyUsage, extendedKeyUsage: leaf.extendedKeyUsage)
        }
        let publicKey: PublicKey
        do {
            publicKey = try leaf.publicKey
        } catch {
            throw CertificateValidationError.unsupportedLeafKey(subject: leaf.subject, reason: error.description)
        }
        return ValidatedCertificateChain(path: path, publicKey: publicKey, verificationTime: time)
    }

    /// The typed error for the verdict OpenSSL left in `context`.
    private func failure(_ context: OpaquePointer, time: Date) -> CertificateValidationError {
        let code = X509_STORE_CTX_get_error(context)
        let depth = Int(X509_STORE_CTX_get_error_depth(context))
        // The certificate the check failed on; the context owns it, so take a reference.
        var current: Certificate? = nil
        if let pointer = X509_STORE_CTX_get_current_cert(context), X509_up_ref(pointer) == 1 {
            current = try? Certificate(handle: CertificateHandle(pointer))
        }
        let subject = current?.subject ?? (depth == 0 ? leaf.subject : "(unknown)")
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return .expired(subject: subject, depth: depth, notAfter: current?.notAfter ?? leaf.notAfter, verificationTime: time)
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return .notYetValid(subject: subject, depth: depth, notBefore: current?.notBefore ?? leaf.notBefore, verificationTime: time)
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
            return .selfSignedLeafNotTrusted(subject: subject)
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            return .untrustedRoot(subject: subject)
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return .noPathToTrustAnchor(subject: subject, issuer: current?.issuer ?? "(unknown)")
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
            return .badCertificateSignature(subject: subject, depth: depth)
        case X509_V_ERR_INVALID_CA, X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
            return .issuerNotACertificateAuthority(subject: subject, depth: depth)
        case X509_V_ERR_PATH_LENGTH_EXCEEDED:
            return .pathLengthExceeded(subject: subject, depth: depth)
        default:
            let reason = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
            return .rejected(subject: subject, depth: depth, reason: reason)
        }
    }
}

/// How `CertificateChain.validate` judges a chain beyond the fixed checks.
public struct ChainValidationPolicy: Sendable, Equatable {
    /// The moment the certificates must be valid at.
    public enum Time: Sendable, Equatable {
        /// The clock of this machine: OMS v1.0 §8.2 ("the leaf certificate MUST be within its
        /// validity period").
        case now
        /// A given moment (tests; a trusted signing time).
        case at(Date)
        /// The leaf's notBefore, as model_signing 1.1.1 does (`self._store.set_time(
        /// signing_certificate.not_valid_before_utc)`): an expired leaf is then still accepted,
        /// provided every certificate of the path was valid when the leaf was issued.
        case leafNotBefore
    }

    /// The verification time; `.now` by default.
    public var time: Time
    /// Whether a non-self-signed CA certificate among the anchors may end the path
    /// (`X509_V_FLAG_PARTIAL_CHAIN`, `openssl verify -partial_chain`). Off by default, as in
    /// model_signing: the anchors must then include the self-signed root.
    public var allowsPartialChain: Bool

    public init(time: Time = .now, allowsPartialChain: Bool = false) {
        self.time = time
        self.allowsPartialChain = allowsPartialChain
    }
}

/// A chain `CertificateChain.validate` accepted: the path to a trust anchor, and what a
/// verifier needs from the leaf.
public struct ValidatedCertificateChain: Sendable {
    /// The path OpenSSL built, leaf first, ending at the trust anchor; never empty.
    public let path: [Certificate]
    /// The leaf's key, to verify the DSSE signature with (OMS v1.0 §8.2).
    public let publicKey: PublicKey
    /// The moment the chain was judged at.
    public let verificationTime: Date

    /// The signing certificate.
    public var leaf: Certificate { path[path.startIndex] }
    /// The trust anchor the path ends at (the leaf itself when a self-signed leaf is trusted).
    public var anchor: Certificate { path[path.endIndex - 1] }
    /// The signer's identity: the leaf's subject and SANs.
    public var identity: CertificateIdentity { leaf.identity }
}

extension CertificateValidationError {
    static func fromQueue(_ function: String) -> CertificateValidationError {
        .openssl(function: function, reason: drainErrorQueue())
    }
}
