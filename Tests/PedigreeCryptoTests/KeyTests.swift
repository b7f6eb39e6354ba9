import Foundation
import PedigreeCrypto
import Testing
import TestSupport

private func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

@Suite struct Keys {
    @Test(arguments: KeyAlgorithm.allCases)
    func signAndVerifyRoundTrip(_ algorithm: KeyAlgorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        #expect(key.algorithm == algorithm)
        let message = Array("the payload".utf8)
        let signature = try key.sign(message)
        let publicKey = try key.publicKey
        #expect(publicKey.algorithm == algorithm)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: Array("the payload!".utf8)))
        var flipped = signature
        flipped[flipped.count / 2] ^= 1
        #expect(!publicKey.isValidSignature(flipped, for: message))
        let other = try PrivateKey.generate(algorithm).publicKey
        #expect(!other.isValidSignature(signature, for: message))
    }

    /// A message signed in pieces (streamed for ECDSA, joined for Ed25519) verifies as the
    /// message whole, with empty pieces anywhere.
    @Test(arguments: KeyAlgorithm.allCases)
    func aMessageSignedInPartsIsTheMessageSigned(_ algorithm: KeyAlgorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        #expect(key.signsInParts == (algorithm != .ed25519))
        let head = Array("DSSEv1 28 application/vnd.in-toto+json 5 ".utf8), body = Array("hello".utf8), empty: [UInt8] = []
        let signature = try head.withUnsafeBytes { h in
            try body.withUnsafeBytes { b in try empty.withUnsafeBytes { e in try key.sign(parts: [e, h, e, b, e]) } }
        }
        let publicKey = try key.publicKey
        #expect(publicKey.isValidSignature(signature, for: head + body))
        #expect(!publicKey.isValidSignature(signature, for: head + body + [0]))
        let none = try empty.withUnsafeBytes { try key.sign(parts: [$0]) }
        #expect(publicKey.isValidSignature(none, for: []))
        if algorithm == .ed25519 {
            #expect(signature == (try key.sign(head + body)))
        }
    }

    @Test func ed25519IsDeterministic() throws {
        let key = try PrivateKey.generate(.ed25519)
        #expect(try key.sign([1, 2, 3]) == (try key.sign([1, 2, 3])))
    }

    @Test(arguments: KeyAlgorithm.allCases)
    func pemRoundTripsPlainAndEncrypted(_ algorithm: KeyAlgorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        let plain = try key.pkcs8PEM()
        #expect(plain.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(try PrivateKey(pem: Array(plain.utf8)).publicKey == key.publicKey)

        let secret = Array("correct horse".utf8)
        let encrypted = try key.pkcs8PEM(passphrase: secret)
        #expect(encrypted.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        #expect(try PrivateKey(pem: Array(encrypted.utf8), passphrase: secret).publicKey == key.publicKey)
        #expect(throws: CryptoError.passphrase("the private key is encrypted and no passphrase was given")) {
            try PrivateKey(pem: Array(encrypted.utf8))
        }
        #expect(throws: CryptoError.passphrase("wrong passphrase for the private key")) {
            try PrivateKey(pem: Array(encrypted.utf8), passphrase: Array("wrong".utf8))
        }

        let publicKey = try key.publicKey
        #expect(try PublicKey(pem: Array(publicKey.pem.utf8)) == publicKey)
    }

    @Test func rejectsWhatIsNotAUsableKey() throws {
        #expect(throws: CryptoError.invalidKey("this is a public key; a private key is needed")) {
            try PrivateKey(pem: Array(try PrivateKey.generate(.ed25519).publicKey.pem.utf8))
        }
        #expect(throws: CryptoError.invalidKey("this is a private key; give the public key (openssl pkey -pubout)")) {
            try PublicKey(pem: Array(try PrivateKey.generate(.ed25519).pkcs8PEM().utf8))
        }
        #expect(throws: CryptoError.invalidKey("not a PEM file")) { try PrivateKey(pem: Array("hello".utf8)) }
        #expect(throws: CryptoError.invalidKey("not a PEM file")) { try PublicKey(pem: []) }
        let folder = try TemporaryFolder()
        let rsa = folder.url("rsa.pem")
        try shell("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out '\(rsa)' 2>/dev/null")
        #expect(throws: CryptoError.unsupportedKeyType("RSA")) { try PrivateKey(pem: try bytes(rsa)) }
        let k256 = folder.url("secp256k1.pem")
        try shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out '\(k256)'")
        #expect(throws: CryptoError.unsupportedKeyType("ECDSA on curve secp256k1")) { try PrivateKey(pem: try bytes(k256)) }
        let x25519 = folder.url("x25519.pem")
        try shell("openssl genpkey -algorithm X25519 -out '\(x25519)'")
        #expect(throws: CryptoError.unsupportedKeyType("X25519")) { try PrivateKey(pem: try bytes(x25519)) }
    }
}

