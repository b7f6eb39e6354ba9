import PedigreeCrypto
import PedigreeKit
import Testing

/// Git LFS pointer files, parsed as git-lfs `docs/spec.md` ("The Pointer") states them.
@Suite struct LFSPointerTests {
    static let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
    static let canonical = "version https://git-lfs.github.com/spec/v1\noid sha256:\(oid)\nsize 12345\n"

    @Test func theSpecExampleParses() throws {
        let pointer = try LFSPointer(parsing: Array(Self.canonical.utf8))
        #expect(pointer.oid.hex == Self.oid)
        #expect(pointer.size == 12345)
        #expect(LFSPointer.text(oid: pointer.oid, size: pointer.size) == Self.canonical)
    }

    @Test func extensionKeysInOrderAreAllowed() throws {
        let text = "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:\(Self.oid)\noid sha256:\(Self.oid)\nsize 0\n"
        #expect(try LFSPointer(parsing: Array(text.utf8)).size == 0)
    }

    @Test(arguments: [
        ("version https://git-lfs.github.com/spec/v1\noid sha256:\(oid)\nsize 1", LFSPointerError.notNewlineTerminated),
        ("version https://hawser.github.com/spec/v1\noid sha256:\(oid)\nsize 1\n", .unknownVersion),
        ("oid sha256:\(oid)\nversion https://git-lfs.github.com/spec/v1\nsize 1\n", .versionNotFirst),
        ("version https://git-lfs.github.com/spec/v1\nsize 1\noid sha256:\(oid)\n", .keysOutOfOrder("oid")),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:\(oid)\noid sha256:\(oid)\nsize 1\n", .keysOutOfOrder("oid")),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:\(oid.uppercased())\nsize 1\n", .badOID),
        ("version https://git-lfs.github.com/spec/v1\noid sha1:\(oid)\nsize 1\n", .badOID),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:\(oid)\nsize 012\n", .badSize),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:\(oid)\nsize -1\n", .badSize),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:\(oid)\nsize 99999999999999999999\n", .badSize),
        ("version https://git-lfs.github.com/spec/v1\noid  sha256:\(oid)\nsize 1\n", .malformedLine(2)),
        ("version https://git-lfs.github.com/spec/v1\r\noid sha256:\(oid)\nsize 1\n", .malformedLine(1)),
        ("version https://git-lfs.github.com/spec/v1\nOid sha256:\(oid)\nsize 1\n", .malformedLine(2)),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:\(oid)\n", .missing("size")),
        ("version https://git-lfs.github.com/spec/v1\nsize 1\n", .missing("oid")),
        ("\n", .malformedLine(1)),
    ])
    func eachBrokenRuleIsNamed(_ text: String, _ error: LFSPointerError) {
        #expect(throws: error) { try LFSPointer(parsing: Array(text.utf8)) }
    }

    @Test func sizeAndEncodingAreBounded() {
        let padded = Self.canonical.replacingOccurrences(of: "size", with: "ext-9-x \(String(repeating: "y", count: 1000))\nsize")
        #expect(throws: LFSPointerError.tooLarge) { try LFSPointer(parsing: Array(padded.utf8)) }
        #expect(throws: LFSPointerError.notUTF8) { try LFSPointer(parsing: Array(Self.canonical.utf8.dropLast()) + [0xFF, 0x0A]) }
        #expect(throws: LFSPointerError.notNewlineTerminated) { try LFSPointer(parsing: [UInt8]()) }
    }
}
