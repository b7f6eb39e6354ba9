#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
internal import COpenSSL

/// An `X509`, freed with the last reference.
final class CertificateHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Takes over one reference to `pointer`.
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }
}

/// An X.509 certificate, parsed once: every field below was read when the value was made,
/// and a certificate whose extensions OpenSSL cannot read is refused then.
///
/// Two certificates are equal when their DER encodings are. Names and SAN values are text from
/// outside; print them through a sink's escaper.
public struct Certificate: Sendable, Hashable, CustomStringConvertible {
    let handle: CertificateHandle

    /// The DER encoding, as given (what `x509CertificateChain.certificates[].rawBytes` holds).
    public let derEncoded: [UInt8]
    /// The subject as an RFC 4514 string (`CN=Signer,O=Example`), most specific RDN first;
    /// UTF-8 kept, control characters and RFC 4514 specials escaped; empty for an empty name.
    public let subject: String
    /// The issuer, spelt as `subject`.
    public let issuer: String
    /// The serial number as lowercase hex of its magnitude (`openssl x509 -serial` in lower
    /// case), `-` first if negative.
    public let serialNumber: String
    /// The start of the validity period.
    public let notBefore: Date
    /// The end of the validity period (inclusive, RFC 5280 §4.1.2.5).
    public let notAfter: Date
    /// The subjectAltName entries in certificate order; empty without the extension.
    public let subjectAlternativeNames: [SubjectAlternativeName]
    /// The keyUsage extension; `nil` when the certificate has none.
    public let keyUsage: KeyUsage?
    /// The extendedKeyUsage purposes in certificate order; `nil` when there is no extension.
    public let extendedKeyUsage: [ExtendedKeyUsage]?
    /// The basicConstraints extension; `nil` when the certificate has none.
    public let basicConstraints: BasicConstraints?
    /// The DER of the SubjectPublicKeyInfo, as encoded in the certificate.
    public let subjectPublicKeyInfoDER: [UInt8]

