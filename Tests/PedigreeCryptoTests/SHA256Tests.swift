import PedigreeCrypto
import Testing

/// Known-answer vectors from FIPS 180-2 (Appendix B) and NIST's SHA examples.
private let vectors: [(message: [UInt8], hex: String)] = [
    ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
        Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (Array(repeating: UInt8(ascii: "a"), count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
]

@Suite struct SHA256KnownAnswers {
    @Test(arguments: vectors.indices)
    func oneShot(_ index: Int) {
        let (message, hex) = vectors[index]
        #expect(SHA256.hash(message).hex == hex)
    }

    @Test(arguments: vectors.indices)
    func streamedInUnevenPieces(_ index: Int) {
        let (message, hex) = vectors[index]
        let hasher = SHA256()
        var offset = 0
        var piece = 1
        while offset < message.count {
            let end = min(message.count, offset + piece)
            message[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
            piece = piece * 3 + 1  // 1, 4, 13, 40, … crosses every block boundary pattern
        }
        #expect(hasher.finalize().hex == hex)
    }

    @Test func finalizeStartsOver() {
        let hasher = SHA256()
        hasher.update(Array("garbage".utf8))
        _ = hasher.finalize()
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize().hex == vectors[1].hex)
        #expect(hasher.finalize().hex == vectors[0].hex)
    }
}

@Suite struct DigestParsing {
    @Test func roundTripsHexInEitherCase() throws {
        let hex = vectors[1].hex
        let digest = try #require(SHA256Digest(hex: hex.uppercased()))
        #expect(digest.hex == hex)
        #expect(digest.bytes.count == 32)
        #expect(digest.bytes.prefix(2) == [0xba, 0x78])
    }

    @Test(arguments: [
        "", "abc", String(repeating: "0", count: 63), String(repeating: "0", count: 65),
        String(repeating: "g", count: 64), " " + String(repeating: "0", count: 63),
    ])
    func rejectsWhatIsNotSixtyFourHexDigits(_ text: String) {
        #expect(SHA256Digest(hex: text) == nil)
    }

    @Test func rejectsWrongByteCounts() {
        #expect(SHA256Digest(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 0, count: 32)) != nil)
    }
}
