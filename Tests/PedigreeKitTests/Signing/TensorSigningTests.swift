import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// A safetensors file written by hand: `tensors` (name, U8 bytes) laid out one after another.
func handWrittenSafetensors(_ tensors: [(String, [UInt8])]) -> Data {
    var offset = 0
    var entries: [String] = []
    for (name, bytes) in tensors {
        entries.append("\"\(name)\":{\"dtype\":\"U8\",\"shape\":[\(bytes.count)],\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
        offset += bytes.count
    }
    let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    var out = Data()
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: header)
    for (_, bytes) in tensors { out.append(contentsOf: bytes) }
    return out
}

@Suite("Signing with tensor digests")
struct TensorSigningTests {
    let key: PrivateKey
    let trusted: [TrustedKey]

    init() throws {
        key = try PrivateKey.generate(.ed25519)
        trusted = [TrustedKey(key: try key.publicKey, label: "signer.pub")]
    }

    func request(_ folder: String, tensors: Bool = true) -> SignRequest {
        var request = SignRequest(folder: folder, createdAt: "2026-01-01T00:00:00Z")
        request.tensors = tensors
        return request
    }

    @Test(.tags(.tensorFixtures), arguments: [
        (1, false), (1, true), (2, false), (2, true),
    ])
    func everyTensorIsRecordedWithHashlibsDigestInTheSameRead(jobs: Int, readAhead: Bool) throws {
        let fixtures = try TensorFixtures.get()
        // Small buffers so every tensor spans several chunks and the read-ahead path is taken.
        let engine = HashEngine(jobs: jobs, bufferSize: 4096, readAhead: readAhead)
        for name in ["base", "sharded", "gguf-f16", "gguf-q8_0", "lora"] {
            let predicate = try ModelSigner(engine: engine).describe(request(fixtures.path(name)))
            let table = try #require(predicate.tensors, "\(name)")
            let weights = predicate.resources.filter { $0.name.string.hasSuffix(".safetensors") || $0.name.string.hasSuffix(".gguf") }
            #expect(Set(table.map(\.file)) == Set(weights.map(\.name.string)), "\(name)")
            for resource in weights {
                let file = name + "/" + resource.name.string
                #expect(resource.digest.hex == (try systemSHA256(fixtures.path(file))), "\(file)")
                let expected = (fixtures.file(file)?["tensors"]?.list ?? []).map { ($0["name"]?.string ?? "", $0["sha256"]?.string ?? "") }
                let rows = table.filter { $0.file == resource.name.string }
                #expect(!rows.isEmpty)
                #expect(Set(rows.map(\.name)) == Set(expected.map(\.0)), "\(file)")
                let byName = Dictionary(uniqueKeysWithValues: expected)
                for row in rows { #expect(row.digest.hex == byName[row.name], "\(file) \(row.name)") }
            }
            // Without --tensors: the same resources, no table.
            let plain = try ModelSigner(engine: engine).describe(request(fixtures.path(name), tensors: false))
            #expect(plain.resources == predicate.resources)
            #expect(plain.tensors == nil)
        }
    }

    @Test(.tags(.tensorFixtures))
    func theTableIsSignedAndVerifyRecomputesIt() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, folder) = try fixtures.copy("gguf-q8_0")
        _ = scratch
        let signer = ModelSigner(engine: HashEngine(jobs: 2, bufferSize: 8192))
        let predicate = try signer.describe(request(folder))
        let result = try signer.sign(predicate, key: key)
        let manifest = folder + "/pedigree.json"
        try AtomicFile.write(try result.bundle.encoded(), to: manifest, overwrite: false)
        let chain = try ModelChain.load(manifest)
        #expect(chain.manifest.predicate?.tensors == predicate.tensors)
        let report = ManifestVerifier(keys: trusted).verify(folder: folder, manifestPath: manifest)
        #expect(report.problems == [])
        #expect(report.verified)
    }

    @Test(.tags(.tensorFixtures))
    func aForgedTensorTableFailsVerifyNamingTheTensorAndField() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, folder) = try fixtures.copy("base")
        _ = scratch
        let signer = ModelSigner()
        var predicate = try signer.describe(request(folder))
        var table = try #require(predicate.tensors)
        let victim = table[3]
        let other = table[4]
        table[3] = TensorRecord(
            file: victim.file, name: victim.name, dtype: victim.dtype, shape: victim.shape, byteRange: victim.byteRange, digest: other.digest)
        predicate.tensors = table
        let manifest = folder + "/pedigree.json"
        try AtomicFile.write(try signer.sign(predicate, key: key).bundle.encoded(), to: manifest, overwrite: false)
        let report = ManifestVerifier(keys: trusted).verify(folder: folder, manifestPath: manifest)
        // Every file has its signed digest: the table alone lies.
        #expect(report.files.allSatisfy { $0.status == .ok })
        #expect(report.problems == [
            "tensor table: tensor 4 ('\(victim.name)') of 'model.safetensors': sha256 \(other.digest.hex.prefix(12))… is \(victim.digest.hex.prefix(12))…"
        ])
        #expect(report.findings.map(\.kind) == [.tensors])
        #expect(!report.verified)
    }

    /// A limit between the sizes of the manifest with and without its table: the table alone
    /// makes it too large, and the refusal says what, how large, the limit and the way out.
    @Test func aTableThatMakesTheManifestTooLargeIsRefusedNamingTheWayOut() throws {
        let folder = try TemporaryFolder()
        try folder.write("model.safetensors", handWrittenSafetensors((0..<200).map { ("t\($0)", [UInt8($0 & 0xff)]) }))
        let signer = ModelSigner()
        let predicate = try signer.describe(request(folder.path))
        #expect(predicate.tensors?.count == 200)
        let bytes = try signer.sign(predicate, key: key).bundle.encoded().count
        let plain = try signer.sign(try signer.describe(request(folder.path, tensors: false)), key: key).bundle.encoded().count
        #expect(bytes > plain + 200 * 100)
        let limit = (bytes + plain) / 2
        let refusal = ManifestTooLarge(bytes: bytes, limit: limit, tensorCount: 200)
        #expect(throws: refusal) { try ManifestSizeCheck.check(bytes: bytes, tensorCount: 200, limit: limit) }
        #expect(refusal.description == "the manifest would take \(bytes) bytes with its table of 200 tensors, more than the \(limit) "
            + "a manifest may take (verify and every other reader refuse a larger one); nothing is written "
            + "(sign with --no-tensors to sign the weights files by their digests alone)")
        #expect(refusal.exitStatus == .dataError)
        // Without the table it fits; with the real limit both do.
        try ManifestSizeCheck.check(bytes: plain, tensorCount: 0, limit: limit)
        try ManifestSizeCheck.check(bytes: bytes, tensorCount: 200)
        #expect(ManifestTooLarge(bytes: 9, limit: 8, tensorCount: 0).description
            == "the manifest would take 9 bytes, more than the 8 a manifest may take (verify and every other reader refuse a larger one); nothing is written")
    }

    @Test func aMalformedHeaderRefusesToSignNamingFileAndField() throws {
        let folder = try TemporaryFolder()
        try folder.write("config.json", "{}")
        var bytes = handWrittenSafetensors([("a", [1, 2, 3])])
        bytes.replaceSubrange(0..<8, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        try folder.write("model.safetensors", bytes)
        let expected = TensorFileError(
            file: "model.safetensors", field: "header length", reason: .tooLarge(value: UInt64.max, limit: Limits.safetensorsHeaderBytes))
        #expect(throws: SignError.tensors(expected)) { try ModelSigner().describe(request(folder.path)) }
        #expect(SignError.tensors(expected).description == "cannot record the tensors of model.safetensors: header length: is 18446744073709551615, "
            + "more than the 100000000 allowed; nothing is signed (without --tensors the file is signed by its digest alone)")
        #expect(SignError.tensors(expected).exitStatus == .dataError)
        // Without --tensors the same folder signs by file digests.
        #expect(try ModelSigner().describe(request(folder.path, tensors: false)).resources.count == 2)
    }

    @Test func tensorDigestsCoverExactlyEachTensorsBytes() throws {
        let folder = try TemporaryFolder()
        let a: [UInt8] = Array(0..<200), b: [UInt8] = Array(repeating: 7, count: 5000)
        try folder.write("w.safetensors", handWrittenSafetensors([("a", a), ("b", b)]))
        for bufferSize in [1, 13, 4096, 1 << 20] {
            let predicate = try ModelSigner(engine: HashEngine(jobs: 1, bufferSize: bufferSize)).describe(request(folder.path))
            let table = try #require(predicate.tensors)
            #expect(table.map(\.name) == ["a", "b"])
            #expect(table.map(\.digest) == [SHA256.hash(a), SHA256.hash(b)])
            #expect(predicate.resources[0].digest.hex == (try systemSHA256(folder.url("w.safetensors"))))
        }
    }

    /// A memo that claims to know every file, with a wrong digest.
    final class LyingMemo: DigestMemo, @unchecked Sendable {
        var recalled = 0
        func recall(_ stamp: FileStamp) -> FileDigest? {
            recalled += 1
            return FileDigest(digest: SHA256.hash([1]), size: 3)
        }
        func remember(_ digest: FileDigest, stamp: FileStamp) {}
    }

    @Test func aWeightsFileIsReadDespiteTheDigestMemoSoItKeepsItsTable() throws {
        let folder = try TemporaryFolder()
        try folder.write("w.safetensors", handWrittenSafetensors([("a", [1, 2, 3])]))
        try folder.write("config.json", "{}")
        var engine = HashEngine(jobs: 1)
        let memo = LyingMemo()
        engine.memo = memo
        let predicate = try ModelSigner(engine: engine).describe(request(folder.path))
        #expect(predicate.tensors?.map(\.digest) == [SHA256.hash([1, 2, 3])])
        let weights = try #require(predicate.resources.first { $0.name.string == "w.safetensors" })
        #expect(weights.digest.hex == (try systemSHA256(folder.url("w.safetensors"))))
        // config.json came from the memo: only the weights file bypassed it.
        #expect(memo.recalled == 1)
    }
}