@Suite struct KeysAgainstOpenSSL {
    /// Keys made by the openssl tool, in the forms users have them.
    static let generators: [(String, KeyAlgorithm, String)] = [
        ("ed25519 PKCS#8", .ed25519, "openssl genpkey -algorithm ed25519 -out key.pem"),
        ("P-256 traditional", .ecdsaP256, "openssl ecparam -name prime256v1 -genkey -noout -out key.pem"),
        ("P-256 PKCS#8", .ecdsaP256, "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem"),
        ("P-384 traditional", .ecdsaP384, "openssl ecparam -name secp384r1 -genkey -noout -out key.pem"),
        ("P-384 PKCS#8", .ecdsaP384, "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out key.pem"),
        ("P-521 traditional", .ecdsaP521, "openssl ecparam -name secp521r1 -genkey -noout -out key.pem"),
        ("P-521 PKCS#8", .ecdsaP521, "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out key.pem"),
        ("P-521 traditional with parameters", .ecdsaP521, "openssl ecparam -name secp521r1 -genkey -out key.pem"),
    ]

    @Test(arguments: generators.indices)
    func loadsOpensslKeysAndTheKeyIdIsTheSPKIDigest(_ index: Int) throws {
        let (_, algorithm, command) = Self.generators[index]
        let folder = try TemporaryFolder()
        try shell("\(command) && openssl pkey -in key.pem -pubout -out pub.pem && openssl pkey -in key.pem -pubout -outform DER -out pub.der",
                  currentDirectory: folder.path)
        let key = try PrivateKey(pem: try bytes(folder.url("key.pem")))
        #expect(key.algorithm == algorithm)
        let publicKey = try PublicKey(pem: try bytes(folder.url("pub.pem")))
        #expect(try key.publicKey == publicKey)
        #expect(publicKey.spkiDER == (try bytes(folder.url("pub.der"))))
        #expect(publicKey.keyID == (try systemSHA256(folder.url("pub.der"))))
    }

    @Test func loadsAKeyEncryptedByOpenssl() throws {
        let folder = try TemporaryFolder()
        try shell("""
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out plain.pem && \
            openssl pkcs8 -topk8 -v2 aes-256-cbc -in plain.pem -out enc.pem -passout pass:s3cret
            """, currentDirectory: folder.path)
        let key = try PrivateKey(pem: try bytes(folder.url("enc.pem")), passphrase: Array("s3cret".utf8))
        #expect(try key.publicKey == (try PrivateKey(pem: try bytes(folder.url("plain.pem"))).publicKey))
    }

