import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

@Suite("Per-tensor digests")
struct TensorDigestTests {
    @Test(.tags(.tensorFixtures))
    func matchHashlibOverTheTensorBytesAndKeepThePlainFileDigest() throws {
        let fixtures = try TensorFixtures.get()
        let files = fixtures.files(withSuffix: ".safetensors") + fixtures.files(withSuffix: ".gguf")
        #expect(files.count == 21)
        for file in files {
            let path = fixtures.path(file)
            let tensors = file.hasSuffix(".gguf")
                ? try GGUFHeader.read(path: path).tensors : try SafetensorsHeader.read(path: path).tensors
            let expected = Dictionary(
                uniqueKeysWithValues: (fixtures.file(file)?["tensors"]?.list ?? []).map { ($0["name"]?.string ?? "", $0["sha256"]?.string ?? "") })
            for concurrent in [false, true] {
                let result = try TensorDigester.digests(path: path, displayName: file, tensors: tensors, chunkSize: 4096, concurrent: concurrent)
                #expect(result.file.digest.hex == fixtures.file(file)?["fileSha256"]?.string, "\(file)")
                #expect(result.file.digest.hex == (try systemSHA256(path)), "\(file)")
                #expect(result.tensors.map(\.name) == tensors.map(\.name))
                for digest in result.tensors {
                    #expect(digest.digest.hex == expected[digest.name], "\(file) \(digest.name)")
                }
            }
        }
    }

    /// A synthetic file: a header, tensors separated by padding, an empty tensor at the end.
    private func synthetic() -> (bytes: [UInt8], tensors: [TensorInfo]) {
        let bytes = Array(pseudoRandomBytes(10_000, seed: 11))
        func info(_ name: String, _ range: Range<Int64>) -> TensorInfo {
            TensorInfo(name: name, dtype: .uint8, shape: TensorShape([Int64(range.count)])!, byteRange: range)
        }
        // Given out of order on purpose; padding at 3000..<3100 and after 9000.
        let tensors = [info("c", 3100..<9000), info("a", 100..<1000), info("empty-mid", 1000..<1000), info("b", 1000..<3000), info("z", 10_000..<10_000)]
        return (bytes, tensors)
    }

    @Test(arguments: [1, 7, 64, 999, 4096, 1 << 20])
    func anyChunkingGivesTheSameDigests(chunk: Int) throws {
        let (bytes, tensors) = synthetic()
        let digester = TensorDigester(tensors: tensors, file: "f")
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            bytes[offset..<end].withUnsafeBytes { digester.consume($0, at: Int64(offset)) }
            offset = end
        }
        let digests = try digester.finish()
        #expect(digests.map(\.name) == ["c", "a", "empty-mid", "b", "z"])
        for (digest, tensor) in zip(digests, tensors) {
            let slice = bytes[Int(tensor.byteRange.lowerBound)..<Int(tensor.byteRange.upperBound)]
            #expect(digest.digest == SHA256.hash(slice), "\(tensor.name)")
        }
    }

    /// The digests without the file's own, read ahead or not, with a ring smaller than the file.
    @Test(arguments: [false, true])
    func tensorDigestsAloneMatchTheSlices(readAhead: Bool) throws {
        let (bytes, tensors) = synthetic()
        let folder = try TemporaryFolder()
        let path = try folder.write("f", Data(bytes))
        let handle = try TensorFileHandle(path: path, displayName: "f")
        let digests = try TensorDigester.tensorDigests(handle, tensors: tensors, chunkSize: 333, readAhead: readAhead)
        #expect(digests.map(\.name) == ["c", "a", "empty-mid", "b", "z"])
        for (digest, tensor) in zip(digests, tensors) {
            #expect(digest.digest == SHA256.hash(bytes[Int(tensor.byteRange.lowerBound)..<Int(tensor.byteRange.upperBound)]), "\(tensor.name)")
        }
    }

    @Test func aFileEndingInsideATensorIsReported() {
        let (bytes, tensors) = synthetic()
        let digester = TensorDigester(tensors: tensors, file: "model.safetensors")
        bytes[0..<5000].withUnsafeBytes { digester.consume($0, at: 0) }
        let error = tensorError { () throws(TensorFileError) in try digester.finish() }
        #expect(error?.description == "model.safetensors: tensor 'c': needs 5900 bytes but only 1900 remain (the file is truncated or the field is wrong)")
    }

    @Test func chunksOutOfOrderAreReported() {
        let (bytes, tensors) = synthetic()
        let digester = TensorDigester(tensors: tensors, file: "f")
        bytes[0..<100].withUnsafeBytes { digester.consume($0, at: 0) }
        bytes[200..<300].withUnsafeBytes { digester.consume($0, at: 200) }
        #expect(tensorErrorMessage { () throws(TensorFileError) in try digester.finish() } == "f: data: a chunk was fed at byte 200 where byte 100 was expected")
        let late = TensorDigester(tensors: tensors, file: "f")
        bytes[500..<600].withUnsafeBytes { late.consume($0, at: 500) }
        #expect(tensorErrorMessage { () throws(TensorFileError) in try late.finish() } == "f: tensor 'a': the first chunk fed starts at byte 500, inside the tensor")
    }

    @Test func overlappingTensorsAreRefused() {
        let a = TensorInfo(name: "a", dtype: .uint8, shape: TensorShape([10])!, byteRange: 0..<10)
        let b = TensorInfo(name: "b", dtype: .uint8, shape: TensorShape([10])!, byteRange: 5..<15)
        let digester = TensorDigester(tensors: [a, b], file: "f")
        #expect(tensorErrorMessage { () throws(TensorFileError) in try digester.finish() } == "f: tensor 'b': overlaps tensor 'a'")
    }
}
