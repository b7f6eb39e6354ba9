internal import COpenSSL

/// A private key with its signing certificate and chain: what signing with the OMS
/// `certificate` method needs (OMS v1.0 §4.1).
///
/// Made only when the key is the one the certificate certifies and the certificate may sign,
/// so a bundle it signs is not refused later for either reason. The validity period and the
/// chain are not checked here: validate with `chain.validate(anchors:policy:)` to see what a
/// verifier will see.
public struct CertificateSigningKey: Sendable {
    /// The key that signs.
    public let privateKey: PrivateKey
    /// The signing certificate first, then the chain as given.
    public let chain: CertificateChain

    /// Pairs `privateKey` with `chain.leaf`.
    ///
    /// - Throws: `.keyDoesNotMatchCertificate` when the certificate certifies another key,
    ///   `.notForSigning` when its usage forbids signing (the rule model_signing applies when it
    ///   verifies). (A matching certificate certifies a key type `PrivateKey` supports.)
    public init(privateKey: PrivateKey, chain: CertificateChain) throws(CertificateError) {
        let leaf = chain.leaf
        let matches = X509_get0_pubkey(leaf.handle.pointer).map { EVP_PKEY_eq($0, privateKey.handle.pointer) == 1 } ?? false
        ERR_clear_error()
        guard matches else {
            let privateKeyID = (try? privateKey.publicKey.keyID) ?? "(unreadable)"
            throw CertificateError.keyDoesNotMatchCertificate(
                subject: leaf.subject, certificateKeyID: leaf.publicKeyID, privateKeyID: privateKeyID)
        }
        guard leaf.isUsableForSigning else {
            throw CertificateError.notForSigning(
                subject: leaf.subject, keyUsage: leaf.keyUsage, extendedKeyUsage: leaf.extendedKeyUsage)
        }
        self.privateKey = privateKey
        self.chain = chain
    }

    /// Pairs `privateKey` with `certificate`, followed by `intermediates`.
    public init(privateKey: PrivateKey, certificate: Certificate, intermediates: [Certificate] = []) throws(CertificateError) {
        try self.init(privateKey: privateKey, chain: CertificateChain(leaf: certificate, intermediates: intermediates))
    }

    /// The signing certificate.
    public var certificate: Certificate { chain.leaf }

    /// Signs `message` with the private key (see `PrivateKey.sign`).
    public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] { try privateKey.sign(message) }
}
