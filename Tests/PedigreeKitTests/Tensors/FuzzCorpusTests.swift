import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

/// The fuzz harnesses' seed corpus as a regression test: every `valid-*` seed parses, every
/// `invalid-*` seed is refused with an error naming the file, none crashes.
@Suite("Tensor header fuzz corpus")
struct FuzzCorpusTests {
    private func seeds(_ folder: String) throws -> [(name: String, bytes: [UInt8])] {
        let path = packageRoot + "/Fuzz/Corpus/" + folder
        return try FileManager.default.contentsOfDirectory(atPath: path).sorted().map {
            ($0, Array(try Data(contentsOf: URL(fileURLWithPath: path + "/" + $0))))
        }
    }

    @Test func safetensorsSeeds() throws {
        let all = try seeds("safetensors")
        #expect(all.count >= 15)
        for (name, bytes) in all {
            let error = tensorError { () throws(TensorFileError) in try SafetensorsHeader.parse(bytes: bytes, fileSize: Int64(bytes.count), file: name) }
            if name.hasPrefix("valid-") {
                #expect(error == nil, "\(name): \(String(describing: error))")
            } else {
                #expect(error?.file == name, "\(name) was accepted")
                #expect(error?.exitStatus == .dataError)
            }
        }
    }

    @Test func ggufSeeds() throws {
        let all = try seeds("gguf")
        #expect(all.count >= 15)
        for (name, bytes) in all {
            let error = tensorError { () throws(TensorFileError) in try GGUFHeader.parse(bytes: bytes, fileSize: Int64(bytes.count), file: name) }
            if name.hasPrefix("valid-") {
                #expect(error == nil, "\(name): \(String(describing: error))")
            } else {
                #expect(error?.file == name, "\(name) was accepted")
            }
        }
        let small = try GGUFHeader.parse(bytes: all.first { $0.name == "valid-small.gguf" }?.bytes ?? [], fileSize: 416)
        #expect(small.tensors.map(\.dtype) == [.float32, .q8_0])
        #expect(small.tensors.map(\.shape.dims) == [[2, 3], [1, 32]])
    }

    /// Every single-byte corruption of the valid seeds parses or fails cleanly.
    @Test func corruptedSeedsNeverCrash() throws {
        for (folder, parse) in [
            ("safetensors", { (b: [UInt8]) in _ = try? SafetensorsHeader.parse(bytes: b, fileSize: Int64(b.count)) }),
            ("gguf", { (b: [UInt8]) in _ = try? GGUFHeader.parse(bytes: b, fileSize: Int64(b.count)) }),
        ] {
            for (name, bytes) in try seeds(folder) where name.hasPrefix("valid-") {
                for index in bytes.indices {
                    for value: UInt8 in [0x00, 0xff, bytes[index] ^ 0x80] {
                        var corrupted = bytes
                        corrupted[index] = value
                        parse(corrupted)
                    }
                }
            }
        }
    }
}
