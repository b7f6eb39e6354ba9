import Foundation
import PedigreeCrypto
import Testing
import TestSupport

/// Chain verdicts on real PKIs made by the openssl tool, each cross-checked with
/// `openssl verify -CAfile … -untrusted … leaf.pem`.
@Suite(.tags(.tool)) struct ChainValidation {
    @Test func acceptsAThreeLevelChainAndNamesTheSigner() throws {
        let pki = try TestPKI.threeLevel()
        #expect(try pki.opensslVerify("leaf", anchors: ["root"], untrusted: ["inter"]) == nil)
        let root = try pki.certificate("root")
        let inter = try pki.certificate("inter")
        let leaf = try pki.certificate("leaf")
        let validated = try CertificateChain(leaf: leaf, intermediates: [inter]).validate(anchors: [root])
        #expect(validated.path == [leaf, inter, root])
        #expect(validated.leaf == leaf)
        #expect(validated.anchor == root)
        #expect(validated.publicKey == (try pki.privateKey("leaf").publicKey))
        #expect(validated.identity.subject == "CN=Model Signer Ünïcode,O=Pedigree Tests")
        #expect(validated.identity.subjectAlternativeNames.first == .email("signer@example.com"))
        #expect(abs(validated.verificationTime.timeIntervalSinceNow) < 60)

        // The root may travel in the bundle too, in any order; other anchors do no harm.
        try pki.selfSigned("other", subject: "/CN=Other Root")
        let other = try pki.certificate("other")
        let again = try CertificateChain(leaf: leaf, intermediates: [root, inter]).validate(anchors: [other, root, root])
        #expect(again.path == [leaf, inter, root])
        // The leaf's signature checks out with the key the chain vouches for.
        let message = Array("payload".utf8)
        #expect(validated.publicKey.isValidSignature(try pki.privateKey("leaf").sign(message), for: message))
    }

    @Test func refusesWithoutAnchors() throws {
        let pki = try TestPKI.threeLevel()
        let chain = CertificateChain(leaf: try pki.certificate("leaf"), intermediates: [try pki.certificate("inter")])
        #expect(throws: CertificateValidationError.noTrustAnchors) { try chain.validate(anchors: []) }
    }

    @Test func anExpiredLeafFailsNowAndPassesAtItsNotBeforeAsModelSigningChecks() throws {
        let pki = try TestPKI.threeLevel()
        try pki.issue("expired", subject: "/CN=Expired Signer", by: "inter", profile: .leaf,
                      start: "20200101000000Z", end: "20210101000000Z")
        let opensslVerdict = try pki.opensslVerify("expired", anchors: ["root"], untrusted: ["inter"])
        #expect(opensslVerdict?.error == 10 && opensslVerdict?.depth == 0)  // X509_V_ERR_CERT_HAS_EXPIRED

        let expired = try pki.certificate("expired")
        #expect(rfc3339UTC(expired.notBefore) == "2020-01-01T00:00:00Z")
        #expect(rfc3339UTC(expired.notAfter) == "2021-01-01T00:00:00Z")
        let chain = CertificateChain(leaf: expired, intermediates: [try pki.certificate("inter")])
        let root = try pki.certificate("root")
        #expect {
            try chain.validate(anchors: [root])
        } throws: { error in
            guard case let .expired(subject, depth, notAfter, time) = error as? CertificateValidationError else { return false }
            let text = "\(error)"
            return subject == "CN=Expired Signer" && depth == 0 && notAfter == expired.notAfter
                && abs(time.timeIntervalSinceNow) < 60
                && text.hasPrefix("the signing certificate 'CN=Expired Signer' expired on 2021-01-01T00:00:00Z (verification time ")
        }
        // The CAs were issued now, after the leaf's period: at its notBefore the root was not yet valid.
        #expect {
            try chain.validate(anchors: [root], policy: ChainValidationPolicy(time: .leafNotBefore))
        } throws: { error in
            guard case let .notYetValid(_, depth, _, time) = error as? CertificateValidationError else { return false }
            return depth > 0 && time == expired.notBefore
        }
    }

    /// model_signing judges the chain at the leaf's notBefore: with CAs older than the leaf, a
    /// leaf that has since expired still verifies there, and fails under OMS §8.2's rule (now).
    @Test func theModelSigningTimeAcceptsAnExpiredLeafOfOlderCAs() throws {
        let pki = try TestPKI()
        try pki.key("root", .p384)
        try pki.sh("openssl req -new -key root.key -subj '/CN=Old Root' -config pki.cnf -out root.csr")
        // A root valid 2019–2040 (self-signed by `openssl ca -selfsign`, backdated).
        try pki.sh("""
            openssl ca -batch -selfsign -config pki.cnf -keyfile root.key -in root.csr -out root.pem \
            -startdate 20190101000000Z -enddate 20400101000000Z -extensions root -notext
            """)
        try pki.issue("leaf", subject: "/CN=Old Signer", by: "root", profile: .leaf,
                      start: "20200101000000Z", end: "20210101000000Z")
        let chain = CertificateChain(leaf: try pki.certificate("leaf"))
        let root = try pki.certificate("root")
        let validated = try chain.validate(anchors: [root], policy: ChainValidationPolicy(time: .leafNotBefore))
        #expect(validated.verificationTime == chain.leaf.notBefore)
        let attime = try epochSeconds("20200101000000Z")
        #expect(try pki.opensslVerify("leaf", anchors: ["root"], options: "-attime \(attime)") == nil)
        #expect(try pki.opensslVerify("leaf", anchors: ["root"])?.error == 10)
        #expect {
            try chain.validate(anchors: [root])
        } throws: { error in
            if case .expired(_, 0, _, _) = error as? CertificateValidationError { return true }
            return false
        }
        // A chosen time inside the period passes; one before it is "not yet valid".
        let inside = Date(timeIntervalSince1970: TimeInterval(try epochSeconds("20200601000000Z")))
        #expect(try chain.validate(anchors: [root], policy: ChainValidationPolicy(time: .at(inside))).verificationTime == inside)
        let before = Date(timeIntervalSince1970: TimeInterval(try epochSeconds("20191231000000Z")))
        #expect(throws: CertificateValidationError.notYetValid(
            subject: "CN=Old Signer", depth: 0, notBefore: chain.leaf.notBefore, verificationTime: before)) {
            try chain.validate(anchors: [root], policy: ChainValidationPolicy(time: .at(before)))
        }
        #expect(try pki.opensslVerify("leaf", anchors: ["root"], options: "-attime \(try epochSeconds("20191231000000Z"))")?.error == 9)
    }

    @Test func aSelfSignedLeafIsTrustedOnlyAsAnAnchor() throws {
        let pki = try TestPKI.threeLevel()
        try pki.selfSigned("self", subject: "/CN=Self Signer", profile: .selfSignedLeaf, type: .p256, days: 30)
        let opensslVerdict = try pki.opensslVerify("self", anchors: ["root"])
        #expect(opensslVerdict?.error == 18)  // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        let selfSigned = try pki.certificate("self")
        #expect(throws: CertificateValidationError.selfSignedLeafNotTrusted(subject: "CN=Self Signer")) {
            try CertificateChain(leaf: selfSigned).validate(anchors: [try pki.certificate("root")])
        }
        #expect(try pki.opensslVerify("self", anchors: ["self"]) == nil)
        let validated = try CertificateChain(leaf: selfSigned).validate(anchors: [selfSigned])
        #expect(validated.path == [selfSigned])
        #expect(validated.anchor == selfSigned)
        #expect(validated.identity.description == "CN=Self Signer (email:self@example.com)")
    }

    @Test func aLeafOfAnotherCAHasNoPathToTheAnchor() throws {
        let pki = try TestPKI.threeLevel()
        // Another PKI with an RSA root: its leaf does not lead to our root.
        try pki.selfSigned("otherRoot", subject: "/CN=Other Root CA", type: .rsa)
        try pki.issue("otherLeaf", subject: "/CN=Stranger", by: "otherRoot", profile: .leaf)
        #expect(try pki.opensslVerify("otherLeaf", anchors: ["root"], untrusted: ["inter"])?.error == 20)
        let stranger = try pki.certificate("otherLeaf")
        #expect(throws: CertificateValidationError.noPathToTrustAnchor(subject: "CN=Stranger", issuer: "CN=Other Root CA")) {
            try CertificateChain(leaf: stranger, intermediates: [try pki.certificate("inter")]).validate(anchors: [try pki.certificate("root")])
        }
        // Against its own root it is fine: RSA CAs validate; only an RSA leaf key is refused.
        #expect(try CertificateChain(leaf: stranger).validate(anchors: [try pki.certificate("otherRoot")]).path.count == 2)

        // The bundle omits the intermediate: the leaf's issuer is nowhere.
        #expect(try pki.opensslVerify("leaf", anchors: ["root"])?.error == 20)
        #expect(throws: CertificateValidationError.noPathToTrustAnchor(
            subject: "CN=Model Signer Ünïcode,O=Pedigree Tests", issuer: "CN=Test Intermediate CA,O=Pedigree Tests")) {
            try CertificateChain(leaf: try pki.certificate("leaf")).validate(anchors: [try pki.certificate("root")])
        }

        // The chain brings its own root, which is not trusted.
        try pki.issue("otherInter", subject: "/CN=Other Intermediate", by: "otherRoot", profile: .intermediate)
        try pki.issue("otherLeaf2", subject: "/CN=Stranger 2", by: "otherInter", profile: .leaf)
        #expect(try pki.opensslVerify("otherLeaf2", anchors: ["root"], untrusted: ["otherInter", "otherRoot"])?.error == 19)
        let chain = CertificateChain(leaf: try pki.certificate("otherLeaf2"),
                                     intermediates: [try pki.certificate("otherInter"), try pki.certificate("otherRoot")])
        #expect(throws: CertificateValidationError.untrustedRoot(subject: "CN=Other Root CA")) {
            try chain.validate(anchors: [try pki.certificate("root")])
        }
    }

    @Test func anAlteredCertificateFailsTheSignatureCheck() throws {
        let pki = try TestPKI.threeLevel()
        // The last byte of the DER is the last byte of the signature's s: still DER, no longer valid.
        var der = try pki.certificate("leaf").derEncoded
        der[der.count - 1] ^= 0x01
        let altered = try Certificate(derEncoded: der)
        try pki.folder.write("altered.pem", altered.pem)
        #expect(try pki.opensslVerify("altered", anchors: ["root"], untrusted: ["inter"])?.error == 7)
        #expect(throws: CertificateValidationError.badCertificateSignature(subject: "CN=Model Signer Ünïcode,O=Pedigree Tests", depth: 0)) {
            try CertificateChain(leaf: altered, intermediates: [try pki.certificate("inter")])
                .validate(anchors: [try pki.certificate("root")])
        }
    }

    @Test func aCAImpostorOfTheSameNameIsNotTheIssuer() throws {
        let pki = try TestPKI.threeLevel()
        // Same name as the real intermediate, another key, issued by the real root: the leaf's
        // authorityKeyIdentifier names the real one, so OpenSSL finds no issuer.
        try pki.issue("impostor", subject: "/O=Pedigree Tests/CN=Test Intermediate CA", by: "root", profile: .intermediate, type: .p384)
        #expect(try pki.opensslVerify("leaf", anchors: ["root"], untrusted: ["impostor"])?.error == 20)
        #expect(throws: CertificateValidationError.noPathToTrustAnchor(
            subject: "CN=Model Signer Ünïcode,O=Pedigree Tests", issuer: "CN=Test Intermediate CA,O=Pedigree Tests")) {
            try CertificateChain(leaf: try pki.certificate("leaf"), intermediates: [try pki.certificate("impostor")])
                .validate(anchors: [try pki.certificate("root")])
        }
    }

    @Test func anIssuerThatIsNotACAIsRefused() throws {
        let pki = try TestPKI.threeLevel()
        try pki.issue("fake", subject: "/CN=Not A CA", by: "root", profile: .notACA)
        try pki.issue("victim", subject: "/CN=Victim", by: "fake", profile: .leaf)
        let verdict = try pki.opensslVerify("victim", anchors: ["root"], untrusted: ["fake"])
        #expect(verdict?.error == 79 && verdict?.depth == 1)  // X509_V_ERR_INVALID_CA
        #expect(throws: CertificateValidationError.issuerNotACertificateAuthority(subject: "CN=Not A CA", depth: 1)) {
            try CertificateChain(leaf: try pki.certificate("victim"), intermediates: [try pki.certificate("fake")])
                .validate(anchors: [try pki.certificate("root")])
        }
    }

    @Test func anIntermediateAnchorNeedsPartialChainAsInOpenssl() throws {
        let pki = try TestPKI.threeLevel()
        let chain = CertificateChain(leaf: try pki.certificate("leaf"))
        let inter = try pki.certificate("inter")
        #expect(try pki.opensslVerify("leaf", anchors: ["inter"])?.error == 2)  // UNABLE_TO_GET_ISSUER_CERT
        #expect(throws: CertificateValidationError.noPathToTrustAnchor(
            subject: "CN=Test Intermediate CA,O=Pedigree Tests", issuer: "CN=Test Root CA,O=Pedigree Tests")) {
            try chain.validate(anchors: [inter])
        }
        #expect(try pki.opensslVerify("leaf", anchors: ["inter"], options: "-partial_chain") == nil)
        let validated = try chain.validate(anchors: [inter], policy: ChainValidationPolicy(allowsPartialChain: true))
        #expect(validated.anchor == inter)
        #expect(validated.path.count == 2)
    }

    /// model_signing's usage rule: digitalSignature, or else codeSigning; OpenSSL's own chain
    /// check (no purpose set) accepts all of these leaves.
    @Test(arguments: [
        (TestPKI.Profile.leaf, true), (.codeSigningOnly, true), (.keyAgreementCodeSigning, true),
        (.noDigitalSignature, false), (.noUsage, false),
    ])
    func theLeafMustBeForSigning(_ profile: TestPKI.Profile, _ usable: Bool) throws {
        let pki = try TestPKI.threeLevel()
        try pki.issue("usage", subject: "/CN=Usage \(profile.rawValue)", by: "inter", profile: profile)
        #expect(try pki.opensslVerify("usage", anchors: ["root"], untrusted: ["inter"]) == nil)
        let leaf = try pki.certificate("usage")
        #expect(leaf.isUsableForSigning == usable)
        let chain = CertificateChain(leaf: leaf, intermediates: [try pki.certificate("inter")])
        if usable {
            #expect(try chain.validate(anchors: [try pki.certificate("root")]).leaf == leaf)
        } else {
            #expect(throws: CertificateValidationError.unsuitableKeyUsage(
                subject: leaf.subject, keyUsage: leaf.keyUsage, extendedKeyUsage: leaf.extendedKeyUsage)) {
                try chain.validate(anchors: [try pki.certificate("root")])
            }
        }
        if profile == .noDigitalSignature {
            let error = CertificateValidationError.unsuitableKeyUsage(
                subject: leaf.subject, keyUsage: leaf.keyUsage, extendedKeyUsage: leaf.extendedKeyUsage)
            #expect("\(error)" == """
                the signing certificate 'CN=Usage no_digital_signature' cannot be used for signing: it needs \
                keyUsage digitalSignature or extendedKeyUsage codeSigning, and has keyUsage keyEncipherment; \
                extendedKeyUsage serverAuth
                """)
        }
    }

    @Test func anRSALeafValidatesButItsKeyIsRefused() throws {
        let pki = try TestPKI.threeLevel()
        try pki.issue("rsaLeaf", subject: "/CN=RSA Signer", by: "inter", profile: .leaf, type: .rsa)
        #expect(try pki.opensslVerify("rsaLeaf", anchors: ["root"], untrusted: ["inter"]) == nil)
        #expect(throws: CertificateValidationError.unsupportedLeafKey(
            subject: "CN=RSA Signer", reason: "unsupported key type RSA (supported: Ed25519, ECDSA P-256, ECDSA P-384, ECDSA P-521)")) {
            try CertificateChain(leaf: try pki.certificate("rsaLeaf"), intermediates: [try pki.certificate("inter")])
                .validate(anchors: [try pki.certificate("root")])
        }
    }

    /// Every key type pedigree signs with can be a certified leaf.
    @Test(arguments: [TestPKI.KeyType.p256, .p384, .p521, .ed25519])
    func everyLeafKeyType(_ type: TestPKI.KeyType) throws {
        let pki = try TestPKI.threeLevel(leafType: type)
        let validated = try CertificateChain(leaf: try pki.certificate("leaf"), intermediates: [try pki.certificate("inter")])
            .validate(anchors: [try pki.certificate("root")])
        let expected: KeyAlgorithm = [.p256: .ecdsaP256, .p384: .ecdsaP384, .p521: .ecdsaP521, .ed25519: .ed25519][type]!
        #expect(validated.publicKey.algorithm == expected)
    }
}

/// A private key paired with its certificate.
@Suite(.tags(.tool)) struct CertificateSigning {
    @Test func signsWithTheCertifiedKeyAndOpensslVerifiesWithTheCertificate() throws {
        let pki = try TestPKI.threeLevel(leafType: .p521)
        let signer = try CertificateSigningKey(
            privateKey: try pki.privateKey("leaf"), certificate: try pki.certificate("leaf"),
            intermediates: [try pki.certificate("inter")])
        #expect(signer.chain.certificates.map(\.subject) == [
            "CN=Model Signer Ünïcode,O=Pedigree Tests", "CN=Test Intermediate CA,O=Pedigree Tests",
        ])
        let message = Array(pseudoRandomBytes(500, seed: 3))
        try pki.folder.write("message", Data(message))
        try pki.folder.write("message.sig", Data(try signer.sign(message)))
        let verified = try shell("""
            openssl x509 -in leaf.pem -noout -pubkey > leaf.pub && \
            openssl dgst -sha512 -verify leaf.pub -signature message.sig message
            """, currentDirectory: pki.path)
        #expect(verified.status == 0 && verified.stdout == "Verified OK\n", "\(verified)")
        let validated = try signer.chain.validate(anchors: [try pki.certificate("root")])
        #expect(validated.publicKey.isValidSignature(try signer.sign(message), for: message))
    }

    @Test func refusesAKeyThatIsNotTheCertificates() throws {
        let pki = try TestPKI.threeLevel()
        try pki.key("stranger", .p256)
        let leaf = try pki.certificate("leaf")
        let stranger = try pki.privateKey("stranger")
        let expected = CertificateError.keyDoesNotMatchCertificate(
            subject: leaf.subject, certificateKeyID: leaf.publicKeyID, privateKeyID: try stranger.publicKey.keyID)
        #expect(throws: expected) { try CertificateSigningKey(privateKey: stranger, certificate: leaf) }
        #expect("\(expected)".hasPrefix("the private key does not belong to the certificate 'CN=Model Signer Ünïcode,O=Pedigree Tests': the certificate certifies key \(leaf.publicKeyID), "))
        // The openssl tool agrees they do not match.
        try pki.sh("openssl x509 -in leaf.pem -noout -pubkey > a.pub && openssl pkey -in stranger.key -pubout > b.pub && openssl pkey -in leaf.key -pubout > c.pub")
        #expect(try shell("cmp -s a.pub b.pub", currentDirectory: pki.path).status != 0)
        #expect(try shell("cmp -s a.pub c.pub", currentDirectory: pki.path).status == 0)
        // Another curve entirely.
        try pki.key("bigger", .p384)
        #expect(throws: CertificateError.self) { try CertificateSigningKey(privateKey: try pki.privateKey("bigger"), certificate: leaf) }
    }

    @Test func refusesACertificateThatMayNotSign() throws {
        let pki = try TestPKI.threeLevel()
        try pki.issue("tls", subject: "/CN=TLS Server", by: "inter", profile: .noDigitalSignature)
        let tls = try pki.certificate("tls")
        #expect(throws: CertificateError.notForSigning(subject: "CN=TLS Server", keyUsage: .keyEncipherment, extendedKeyUsage: [.serverAuth])) {
            try CertificateSigningKey(privateKey: try pki.privateKey("tls"), certificate: tls)
        }
    }
}
