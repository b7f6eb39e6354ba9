import Foundation
import PedigreeCrypto
import Testing

extension Tag {
    /// Tests that run an outside tool (openssl, model_signing).
    @Tag public static var tool: Self
}

/// A PKI made by the `openssl` tool in a temporary folder: keys, CA and leaf certificates with
/// the extensions model_signing expects, and variants that break one rule each.
///
/// Every file is `<name>.key` / `<name>.pem` in `folder`.
public final class TestPKI: @unchecked Sendable {
    public let folder: TemporaryFolder
    public var path: String { folder.path }

    /// Key types the openssl tool makes.
    public enum KeyType: String, Sendable {
        case p256, p384, p521, ed25519, rsa

        var genpkey: String {
            switch self {
            case .p256: return "-algorithm EC -pkeyopt ec_paramgen_curve:P-256"
            case .p384: return "-algorithm EC -pkeyopt ec_paramgen_curve:P-384"
            case .p521: return "-algorithm EC -pkeyopt ec_paramgen_curve:P-521"
            case .ed25519: return "-algorithm ed25519"
            case .rsa: return "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
            }
        }
    }

    /// Extension profiles (sections of `pki.cnf`).
    public enum Profile: String, Sendable {
        /// A self-signed root: CA:TRUE, keyCertSign.
        case root
        /// An intermediate: CA:TRUE pathlen:0, keyCertSign.
        case intermediate
        /// A signing leaf as model_signing expects: digitalSignature, codeSigning, SANs.
        case leaf
        /// A leaf for TLS: keyEncipherment and serverAuth only.
        case noDigitalSignature = "no_digital_signature"
        /// No keyUsage; extendedKeyUsage codeSigning.
        case codeSigningOnly = "code_signing_only"
        /// keyUsage keyAgreement (no digitalSignature); extendedKeyUsage codeSigning.
        case keyAgreementCodeSigning = "key_agreement_code_signing"
        /// Neither keyUsage nor extendedKeyUsage.
        case noUsage = "no_usage"
        /// CA:FALSE, yet used to issue (an intermediate that is not a CA).
        case notACA = "not_a_ca"
        /// A self-signed leaf: digitalSignature, codeSigning, no CA.
        case selfSignedLeaf = "self_signed_leaf"
    }

    static let config = """
        [ req ]
        distinguished_name = dn
        prompt = no
        [ dn ]
        CN = unused
        [ ca ]
        default_ca = test_ca
        [ test_ca ]
        database = index.txt
        new_certs_dir = issued
        serial = serial
        default_md = sha256
        policy = any
        unique_subject = no
        email_in_dn = no
        [ any ]
        commonName = supplied
        organizationName = optional
        [ root ]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        [ intermediate ]
        basicConstraints = critical, CA:TRUE, pathlen:0
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        [ leaf ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = codeSigning
        subjectAltName = email:signer@example.com, URI:https://example.com/signer, DNS:signer.example.com, IP:192.0.2.7
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        [ no_digital_signature ]
        basicConstraints = CA:FALSE
        keyUsage = critical, keyEncipherment
        extendedKeyUsage = serverAuth
        [ code_signing_only ]
        basicConstraints = CA:FALSE
        extendedKeyUsage = codeSigning
        [ key_agreement_code_signing ]
        basicConstraints = CA:FALSE
        keyUsage = critical, keyAgreement
        extendedKeyUsage = codeSigning
        [ no_usage ]
        basicConstraints = CA:FALSE
        [ not_a_ca ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature, keyCertSign
        [ self_signed_leaf ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = codeSigning
        subjectAltName = email:self@example.com
        """

    public init() throws {
        folder = try TemporaryFolder()
        try folder.write("pki.cnf", Self.config)
        try folder.write("index.txt", "")
        try folder.write("serial", "2000\n")
        try folder.makeFolder("issued")
    }

    /// Runs a shell command in the PKI folder; throws with its output when it fails.
    @discardableResult
    public func sh(_ command: String) throws -> ProcessResult {
        let result = try shell(command, currentDirectory: path)
        guard result.status == 0 else { throw ToolError(message: "\(command)\n\(result)") }
        return result
    }

    /// Makes `name.key`.
    public func key(_ name: String, _ type: KeyType) throws {
        try sh("openssl genpkey \(type.genpkey) -out \(name).key")
    }

    /// A self-signed certificate `name.pem` (with a new key `name.key` of `type`).
    public func selfSigned(_ name: String, subject: String, profile: Profile = .root, type: KeyType = .p384, days: Int = 3650) throws {
        try key(name, type)
        try sh("""
            openssl req -x509 -new -utf8 -key \(name).key -subj '\(subject)' -days \(days) \
            -config pki.cnf -extensions \(profile.rawValue) -out \(name).pem
            """)
    }

