import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// The sign path's writers that avoid copies of a large manifest (issue 12 item 4) write the
/// bytes the plain encoders write.
@Suite struct StreamedEncoding {
    private static func resources(_ names: [String]) -> [Resource] {
        // Names a manifest cannot hold (a backslash, controls) are left out, as `sign` refuses them.
        names.compactMap { try? ResourceName($0) }.enumerated().map { index, name in
            Resource(name: name, digest: SHA256.hash(Array(name.string.utf8)),
                     size: index == 1 ? Int64.max : Int64(index * 977), role: Role.allCases[index % Role.allCases.count])
        }
    }

    private static let names = ["model.safetensors", "a \"quoted\" name", #"back\slash"#, "tab\there", "bell\u{7}",
                                "é/ü/日本.bin", "LICENSE", "x/y/z.json", "0", "a-b", "a/x",
                                // An escape only at either end, every control, DEL and a 4-byte character.
                                "\u{1}first", "last\"", "\u{1f}\u{8}\u{c}\n\r\u{b}", "del\u{7f}", "emoji😀.bin",
                                String(repeating: "long/", count: 40) + "name.bin"]

    @Test func theSizeReservedForTheResourcesIsTheSizeWritten() throws {
        for count in [0, 1, 2, Self.names.count] {
            let list = Self.resources(Array(Self.names.prefix(count)))
            var bytes: [UInt8] = []
            StatementCodec.appendResources(list, to: &bytes)
            #expect(StatementCodec.encodedCount(list) == bytes.count, "\(count) resources")
        }
    }

    /// The list written in two halves on two threads (forced for every size here) is the list
    /// written whole, and both are `JSONEncoder`'s: sizes 0, 1, 2, odd and even, with names that
    /// need escapes on either side of the split, and a name that is escaped at the split itself.
    @Test func aListWrittenInHalvesIsTheListWrittenWhole() throws {
        var lists = [0, 1, 2, 3, 4, 5, 7, Self.names.count].map { Array(Self.names.prefix($0)) }
        lists.append(Array(Self.names.reversed()))
        lists.append((0..<257).map { $0 == 128 ? "split \"here\"\n" : "f\($0)" })
        for names in lists {
            let predicate = ModelPredicate(
                model: ModelInfo(name: "m", version: "1"), resources: Self.resources(names),
                serialization: Serialization(allowSymlinks: false, ignorePaths: ["*.tmp"]), license: nil,
                notices: Notices(added: [], additionalTerms: nil), lineage: nil, modifications: [], distribution: .files,
                generator: Generator(), createdAt: "2026-01-01T00:00:00Z")
            let root = RootDigest.compute(predicate.resources)
            let whole = try StatementCodec.encodeWhole(predicate, root: root)
            let serial = try StatementCodec.encode(predicate, root: root)
            let halves = try StatementCodec.encodeComputingRoot(predicate, parallelFrom: 1)
            let unsplit = try StatementCodec.encodeComputingRoot(predicate, parallelFrom: .max)
            #expect(serial == whole, "\(names.count) resources")
            #expect(halves.payload == whole, "\(names.count) resources")
            #expect(halves.root == root && unsplit.root == root)
            #expect(unsplit.payload == whole)
            #expect(halves.payload.capacity - halves.payload.count >= Envelope.paePrefixRoom)
        }
    }

    /// The root digest taken in the order given while the order is checked on the other thread,
    /// and the stand-in for it in the rest of the Statement: lists in order (the walk's) and not,
    /// of sizes 1, 2, odd and even, and a stand-in that occurs twice (here as the model's name).
    @Test func theRootTakenBesideTheOrderCheckIsTheSortedListsRoot() throws {
        var lists = [1, 2, 3, 5, 8, Self.names.count].map { Array(Self.names.prefix($0)) }
        lists += lists.map { $0.sorted { RelativePath.precedes($0, $1) } }
        lists.append((0..<257).map { "d\($0 / 16)/f\($0)" }.sorted { RelativePath.precedes($0, $1) })
        lists.append(["a-b", "a/x"])
        lists.append(["a/x", "a-b"])
        let standIn = SHA256.hash(Array("stand-in".utf8))
        for names in lists {
            for modelName in ["m", standIn.hex] {
                let predicate = ModelPredicate(
                    model: ModelInfo(name: modelName, version: "1"), resources: Self.resources(names),
                    serialization: Serialization(allowSymlinks: false, ignorePaths: []), license: nil,
                    notices: Notices(added: [], additionalTerms: nil), lineage: nil, modifications: [], distribution: .files,
                    generator: Generator(), createdAt: "2026-01-01T00:00:00Z")
                let root = RootDigest.compute(predicate.resources.map { ($0.name.string, $0.digest) })
                let made = try StatementCodec.encodeComputingRoot(predicate, parallelFrom: 1, standIn: standIn)
                #expect(made.root == root, "\(names)")
                #expect(made.payload == (try StatementCodec.encodeWhole(predicate, root: root)), "\(names), model \(modelName)")
                let listed = predicate.resources.map(\.name.string)
                #expect(RootDigest.isInOrder(predicate.resources) == (listed == listed.sorted { RelativePath.precedes($0, $1) }))
            }
        }
    }