    /// Parses one DER certificate; trailing bytes are refused.
    public init(derEncoded: [UInt8]) throws(CertificateError) {
        ERR_clear_error()
        var consumed = 0
        let pointer: OpaquePointer? = derEncoded.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let x509 = d2i_X509(nil, &cursor, buffer.count)
            if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
            return x509
        }
        guard let pointer else {
            throw CertificateError.malformedCertificate("not a DER X.509 certificate (\(drainErrorQueue()))")
        }
        let handle = CertificateHandle(pointer)
        guard consumed == derEncoded.count else {
            throw CertificateError.malformedCertificate(
                "\(derEncoded.count - consumed) bytes follow the DER certificate")
        }
        try self.init(handle: handle, der: derEncoded)
    }

    /// Wraps a certificate OpenSSL holds (one reference owned by `handle`), reading its fields.
    init(handle: CertificateHandle) throws(CertificateError) {
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509(handle.pointer, &der)
        guard length > 0, let der else { throw CertificateError.fromQueue("i2d_X509") }
        defer { pedigree_OPENSSL_free(der) }
        try self.init(handle: handle, der: Array(UnsafeBufferPointer(start: der, count: Int(length))))
    }

    private init(handle: CertificateHandle, der: [UInt8]) throws(CertificateError) {
        let x509 = handle.pointer
        // Reading the flags makes OpenSSL decode and cache every extension it knows.
        let flags = X509_get_extension_flags(x509)
        if flags & UInt32(EXFLAG_INVALID) != 0 {
            ERR_clear_error()
            throw CertificateError.malformedCertificate("an extension is malformed, repeated or inconsistent")
        }
        self.handle = handle
        self.derEncoded = der
        self.subject = try distinguishedName(X509_get_subject_name(x509))
        self.issuer = try distinguishedName(X509_get_issuer_name(x509))
        self.serialNumber = serialHex(X509_get0_serialNumber(x509))
        guard let notBefore = date(X509_get0_notBefore(x509)), let notAfter = date(X509_get0_notAfter(x509)) else {
            throw CertificateError.malformedCertificate("the validity period is not a valid time (\(drainErrorQueue()))")
        }
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.subjectAlternativeNames = try alternativeNames(x509)
        if flags & UInt32(EXFLAG_KUSAGE) != 0 {
            keyUsage = KeyUsage(opensslBits: X509_get_key_usage(x509))
        } else {
            keyUsage = nil
        }
        extendedKeyUsage = flags & UInt32(EXFLAG_XKUSAGE) != 0 ? try extendedKeyUsages(x509) : nil
        if flags & UInt32(EXFLAG_BCONS) != 0 {
            let pathLength = X509_get_pathlen(x509)
            basicConstraints = BasicConstraints(
                isCertificateAuthority: flags & UInt32(EXFLAG_CA) != 0,
                pathLengthConstraint: pathLength >= 0 ? Int(pathLength) : nil)
        } else {
            basicConstraints = nil
        }
        var spki: UnsafeMutablePointer<UInt8>? = nil
        let spkiLength = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509), &spki)
        guard spkiLength > 0, let spki else { throw CertificateError.fromQueue("i2d_X509_PUBKEY") }
        defer { pedigree_OPENSSL_free(spki) }
        subjectPublicKeyInfoDER = Array(UnsafeBufferPointer(start: spki, count: Int(spkiLength)))
    }

    /// Every `CERTIFICATE` block of PEM text, in file order (a CA bundle, a leaf followed by its
    /// chain); other blocks, such as keys, are skipped.
    ///
    /// - Throws: `.noCertificate` when there is no certificate block (naming the blocks found),
    ///   `.malformedPEM` for broken PEM armour or Base64, `.malformedCertificate` for a block
    ///   that is not a certificate, with its position.
    public static func parsePEM(_ pem: [UInt8]) throws(CertificateError) -> [Certificate] {
        let blocks = try pemBlocks(pem)
        var certificates: [Certificate] = []
        var others: [String] = []
        for block in blocks {
            switch block.label {
            case "CERTIFICATE", "X509 CERTIFICATE":
                do {
                    certificates.append(try Certificate(derEncoded: block.der))
                } catch let .malformedCertificate(reason) {
                    throw CertificateError.malformedCertificate(
                        "PEM certificate \(certificates.count + 1): \(reason)")
                }
            default:
                others.append(block.label)
            }
        }
        guard !certificates.isEmpty else { throw CertificateError.noCertificate(found: others) }
        return certificates
    }

    /// The certificates of a file: PEM (one or several) or a single DER certificate.
    ///
    /// Bytes holding `-----BEGIN ` are PEM; otherwise bytes starting with a SEQUENCE tag
    /// (0x30) are DER; anything else is reported as PEM without a certificate.
    public static func parse(pemOrDER bytes: [UInt8]) throws(CertificateError) -> [Certificate] {
        let begin = Array("-----BEGIN ".utf8)
        let isPEM = bytes.count >= begin.count && (0...(bytes.count - begin.count)).contains { bytes[$0..<($0 + begin.count)].elementsEqual(begin) }
        if !isPEM && bytes.first == 0x30 { return [try Certificate(derEncoded: bytes)] }
        return try parsePEM(bytes)
    }

    /// The certificate as PEM `CERTIFICATE`, 64 columns.
    public var pem: String { pemArmor(derEncoded, label: "CERTIFICATE") }

    /// The SHA-256 fingerprint of the DER (`openssl x509 -fingerprint -sha256`, unpunctuated).
    public var fingerprint: SHA256Digest { SHA256.hash(derEncoded) }

    /// The key id of the certified key: lowercase hex SHA-256 of its SubjectPublicKeyInfo DER,
    /// the same value as `PublicKey.keyID` (available for key types pedigree cannot use, too).
    public var publicKeyID: String { SHA256.hash(subjectPublicKeyInfoDER).hex }

    /// The certified key.
    ///
    /// - Throws: `CryptoError.unsupportedKeyType` for key types pedigree does not sign with
    ///   (RSA CAs are common: their certificates parse, only this property refuses them).
    public var publicKey: PublicKey {
        get throws(CryptoError) { try PublicKey(spkiDER: subjectPublicKeyInfoDER) }
    }

    /// The signer's identity this certificate names: subject and SANs.
    public var identity: CertificateIdentity {
        CertificateIdentity(subject: subject, subjectAlternativeNames: subjectAlternativeNames)
    }

    /// Whether subject and issuer are the same name (a root, or a self-signed leaf).
    public var isSelfIssued: Bool { X509_NAME_cmp(X509_get_subject_name(handle.pointer), X509_get_issuer_name(handle.pointer)) == 0 }

    /// Whether the certificate is usable to sign with under model_signing's rule: keyUsage has
    /// digitalSignature, or else extendedKeyUsage has codeSigning.
    ///
    /// This is model_signing 1.1.1's `_verify_certificates` (`sign_certificate.py`): it accepts a
    /// leaf whose keyUsage includes digitalSignature; failing that (no keyUsage, or one without
    /// digitalSignature) one whose extendedKeyUsage lists codeSigning
    /// (1.3.6.1.5.5.7.3.3); otherwise "Signing certificate cannot be used for signing".
    /// anyExtendedKeyUsage does not count, and an EKU without codeSigning does not
    /// disqualify a digitalSignature leaf.
    public var isUsableForSigning: Bool {
        keyUsage?.contains(.digitalSignature) == true || extendedKeyUsage?.contains(.codeSigning) == true
    }

    /// Whether `date` lies in `notBefore ... notAfter`.
    public func isValid(at date: Date) -> Bool { notBefore <= date && date <= notAfter }

    public var description: String { subject.isEmpty ? "(empty subject, serial \(serialNumber))" : subject }

    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.derEncoded == rhs.derEncoded }
    public func hash(into hasher: inout Hasher) { hasher.combine(derEncoded) }
}