    /// `name.pem` issued by `issuer` (its `.pem` and `.key`), for a new key `name.key` of
    /// `type`, valid from now for `days` — or, with `start`/`end` (`YYYYMMDDHHMMSSZ`), for that
    /// period, through `openssl ca` since `openssl x509` (3.0) cannot backdate.
    public func issue(
        _ name: String, subject: String, by issuer: String, profile: Profile, type: KeyType = .p256,
        days: Int = 365, start: String? = nil, end: String? = nil, reuseKey: Bool = false
    ) throws {
        if !reuseKey { try key(name, type) }
        try sh("openssl req -new -utf8 -key \(name).key -subj '\(subject)' -config pki.cnf -out \(name).csr")
        if let start, let end {
            try sh("""
                openssl ca -batch -utf8 -config pki.cnf -cert \(issuer).pem -keyfile \(issuer).key -in \(name).csr \
                -out \(name).pem -startdate \(start) -enddate \(end) -extensions \(profile.rawValue) -notext
                """)
        } else {
            let serial = String(UInt64.random(in: 1...UInt64(Int64.max)), radix: 16)
            try sh("""
                openssl x509 -req -in \(name).csr -CA \(issuer).pem -CAkey \(issuer).key -set_serial 0x\(serial) \
                -days \(days) -extfile pki.cnf -extensions \(profile.rawValue) -out \(name).pem
                """)
        }
    }

    /// The first certificate of `name.pem`.
    public func certificate(_ name: String) throws -> Certificate {
        let certificates = try Certificate.parsePEM(bytes(name + ".pem"))
        return try #require(certificates.first)
    }

    /// The bytes of a file in the PKI folder.
    public func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: folder.url(relative))))
    }

    /// The private key `name.key`.
    public func privateKey(_ name: String) throws -> PrivateKey { try PrivateKey(pem: bytes(name + ".key")) }

    /// What `openssl verify -CAfile <anchors> -untrusted <chain> leaf.pem` says: `nil` for OK,
    /// else OpenSSL's `X509_V_ERR_*` number and the depth it failed at.
    public func opensslVerify(
        _ leaf: String, anchors: [String], untrusted: [String] = [], options: String = ""
    ) throws -> (error: Int32, depth: Int)? {
        try sh("cat \(anchors.map { $0 + ".pem" }.joined(separator: " ")) > verify-anchors.pem")
        var command = "openssl verify \(options) -CAfile verify-anchors.pem"
        if !untrusted.isEmpty {
            try sh("cat \(untrusted.map { $0 + ".pem" }.joined(separator: " ")) > verify-untrusted.pem")
            command += " -untrusted verify-untrusted.pem"
        }
        let result = try shell(command + " \(leaf).pem", currentDirectory: path)
        if result.status == 0 && result.stdout.hasSuffix(": OK\n") { return nil }
        // "error 10 at 0 depth lookup: certificate has expired"
        let text = result.stderr + result.stdout
        guard let range = text.range(of: #"error (\d+) at (\d+) depth"#, options: .regularExpression) else {
            throw ToolError(message: "unexpected openssl verify output: \(result)")
        }
        let words = text[range].split(separator: " ")
        return (Int32(words[1])!, Int(words[3])!)
    }

    /// A standard three-level PKI: `root` (P-521) → `inter` (P-384) → `leaf` (`leafType`),
    /// with the extensions model_signing expects of a signing leaf.
    public static func threeLevel(leafType: KeyType = .p256) throws -> TestPKI {
        let pki = try TestPKI()
        try pki.selfSigned("root", subject: "/O=Pedigree Tests/CN=Test Root CA", type: .p521)
        try pki.issue("inter", subject: "/O=Pedigree Tests/CN=Test Intermediate CA", by: "root", profile: .intermediate, type: .p384, days: 3650)
        try pki.issue("leaf", subject: "/O=Pedigree Tests/CN=Model Signer Ünïcode", by: "inter", profile: .leaf, type: leafType)
        return pki
    }
}

/// Seconds since 1970 of a `YYYYMMDDHHMMSSZ` time, through the system's `date`.
public func epochSeconds(_ generalizedTime: String) throws -> Int {
    let t = Array(generalizedTime)
    let iso = "\(String(t[0..<4]))-\(String(t[4..<6]))-\(String(t[6..<8])) \(String(t[8..<10])):\(String(t[10..<12])):\(String(t[12..<14])) UTC"
    let result = try shell("date -u -d '\(iso)' +%s")
    return try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
}