    @Test func aStatementIsWrittenWithRoomToSignItInPlace() throws {
        let predicate = ModelPredicate(
            model: ModelInfo(name: "m", version: nil), resources: Self.resources(Self.names),
            serialization: Serialization(allowSymlinks: false, ignorePaths: []), license: nil,
            notices: Notices(added: [], additionalTerms: nil), lineage: nil, modifications: [], distribution: .files,
            generator: Generator(), createdAt: "2026-01-01T00:00:00Z")
        let payload = try StatementCodec.encode(predicate, root: RootDigest.compute(predicate.resources))
        #expect(payload.capacity - payload.count >= Envelope.paePrefixRoom)
        #expect(payload == (try StatementCodec.encodeWhole(predicate, root: RootDigest.compute(predicate.resources))))
    }

    /// In place (room, not shared) or over a copy (no room, or shared): the payload is the
    /// same afterwards, the signature verifies over the PAE, and a copy of the payload held
    /// elsewhere is untouched.
    @Test(arguments: [true, false])
    func signingInPlaceLeavesThePayloadAsItWas(_ room: Bool) throws {
        let key = try PrivateKey.generate(.ecdsaP256)
        let text = Array(#"{"_type":"https://in-toto.io/Statement/v1"}"#.utf8)
        var payload: [UInt8] = []
        payload.reserveCapacity(text.count + (room ? Envelope.paePrefixRoom : 0))
        payload += text
        let envelope = try Envelope.sign(payload: payload, payloadType: MediaTypes.inToto, key: key)
        #expect(envelope.payload == text)
        #expect(payload == text)
        let publicKey = try key.publicKey
        #expect(publicKey.isValidSignature(envelope.signatures[0].sig, for: Envelope.pae(payloadType: MediaTypes.inToto, payload: text)))

        var owned = envelope
        owned.payload.reserveCapacity(text.count + Envelope.paePrefixRoom)
        let shared = owned
        try owned.addSignature(key: key)
        #expect(owned.payload == text)
        #expect(shared.payload == text && shared.signatures.count == 1)
        #expect(publicKey.isValidSignature(owned.signatures[1].sig, for: Envelope.pae(payloadType: MediaTypes.inToto, payload: text)))
    }

    @Test func theRootDigestOfResourcesIsThatOfTheSortedNames() throws {
        let list = Self.resources(Self.names)
        let expected = RootDigest.compute(list.map { ($0.name.string, $0.digest) })
        #expect(RootDigest.compute(list) == expected)
        let sorted = list.sorted { RelativePath.precedes($0.name.string, $1.name.string) }
        #expect(RootDigest.compute(sorted) == expected)
        #expect(RootDigest.compute(inListedOrder: sorted.map { ($0.name.string, $0.digest) }) == expected)
        #expect(RootDigest.compute([Resource]()) == SHA256.hash([UInt8]()))
    }

    /// Sizes in decimal as `String(_:)` writes them, at every change of length and both ends.
    @Test func decimalsAreWhatStringWrites() {
        var values: [Int64] = [0, 1, 9, 10, 99, 100, -1, -9, -10, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power]
        }
        for value in values {
            var bytes = Array("x".utf8)
            StatementCodec.appendDecimal(value, to: &bytes)
            #expect(bytes == Array(("x" + String(value)).utf8))
        }
    }

    /// A string with nothing to escape is copied whole; one with anything to escape is written
    /// as `JSONEncoder` writes it, and the count reserved is the count written, either way.
    @Test func jsonStringsAreWhatTheEncoderWrites() throws {
        let strings = Self.names + ["", "plain", "a/b", "\"", "\\", "\u{0}", "é", (0..<128).map { String(UnicodeScalar(UInt8($0))) }.joined()]
        for string in strings {
            var bytes: [UInt8] = []
            StatementCodec.appendJSONString(string, to: &bytes)
            let encoded = try JSON.compact([string])
            #expect(bytes == Array(encoded.dropFirst().dropLast()), "\(string.debugDescription)")
            #expect(StatementCodec.jsonStringCount(string) == bytes.count)
        }
    }