/// Whom a certificate names: its subject and its subject alternative names.
public struct CertificateIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The RFC 4514 subject; may be empty when the SANs carry the identity (RFC 5280 §4.2.1.6).
    public let subject: String
    /// The subjectAltName entries, in certificate order.
    public let subjectAlternativeNames: [SubjectAlternativeName]

    public init(subject: String, subjectAlternativeNames: [SubjectAlternativeName]) {
        self.subject = subject
        self.subjectAlternativeNames = subjectAlternativeNames
    }

    /// `CN=Signer,O=Example (email:signer@example.com, DNS:example.com)`; the SANs alone
    /// when the subject is empty.
    public var description: String {
        let sans = subjectAlternativeNames.map(\.description).joined(separator: ", ")
        if subject.isEmpty { return sans.isEmpty ? "(no subject, no SAN)" : sans }
        return sans.isEmpty ? subject : "\(subject) (\(sans))"
    }
}

/// One subjectAltName entry (RFC 5280 §4.2.1.6).
public enum SubjectAlternativeName: Sendable, Hashable, CustomStringConvertible {
    /// dNSName.
    case dns(String)
    /// rfc822Name (an email address).
    case email(String)
    /// uniformResourceIdentifier.
    case uri(String)
    /// iPAddress, in dotted-quad or RFC 5952 text.
    case ipAddress(String)
    /// Any other kind (otherName, directoryName, registeredID …), by its OpenSSL name.
    case other(kind: String)

    /// As OpenSSL prints it: `DNS:example.com`, `email:a@b`, `URI:https://…`, `IP Address:…`.
    public var description: String {
        switch self {
        case let .dns(value): return "DNS:\(value)"
        case let .email(value): return "email:\(value)"
        case let .uri(value): return "URI:\(value)"
        case let .ipAddress(value): return "IP Address:\(value)"
        case let .other(kind): return kind
        }
    }
}

