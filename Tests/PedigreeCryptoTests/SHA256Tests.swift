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

@Suite struct DigestStorage {
    /// Digests whose bytes differ in the first, a middle and the last byte of each word.
    private static let samples: [[UInt8]] = {
        var list: [[UInt8]] = [[UInt8](repeating: 0, count: 32), [UInt8](repeating: 0xff, count: 32), Array(0..<32)]
        for position in [0, 7, 8, 15, 16, 23, 24, 31] {
            var low = [UInt8](repeating: 0x80, count: 32)
            low[position] = 0x7f
            var high = low
            high[position] = 0x81
            list += [low, high]
        }
        return list
    }()

    @Test func holdsItsBytesInline() {
        #expect(MemoryLayout<SHA256Digest>.size == 32)
        #expect(MemoryLayout<(String, SHA256Digest)>.size == 48)
    }

    @Test func bytesRoundTripThroughEveryInitializer() throws {
        for bytes in Self.samples {
            let digest = try #require(SHA256Digest(bytes: bytes))
            #expect(digest.bytes == bytes)
            #expect(digest.withUnsafeBytes { Array($0) } == bytes)
            #expect(digest.hex == hexString(bytes))
            var appended: [UInt8] = Array("x".utf8)
            digest.appendHex(to: &appended)
            #expect(appended == Array(("x" + hexString(bytes)).utf8))
            #expect(SHA256Digest(hex: digest.hex) == digest)
            #expect(bytes.withUnsafeBytes { SHA256Digest($0) } == digest)
        }
        #expect([UInt8](repeating: 1, count: 33).withUnsafeBytes { SHA256Digest($0) } == nil)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 0, count: 33)) == nil)
    }

    @Test func ordersAndHashesAsItsBytes() throws {
        let digests = try Self.samples.map { try #require(SHA256Digest(bytes: $0)) }
        for a in Self.samples.indices {
            for b in Self.samples.indices {
                #expect((digests[a] < digests[b]) == Self.samples[a].lexicographicallyPrecedes(Self.samples[b]))
                #expect((digests[a] == digests[b]) == (Self.samples[a] == Self.samples[b]))
            }
        }
        #expect(Set(digests).count == Set(Self.samples).count)
    }
}
