import Foundation
import PedigreeCrypto
import Testing
import TestSupport

/// Certificates parse, and every field reads as the openssl tool prints it.
@Suite(.tags(.tool)) struct CertificateParsing {
    @Test func everyFieldAgreesWithOpenssl() throws {
        let pki = try TestPKI.threeLevel()
        let leaf = try pki.certificate("leaf")
        func openssl(_ options: String) throws -> String {
            let out = try pki.sh("openssl x509 -in leaf.pem -noout \(options)").stdout
            return String(out.drop { $0 != "=" }.dropFirst()).trimmingCharacters(in: .newlines)
        }
        #expect(leaf.subject == "CN=Model Signer Ünïcode,O=Pedigree Tests")
        #expect(leaf.subject == (try openssl("-subject -nameopt RFC2253,-esc_msb")))
        #expect(leaf.issuer == "CN=Test Intermediate CA,O=Pedigree Tests")
        #expect(leaf.issuer == (try openssl("-issuer -nameopt RFC2253,-esc_msb")))
        #expect(leaf.serialNumber == (try openssl("-serial")).lowercased())
        #expect(leaf.fingerprint.hex == (try openssl("-fingerprint -sha256")).replacingOccurrences(of: ":", with: "").lowercased())
        #expect(leaf.fingerprint.hex == (try shell("openssl x509 -in leaf.pem -outform DER | sha256sum", currentDirectory: pki.path).stdout.prefix(64)))
        try pki.sh("openssl x509 -in leaf.pem -outform DER -out leaf.der")
        #expect(leaf.derEncoded == (try pki.bytes("leaf.der")))
        // Dates: openssl prints ISO 8601 with a space; we use RFC 3339.
        #expect(rfc3339UTC(leaf.notBefore) == (try openssl("-dateopt iso_8601 -startdate")).replacingOccurrences(of: " ", with: "T"))
        #expect(rfc3339UTC(leaf.notAfter) == (try openssl("-dateopt iso_8601 -enddate")).replacingOccurrences(of: " ", with: "T"))
        #expect(leaf.notAfter.timeIntervalSince(leaf.notBefore) == 365 * 86_400)
        #expect(leaf.isValid(at: Date()))
        #expect(!leaf.isValid(at: leaf.notAfter.addingTimeInterval(1)))

        #expect(leaf.subjectAlternativeNames == [
            .email("signer@example.com"), .uri("https://example.com/signer"), .dns("signer.example.com"),
            .ipAddress("192.0.2.7"),
        ])
        let sanLine = try pki.sh("openssl x509 -in leaf.pem -noout -ext subjectAltName").stdout
            .split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(leaf.subjectAlternativeNames.map(\.description).joined(separator: ", ") == sanLine)
        #expect(leaf.identity.description
            == "CN=Model Signer Ünïcode,O=Pedigree Tests (email:signer@example.com, URI:https://example.com/signer, DNS:signer.example.com, IP Address:192.0.2.7)")
        #expect(leaf.keyUsage == .digitalSignature)
        #expect(leaf.extendedKeyUsage == [.codeSigning])
        #expect(leaf.basicConstraints == BasicConstraints(isCertificateAuthority: false, pathLengthConstraint: nil))
        #expect(leaf.isUsableForSigning)
        #expect(!leaf.isSelfIssued)

        // The certified key is the leaf's key, and its id is the SPKI digest openssl computes.
        try pki.sh("openssl x509 -in leaf.pem -noout -pubkey | openssl pkey -pubin -outform DER -out leaf.spki")
        #expect(leaf.subjectPublicKeyInfoDER == (try pki.bytes("leaf.spki")))
        #expect(leaf.publicKeyID == (try systemSHA256(pki.folder.url("leaf.spki"))))
        #expect(try leaf.publicKey == (try pki.privateKey("leaf").publicKey))
        #expect(try leaf.publicKey.algorithm == .ecdsaP256)

        let inter = try pki.certificate("inter")
        #expect(inter.keyUsage == [.keyCertSign, .cRLSign])
        #expect(inter.keyUsage?.description == "keyCertSign, cRLSign")
        #expect(inter.extendedKeyUsage == nil)
        #expect(inter.basicConstraints == BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0))
        #expect(inter.subjectAlternativeNames.isEmpty)
        #expect(!inter.isUsableForSigning)
        #expect(try inter.publicKey.algorithm == .ecdsaP384)
        let root = try pki.certificate("root")
        #expect(root.isSelfIssued)
        #expect(root.basicConstraints == BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: nil))
        #expect(try root.publicKey.algorithm == .ecdsaP521)
    }

    @Test func readsSeveralCertificatesAndSkipsOtherBlocks() throws {
        let pki = try TestPKI.threeLevel()
        try pki.sh("cat leaf.pem leaf.key inter.pem root.pem > bundle.pem")
        let all = try Certificate.parsePEM(pki.bytes("bundle.pem"))
        #expect(all.map(\.subject) == [
            "CN=Model Signer Ünïcode,O=Pedigree Tests", "CN=Test Intermediate CA,O=Pedigree Tests",
            "CN=Test Root CA,O=Pedigree Tests",
        ])
        // DER or PEM, told apart by the first byte; a certificate written back reads the same.
        try pki.sh("openssl x509 -in inter.pem -outform DER -out inter.der")
        #expect(try Certificate.parse(pemOrDER: pki.bytes("inter.der")) == [all[1]])
        #expect(try Certificate.parse(pemOrDER: Array(all[1].pem.utf8)) == [all[1]])
        #expect(all[1].pem == String(decoding: try pki.bytes("inter.pem"), as: UTF8.self))
        // `openssl x509 -text` output: text before the PEM block.
        try pki.sh("openssl x509 -in inter.pem -text -out inter.txt")
        #expect(try Certificate.parse(pemOrDER: pki.bytes("inter.txt")) == [all[1]])
        #expect(Set(all).count == 3)
    }

    @Test func refusesWhatIsNotACertificate() throws {
        let pki = try TestPKI.threeLevel()
        #expect(throws: CertificateError.noCertificate(found: ["PRIVATE KEY"])) {
            try Certificate.parsePEM(pki.bytes("leaf.key"))
        }
        #expect(throws: CertificateError.noCertificate(found: ["CERTIFICATE REQUEST"])) {
            try Certificate.parsePEM(pki.bytes("leaf.csr"))
        }
        #expect(throws: CertificateError.noCertificate(found: [])) { try Certificate.parsePEM(Array("hello\n".utf8)) }
        #expect(throws: CertificateError.noCertificate(found: [])) { try Certificate.parsePEM([]) }
        #expect(throws: CertificateError.noCertificate(found: [])) { try Certificate.parse(pemOrDER: []) }

        // Broken Base64 inside the armour.
        var text = String(decoding: try pki.bytes("leaf.pem"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\n", with: "\n!!", options: [], range: text.range(of: "\n"))
        #expect {
            try Certificate.parsePEM(Array(text.utf8))
        } throws: { error in
            guard case .malformedPEM = error as? CertificateError else { return false }
            return true
        }

        try pki.sh("openssl x509 -in leaf.pem -outform DER -out leaf.der")
        let der = try pki.bytes("leaf.der")
        #expect(throws: CertificateError.malformedCertificate("3 bytes follow the DER certificate")) {
            try Certificate(derEncoded: der + [0, 0, 0])
        }
        #expect {
            try Certificate(derEncoded: Array(der.dropLast(10)))
        } throws: { error in
            (error as? CertificateError).map { "\($0)".hasPrefix("malformed certificate: not a DER X.509 certificate") } ?? false
        }
        // A well-formed PEM block holding something else is reported with its position.
        let second = pemBlock("CERTIFICATE", [0x30, 0x03, 0x02, 0x01, 0x01])
        #expect {
            try Certificate.parsePEM(try pki.bytes("root.pem") + Array(second.utf8))
        } throws: { error in
            (error as? CertificateError).map { "\($0)".hasPrefix("malformed certificate: PEM certificate 2: not a DER X.509 certificate") } ?? false
        }
        // A chain names the position of a malformed certificate.
        #expect {
            try CertificateChain(derEncoded: [der, [0x30, 0x00]])
        } throws: { error in
            guard case let .malformedChainCertificate(position, _) = error as? CertificateError else { return false }
            return position == 2
        }
        #expect(throws: CertificateError.emptyChain) { try CertificateChain(derEncoded: []) }
    }

    /// An extension OpenSSL cannot decode makes the certificate malformed here, as it makes
    /// `openssl verify` fail ("invalid certificate") even against itself as the anchor.
    @Test(arguments: [("keyUsage", "2.5.29.15 = DER:0402ffff"), ("basicConstraints", "2.5.29.19 = DER:300301")])
    func refusesACertificateWithAMalformedExtension(_ name: String, _ line: String) throws {
        let pki = try TestPKI()
        try pki.key("bad", .p256)
        try pki.folder.write("bad.cnf", """
            [ req ]
            distinguished_name = dn
            prompt = no
            [ dn ]
            CN = unused
            [ bad ]
            \(line)
            """)
        try pki.sh("openssl req -x509 -new -key bad.key -subj /CN=bad -days 1 -config bad.cnf -extensions bad -out bad.pem")
        let verdict = try shell("openssl verify -CAfile bad.pem bad.pem", currentDirectory: pki.path)
        #expect(verdict.status != 0 && verdict.stderr.contains("invalid certificate"), "\(verdict)")
        #expect(throws: CertificateError.malformedCertificate("PEM certificate 1: an extension is malformed, repeated or inconsistent")) {
            try Certificate.parsePEM(pki.bytes("bad.pem"))
        }
    }

    /// The certificates of the OMS v1.0 example certificate bundle (RSA CAs, a P-384 leaf).
    @Test(.enabled(if: referenceFolder() != nil, "the OMS reference text is absent: set PEDIGREE_REFERENCE_DIR"))
    func readsTheOMSExampleBundleChain() throws {
        let folder = try #require(referenceFolder())
        let url = URL(fileURLWithPath: folder + "/oms-spec-v1.0/test-vectors/valid/certificate.bundle.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let material = try #require(json["verificationMaterial"] as? [String: Any])
        let chain = try #require((material["x509CertificateChain"] as? [String: Any])?["certificates"] as? [[String: Any]])
        let der = try chain.map { entry in
            let text = try #require(entry["rawBytes"] as? String)
            return try #require(base64Decode(text))
        }
        let parsed = try CertificateChain(derEncoded: der)
        #expect(parsed.certificates.count == der.count)
        #expect(parsed.certificates.map(\.derEncoded) == der)
        for (index, certificate) in parsed.certificates.enumerated() {
            let path = try TemporaryFolder()
            try path.write("c.der", Data(der[index]))
            let subject = try shell("openssl x509 -inform DER -in c.der -noout -subject -nameopt RFC2253,-esc_msb", currentDirectory: path.path)
            #expect("subject=" + certificate.subject + "\n" == subject.stdout)
        }
        #expect(try parsed.leaf.publicKey.algorithm == .ecdsaP384)
        // The CA keys are RSA: the certificates parse; only their key is refused.
        #expect(throws: CryptoError.unsupportedKeyType("RSA")) { try parsed.intermediates[0].publicKey }
        #expect(parsed.leaf.isUsableForSigning)
    }
}

/// The folder of the reference material, if present.
func referenceFolder() -> String? {
    let folder = ProcessInfo.processInfo.environment["PEDIGREE_REFERENCE_DIR"] ?? packageRoot + "/../shared/reference"
    return FileManager.default.fileExists(atPath: folder + "/oms-spec-v1.0/spec-v1.0.md") ? folder : nil
}

/// `der` in PEM armour with `label`.
func pemBlock(_ label: String, _ der: [UInt8]) -> String {
    "-----BEGIN \(label)-----\n\(base64Encode(der))\n-----END \(label)-----\n"
}

@Suite struct RFC3339Dates {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"), (1_746_228_988, "2025-05-02T23:36:28Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"), (-1, "1969-12-31T23:59:59Z"), (-62_135_596_800, "0001-01-01T00:00:00Z"),
    ])
    func formatsUTC(_ seconds: Double, _ text: String) {
        #expect(rfc3339UTC(Date(timeIntervalSince1970: seconds)) == text)
    }
}