/// The keyUsage bits (RFC 5280 §4.2.1.3); `rawValue` bit n is the RFC's bit n.
public struct KeyUsage: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let digitalSignature = KeyUsage(rawValue: 1 << 0)
    public static let nonRepudiation = KeyUsage(rawValue: 1 << 1)
    public static let keyEncipherment = KeyUsage(rawValue: 1 << 2)
    public static let dataEncipherment = KeyUsage(rawValue: 1 << 3)
    public static let keyAgreement = KeyUsage(rawValue: 1 << 4)
    public static let keyCertSign = KeyUsage(rawValue: 1 << 5)
    public static let cRLSign = KeyUsage(rawValue: 1 << 6)
    public static let encipherOnly = KeyUsage(rawValue: 1 << 7)
    public static let decipherOnly = KeyUsage(rawValue: 1 << 8)

    private static let names: [(KeyUsage, String)] = [
        (.digitalSignature, "digitalSignature"), (.nonRepudiation, "nonRepudiation"),
        (.keyEncipherment, "keyEncipherment"), (.dataEncipherment, "dataEncipherment"),
        (.keyAgreement, "keyAgreement"), (.keyCertSign, "keyCertSign"), (.cRLSign, "cRLSign"),
        (.encipherOnly, "encipherOnly"), (.decipherOnly, "decipherOnly"),
    ]

    /// From OpenSSL's `X509_get_key_usage` bits (`X509v3_KU_*`, which number the RFC bits
    /// from the other end of the first byte).
    init(opensslBits: UInt32) {
        let pairs: [(Int32, KeyUsage)] = [
            (X509v3_KU_DIGITAL_SIGNATURE, .digitalSignature), (X509v3_KU_NON_REPUDIATION, .nonRepudiation),
            (X509v3_KU_KEY_ENCIPHERMENT, .keyEncipherment), (X509v3_KU_DATA_ENCIPHERMENT, .dataEncipherment),
            (X509v3_KU_KEY_AGREEMENT, .keyAgreement), (X509v3_KU_KEY_CERT_SIGN, .keyCertSign),
            (X509v3_KU_CRL_SIGN, .cRLSign), (X509v3_KU_ENCIPHER_ONLY, .encipherOnly),
            (X509v3_KU_DECIPHER_ONLY, .decipherOnly),
        ]
        var usage: KeyUsage = []
        for (bit, value) in pairs where opensslBits & UInt32(bit) != 0 { usage.insert(value) }
        self = usage
    }

    /// The names of the bits set, comma-separated (`digitalSignature, keyCertSign`); `none`
    /// for an extension with no bit set.
    public var description: String {
        let set = Self.names.filter { contains($0.0) }.map(\.1)
        return set.isEmpty ? "none" : set.joined(separator: ", ")
    }
}

/// One extendedKeyUsage purpose (RFC 5280 §4.2.1.12), by OID.
public struct ExtendedKeyUsage: Sendable, Hashable, CustomStringConvertible {
    /// The purpose's OID in dotted form.
    public let oid: String
    public init(oid: String) { self.oid = oid }

    public static let serverAuth = ExtendedKeyUsage(oid: "1.3.6.1.5.5.7.3.1")
    public static let clientAuth = ExtendedKeyUsage(oid: "1.3.6.1.5.5.7.3.2")
    public static let codeSigning = ExtendedKeyUsage(oid: "1.3.6.1.5.5.7.3.3")
    public static let emailProtection = ExtendedKeyUsage(oid: "1.3.6.1.5.5.7.3.4")
    public static let timeStamping = ExtendedKeyUsage(oid: "1.3.6.1.5.5.7.3.8")
    public static let ocspSigning = ExtendedKeyUsage(oid: "1.3.6.1.5.5.7.3.9")
    public static let any = ExtendedKeyUsage(oid: "2.5.29.37.0")

    /// The RFC 5280 name of a well-known purpose (`codeSigning`), else the OID.
    public var description: String {
        switch self {
        case .serverAuth: return "serverAuth"
        case .clientAuth: return "clientAuth"
        case .codeSigning: return "codeSigning"
        case .emailProtection: return "emailProtection"
        case .timeStamping: return "timeStamping"
        case .ocspSigning: return "OCSPSigning"
        case .any: return "anyExtendedKeyUsage"
        default: return oid
        }
    }
}

/// The basicConstraints extension (RFC 5280 §4.2.1.9).
public struct BasicConstraints: Sendable, Hashable {
    /// `cA`: whether the subject is a certificate authority.
    public let isCertificateAuthority: Bool
    /// `pathLenConstraint`, when given.
    public let pathLengthConstraint: Int?

    public init(isCertificateAuthority: Bool, pathLengthConstraint: Int?) {
        self.isCertificateAuthority = isCertificateAuthority
        self.pathLengthConstraint = pathLengthConstraint
    }
}

// MARK: - Reading fields