    /// Our signatures verify with the openssl tool, and openssl's with us.
    @Test(arguments: KeyAlgorithm.allCases)
    func signaturesCrossCheckWithOpenssl(_ algorithm: KeyAlgorithm) throws {
        let folder = try TemporaryFolder()
        let key = try PrivateKey.generate(algorithm)
        try folder.write("key.pem", try key.pkcs8PEM())
        try folder.write("pub.pem", try key.publicKey.pem)
        let message = pseudoRandomBytes(1000, seed: 9)
        try folder.write("message", message)
        try folder.write("ours.sig", Data(try key.sign(Array(message))))
        let digest = "-" + (algorithm.digestName ?? "")
        let verify: String
        let sign: String
        if algorithm == .ed25519 {
            verify = "openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in message -sigfile ours.sig"
            sign = "openssl pkeyutl -sign -inkey key.pem -rawin -in message -out theirs.sig"
        } else {
            verify = "openssl dgst \(digest) -verify pub.pem -signature ours.sig message"
            sign = "openssl dgst \(digest) -sign key.pem -out theirs.sig message"
        }
        let checked = try shell(verify, currentDirectory: folder.path)
        #expect(checked.status == 0, "\(checked)")
        #expect(checked.stdout.contains("Verified") || checked.stdout.contains("Signature Verified Successfully"))
        try shell(sign, currentDirectory: folder.path)
        let theirs = try bytes(folder.url("theirs.sig"))
        #expect(try key.publicKey.isValidSignature(theirs, for: Array(message)))
    }
}

/// P-521 signs over SHA-512 (OMS algorithm registry; model_signing's `get_ec_key_hash`), which
/// `openssl pkeyutl` checks on the digest itself, not only through `openssl dgst`.
@Suite struct P521AgainstOpenSSL {
    @Test func signsSHA512DigestsPkeyutlVerifies() throws {
        let folder = try TemporaryFolder()
        try shell("openssl ecparam -name secp521r1 -genkey -noout -out key.pem && openssl pkey -in key.pem -pubout -out pub.pem",
                  currentDirectory: folder.path)
        let key = try PrivateKey(pem: try bytes(folder.url("key.pem")))
        #expect(key.algorithm == .ecdsaP521)
        #expect(key.algorithm.digestName == "sha512")
        let message = Array(pseudoRandomBytes(4096, seed: 21))
        try folder.write("message", Data(message))
        try folder.write("ours.sig", Data(try key.sign(message)))
        let pkeyutl = try shell("""
            openssl dgst -sha512 -binary -out message.sha512 message && \
            openssl pkeyutl -verify -pubin -inkey pub.pem -in message.sha512 -sigfile ours.sig
            """, currentDirectory: folder.path)
        #expect(pkeyutl.status == 0 && pkeyutl.stdout == "Signature Verified Successfully\n", "\(pkeyutl)")
        // Over SHA-256 instead, the same signature does not verify: the digest is SHA-512.
        let wrongDigest = try shell("""
            openssl dgst -sha256 -binary -out message.sha256 message && \
            openssl pkeyutl -verify -pubin -inkey pub.pem -in message.sha256 -sigfile ours.sig
            """, currentDirectory: folder.path)
        #expect(wrongDigest.status != 0)
        // openssl's signature over the SHA-512 digest verifies with us.
        try shell("openssl pkeyutl -sign -inkey key.pem -in message.sha512 -out theirs.sig", currentDirectory: folder.path)
        #expect(try key.publicKey.isValidSignature(try bytes(folder.url("theirs.sig")), for: message))
        // A P-521 ECDSA signature is a DER SEQUENCE of two integers of up to 66 bytes.
        let signature = try key.sign(message)
        #expect(signature.first == 0x30 && signature.count > 130 && signature.count <= 139)
    }
}

@Suite struct Base64Coding {
    // RFC 4648 §10 test vectors.
    static let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                          ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]

    @Test func encodesAndDecodesTheRFCVectors() {
        for (plain, encoded) in Self.vectors {
            #expect(base64Encode(Array(plain.utf8)) == encoded)
            #expect(base64Decode(encoded) == Array(plain.utf8))
            // Without padding, as DSSE allows.
            #expect(base64Decode(encoded.replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
        }
    }

    @Test func acceptsTheURLSafeAlphabet() {
        #expect(base64Decode("-_-_") == [0xfb, 0xff, 0xbf])
        #expect(base64Decode("+/+/") == [0xfb, 0xff, 0xbf])
    }

    @Test(arguments: ["Zg=", "Z", "Zm9v!", "Zg==Zg==", "Zm9v\n", "Zh==", "Zm9=", "Z==="])
    func rejectsMalformedText(_ text: String) {
        #expect(base64Decode(text) == nil)
    }
}