    /// Every padding case, every byte value: the Base64 appended is Foundation's.
    @Test func base64AppendedIsFoundations() {
        for count in 0..<70 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 37 + 200) }
            var out = Array("x".utf8)
            base64Encode(bytes, appendingTo: &out)
            #expect(out == Array(("x" + Data(bytes).base64EncodedString()).utf8))
            #expect(base64EncodedCount(count) == out.count - 1)
        }
    }

    /// The one-pass decoder gives back every length's bytes, padded or not, in either alphabet.
    @Test func base64DecodesWhatWasEncoded() {
        for count in 0..<70 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 53 + 7) }
            let text = Data(bytes).base64EncodedString()
            #expect(base64Decode(text) == bytes)
            #expect(base64Decode(text.replacingOccurrences(of: "=", with: "")) == bytes)
            let urlSafe = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            #expect(base64Decode(urlSafe) == bytes)
            if count % 3 != 0 { #expect(base64Decode(text + "=") == nil, "\(count): too much padding") }
        }
    }

    /// The bundle with the payload encoded in place is byte for byte what `JSONEncoder` writes
    /// for the whole bundle, compact and indented, with ancestors and verification material.
    @Test(arguments: [0, 1, 2, 3, 1000])
    func aBundleIsWhatTheEncoderWritesForTheWhole(_ count: Int) throws {
        let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 131) }
        let envelope = Envelope(payloadType: MediaTypes.inToto, payload: payload, signatures: [EnvelopeSignature(keyid: "k", sig: [1, 2, 3])])
        let ancestor = AncestorEntry(dsseEnvelope: Envelope(
            payloadType: MediaTypes.inToto, payload: Array("parent".utf8), signatures: [EnvelopeSignature(keyid: "", sig: [9])]))
        var material = VerificationMaterial()
        material.publicKeyHint = "hint/+="
        for bundle in [
            ManifestBundle(kind: .pedigree, dsseEnvelope: envelope),
            ManifestBundle(kind: .pedigree, dsseEnvelope: envelope, ancestors: [ancestor]),
            ManifestBundle(kind: .sigstore, dsseEnvelope: envelope, verificationMaterial: material),
        ] {
            #expect(try bundle.encoded() == (try JSON.pretty(WireBundle(bundle))))
            #expect(try bundle.encodedCompact() == (try JSON.compact(WireBundle(bundle))))
            #expect(try ManifestBundle.parse(try bundle.encoded()).dsseEnvelope.payload == payload)
        }
    }

    /// A bundle streamed into a file (its Base64 made a piece at a time) is byte for byte
    /// `encoded()`, for payloads ending short of, on and just past a piece's end, and its
    /// announced size is the size written.
    /// From `parallelPieces` pieces on, the pieces are encoded on two threads, each taking the
    /// next: an even and an odd number of pieces, the last one full or short, and many more
    /// pieces than the helper may run ahead.
    @Test(arguments: [0, 1, 2, 3, StreamedBundle.pieceBytes - 1, StreamedBundle.pieceBytes, StreamedBundle.pieceBytes + 1,
                      3 * StreamedBundle.pieceBytes + 2,
                      StreamedBundle.parallelPieces * StreamedBundle.pieceBytes,
                      StreamedBundle.parallelPieces * StreamedBundle.pieceBytes + 1,
                      (StreamedBundle.parallelPieces + 1) * StreamedBundle.pieceBytes - 1,
                      (StreamedBundle.parallelPieces + 3) * StreamedBundle.pieceBytes + 2,
                      (StreamedBundle.parallelPieces + 10 * StreamedBundle.aheadPieces) * StreamedBundle.pieceBytes + 5])
    func aStreamedBundleIsWhatIsEncodedWhole(_ count: Int) throws {
        let folder = try TemporaryFolder()
        let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 8) }
        let envelope = Envelope(payloadType: MediaTypes.inToto, payload: payload, signatures: [EnvelopeSignature(keyid: "k", sig: [1, 2, 3])])
        let bundle = ManifestBundle(kind: .pedigree, dsseEnvelope: envelope)
        let streamed = try #require(try bundle.streamedEncoding())
        let path = folder.url("m.json")
        try AtomicFile.write(to: path, overwrite: false) { streamed.write(to: $0) }
        let written = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written == (try bundle.encoded()))
        #expect(streamed.byteCount == written.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["m.json"])
    }

    /// A write of several MiB in pieces of odd sizes, whose written part is handed to the disk
    /// every MiB on the way (`FileSink`), leaves exactly the bytes written.
    @Test func aLongWriteHandedToTheDiskOnTheWayIsWhatWasWritten() throws {
        let folder = try TemporaryFolder()
        let path = folder.url("long.bin")
        let pieces = (0..<97).map { index in (0..<(54_321 + index * 1_009)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }
        #expect(pieces.reduce(0) { $0 + $1.count } > 5 * Int(FileSink.writebackRun))
        try AtomicFile.write(to: path, overwrite: false) { sink in
            for piece in pieces { sink.write(piece) }
        }
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == pieces.flatMap { $0 })
    }

    /// A streamed write that cannot be made fails like a write of bytes, leaving nothing
    /// behind: an existing file without `overwrite`, a folder that does not exist.
    @Test func aStreamedWriteThatFailsLeavesNothing() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("m.json", "old")
        #expect(throws: FileError(path: path, reason: .exists)) {
            try AtomicFile.write(to: path, overwrite: false) { $0.write(Array("new".utf8)) }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        let missing = folder.url("no/m.json")
        #expect(throws: FileError(path: missing, reason: .system(ENOENT))) {
            try AtomicFile.write(to: missing, overwrite: true) { $0.write(Array("new".utf8)) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["m.json"])
    }
}