/// A name as RFC 4514 text (see `Certificate.subject`).
private func distinguishedName(_ name: OpaquePointer?) throws(CertificateError) -> String {
    guard let name else { return "" }
    guard let bio = BIO_new(BIO_s_mem()) else { throw CertificateError.fromQueue("BIO_new") }
    defer { BIO_free(bio) }
    guard X509_NAME_print_ex(bio, name, 0, pedigree_XN_FLAG_RFC4514_UTF8()) >= 0 else {
        throw CertificateError.malformedCertificate("a name cannot be read (\(drainErrorQueue()))")
    }
    return String(decoding: readAllBytes(bio), as: UTF8.self)
}

/// Lowercase hex of an ASN.1 INTEGER's magnitude, `-` first if negative, `00` for zero.
private func serialHex(_ integer: UnsafePointer<ASN1_INTEGER>?) -> String {
    guard let integer else { return "" }
    let length = Int(ASN1_STRING_length(integer))
    guard length > 0, let data = ASN1_STRING_get0_data(integer) else { return "00" }
    let hex = hexString(UnsafeBufferPointer(start: data, count: length))
    return ASN1_STRING_type(integer) == V_ASN1_NEG_INTEGER ? "-" + hex : hex
}

/// An ASN.1 UTCTime/GeneralizedTime as a date; `nil` if OpenSSL cannot read it.
private func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
    guard let time else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
    let days = daysFromCivil(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday))
    let seconds = days * 86_400 + Int(parts.tm_hour) * 3600 + Int(parts.tm_min) * 60 + Int(parts.tm_sec)
    return Date(timeIntervalSince1970: TimeInterval(seconds))
}

/// The subjectAltName entries of `x509`.
private func alternativeNames(_ x509: OpaquePointer) throws(CertificateError) -> [SubjectAlternativeName] {
    var critical: Int32 = 0
    guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, &critical, nil) else {
        // -1: no such extension; -2: present more than once (refused as malformed above).
        ERR_clear_error()
        guard critical == -1 else {
            throw CertificateError.malformedCertificate("the subjectAltName extension cannot be read")
        }
        return []
    }
    let names = OpaquePointer(raw)
    defer { GENERAL_NAMES_free(names) }
    var out: [SubjectAlternativeName] = []
    for index in 0..<pedigree_sk_GENERAL_NAME_num(names) {
        guard let name = pedigree_sk_GENERAL_NAME_value(names, index) else { continue }
        var kind: Int32 = 0
        let value = GENERAL_NAME_get0_value(name, &kind)
        let string = value.map { asn1Bytes($0.assumingMemoryBound(to: ASN1_STRING.self)) } ?? []
        switch kind {
        case GEN_DNS: out.append(.dns(String(decoding: string, as: UTF8.self)))
        case GEN_EMAIL: out.append(.email(String(decoding: string, as: UTF8.self)))
        case GEN_URI: out.append(.uri(String(decoding: string, as: UTF8.self)))
        case GEN_IPADD: out.append(.ipAddress(ipAddressText(string)))
        case GEN_OTHERNAME: out.append(.other(kind: "othername"))
        case GEN_X400: out.append(.other(kind: "X400Name"))
        case GEN_DIRNAME: out.append(.other(kind: "DirName"))
        case GEN_EDIPARTY: out.append(.other(kind: "EdiPartyName"))
        case GEN_RID: out.append(.other(kind: "Registered ID"))
        default: out.append(.other(kind: "GeneralName \(kind)"))
        }
    }
    return out
}

/// The purposes of the extendedKeyUsage extension of `x509`.
private func extendedKeyUsages(_ x509: OpaquePointer) throws(CertificateError) -> [ExtendedKeyUsage] {
    var critical: Int32 = 0
    guard let raw = X509_get_ext_d2i(x509, NID_ext_key_usage, &critical, nil) else {
        ERR_clear_error()
        throw CertificateError.malformedCertificate("the extendedKeyUsage extension cannot be read")
    }
    let usages = OpaquePointer(raw)
    defer { EXTENDED_KEY_USAGE_free(usages) }
    var out: [ExtendedKeyUsage] = []
    for index in 0..<pedigree_sk_ASN1_OBJECT_num(usages) {
        guard let object = pedigree_sk_ASN1_OBJECT_value(usages, index) else { continue }
        var buffer = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        guard length > 0, Int(length) < buffer.count else {
            throw CertificateError.malformedCertificate("an extendedKeyUsage OID cannot be read")
        }
        out.append(ExtendedKeyUsage(oid: String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)))
    }
    return out
}

/// The content bytes of an ASN.1 string.
private func asn1Bytes(_ string: UnsafePointer<ASN1_STRING>) -> [UInt8] {
    let length = Int(ASN1_STRING_length(string))
    guard length > 0, let data = ASN1_STRING_get0_data(string) else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: length))
}

/// An iPAddress SAN as text: dotted quad for 4 bytes, eight hex groups (RFC 5952 without
/// zero compression) for 16, hex otherwise.
private func ipAddressText(_ bytes: [UInt8]) -> String {
    switch bytes.count {
    case 4: return bytes.map(String.init).joined(separator: ".")
    case 16:
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    default: return hexString(bytes)
    }
}

// MARK: - PEM

/// One PEM block: its label and the decoded bytes.
struct PEMBlock {
    var label: String
    var der: [UInt8]
}

/// Every PEM block of `pem`, in order, read by OpenSSL's `PEM_read_bio`.
func pemBlocks(_ pem: [UInt8]) throws(CertificateError) -> [PEMBlock] {
    // A BIO holding its own copy, so no pointer into `pem` outlives a closure.
    guard let bio = BIO_new(BIO_s_mem()) else { throw CertificateError.fromQueue("BIO_new") }
    defer { BIO_free(bio) }
    guard pem.count < Int(Int32.max), pem.isEmpty || BIO_write(bio, pem, Int32(pem.count)) == Int32(pem.count) else {
        throw CertificateError.fromQueue("BIO_write")
    }
    _ = BIO_ctrl(bio, BIO_C_SET_BUF_MEM_EOF_RETURN, 0, nil)  // end of data is EOF, not "retry"
    ERR_clear_error()
    var blocks: [PEMBlock] = []
    while true {
        var name: UnsafeMutablePointer<CChar>? = nil
        var header: UnsafeMutablePointer<CChar>? = nil
        var data: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        let ok = PEM_read_bio(bio, &name, &header, &data, &length)
        defer {
            pedigree_OPENSSL_free(name)
            pedigree_OPENSSL_free(header)
            pedigree_OPENSSL_free(data)
        }
        guard ok == 1, let name else {
            let code = ERR_peek_last_error()
            if ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE {
                // The normal end: no further "-----BEGIN".
                ERR_clear_error()
                if blocks.isEmpty { throw CertificateError.noCertificate(found: []) }
                return blocks
            }
            throw CertificateError.malformedPEM(drainErrorQueue())
        }
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: length)) } ?? []
        blocks.append(PEMBlock(label: String(cString: name), der: bytes))
    }
}

/// `der` as a PEM block labelled `label`, 64 columns.
func pemArmor(_ der: [UInt8], label: String) -> String {
    let base64 = base64Encode(der)
    var lines = ["-----BEGIN \(label)-----"]
    var index = base64.startIndex
    while index < base64.endIndex {
        let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
        lines.append(String(base64[index..<end]))
        index = end
    }
    lines.append("-----END \(label)-----")
    return lines.joined(separator: "\n") + "\n"
}

/// Everything written to a memory BIO.
func readAllBytes(_ bio: OpaquePointer) -> [UInt8] {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = BIO_read(bio, &chunk, Int32(chunk.count))
        if n <= 0 { break }
        out += chunk.prefix(Int(n))
    }
    return out
}

// MARK: - Dates

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// `date` as RFC 3339 UTC to the second: `2025-05-02T23:36:28Z`.
public func rfc3339UTC(_ date: Date) -> String {
    let total = Int(date.timeIntervalSince1970.rounded(.down))
    var days = total / 86_400
    var seconds = total % 86_400
    if seconds < 0 {
        seconds += 86_400
        days -= 1
    }
    // H. Hinnant's `civil_from_days`.
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let yearText = (0..<1000).contains(year) ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
    return "\(yearText)-\(two(month))-\(two(day))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
}
