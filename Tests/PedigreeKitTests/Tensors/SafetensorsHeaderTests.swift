import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

/// A safetensors file: the 8-byte length, the JSON, then `data` bytes.
func safetensorsBytes(_ json: String, data: Int = 0, length: UInt64? = nil) -> [UInt8] {
    let header = Array(json.utf8)
    let n = length ?? UInt64(header.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + header + [UInt8](repeating: 0x41, count: data)
}

private func parse(_ bytes: [UInt8], fileSize: Int64? = nil) throws(TensorFileError) -> SafetensorsHeader {
    try SafetensorsHeader.parse(bytes: bytes, fileSize: fileSize ?? Int64(bytes.count), file: "m.safetensors")
}

private func message(_ bytes: [UInt8], fileSize: Int64? = nil) -> String {
    tensorErrorMessage { () throws(TensorFileError) in try parse(bytes, fileSize: fileSize) }
}

@Suite("safetensors headers")
struct SafetensorsHeaderTests {
    @Test func readsTensorsInOffsetOrderWithAbsoluteRanges() throws {
        let json = #"{"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"s":{"dtype":"I64","shape":[],"data_offsets":[14,22]},"e":{"dtype":"BF16","shape":[0,5],"data_offsets":[22,22]}}"#
        let header = try parse(safetensorsBytes(json, data: 22))
        let start = Int64(8 + json.utf8.count)
        #expect(header.tensors.map(\.name) == ["a", "b", "s", "e"])
        #expect(header.tensors.map(\.dtype) == [.float32, .float16, .int64, .bfloat16])
        #expect(header.tensors.map(\.shape.dims) == [[2], [3], [], [0, 5]])
        #expect(header.tensors.map(\.shape.elementCount) == [2, 3, 1, 0])
        #expect(header.tensors.map(\.byteRange) == [start..<start + 8, start + 8..<start + 14, start + 14..<start + 22, start + 22..<start + 22])
        #expect(header.metadata == ["format": "pt"])
        #expect(header.dataStart == start)
    }

    @Test(.tags(.tensorFixtures))
    func agreesWithTheReferenceReaderOnEveryFixture() throws {
        let fixtures = try TensorFixtures.get()
        let files = fixtures.files(withSuffix: ".safetensors")
        #expect(files.count == 13)
        for file in files {
            let header = try SafetensorsHeader.read(path: fixtures.path(file), displayName: file)
            let expected = fixtures.file(file)?["tensors"]?.list ?? []
            let byName = Dictionary(uniqueKeysWithValues: header.tensors.map { ($0.name, $0) })
            #expect(header.tensors.count == expected.count, "\(file)")
            for tensor in expected {
                guard let name = tensor["name"]?.string, let ours = byName[name] else {
                    Issue.record("\(file): reference tensor \(String(describing: tensor["name"])) not read")
                    continue
                }
                #expect(ours.dtype.rawValue == tensor["dtype"]?.string, "\(file) \(name)")
                #expect(ours.shape.dims == tensor["shape"]?.list.compactMap(\.int64), "\(file) \(name)")
                #expect(ours.byteRange.lowerBound == tensor["start"]?.int64, "\(file) \(name)")
                #expect(ours.byteRange.upperBound == tensor["end"]?.int64, "\(file) \(name)")
            }
            #expect(header.metadata["format"] == "pt", "\(file)")
        }
    }

    @Test func truncatedBeforeTheLength() {
        #expect(message([1, 0, 0, 0, 0]) == "m.safetensors: header length: needs 8 bytes but only 5 remain (the file is truncated or the field is wrong)")
    }

    @Test func lengthPastTheEndOfTheFile() {
        let bytes = safetensorsBytes("{}", length: 100)
        #expect(message(bytes) == "m.safetensors: header: needs 100 bytes but only 2 remain (the file is truncated or the field is wrong)")
    }

    @Test func aHeaderClaiming2To64BytesAndAnOversizedOne() {
        #expect(message(safetensorsBytes("{}", length: UInt64.max)) == "m.safetensors: header length: is 18446744073709551615, more than the 100000000 allowed")
        // Just past the reference reader's cap, in a file long enough to hold it.
        #expect(message(safetensorsBytes("{}", length: 100_000_001), fileSize: 200_000_000) == "m.safetensors: header length: is 100000001, more than the 100000000 allowed")
    }

    @Test func oversizedHeaderIsRefusedBeforeAnythingIsRead() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("big.safetensors", Data(safetensorsBytes("{}", length: 150_000_000)))
        let error = tensorError { () throws(TensorFileError) in try SafetensorsHeader.read(path: path, displayName: "big.safetensors") }
        #expect(error == TensorFileError(file: "big.safetensors", field: "header length", reason: .tooLarge(value: 150_000_000, limit: 100_000_000)))
        #expect(error?.exitStatus == .dataError)
    }

    @Test func overlappingTensors() {
        let json = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(message(safetensorsBytes(json, data: 12)) == "m.safetensors: tensor 'b' data_offsets: overlaps tensor 'a'")
    }

    @Test func aGapBetweenTensors() {
        let json = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        #expect(message(safetensorsBytes(json, data: 12)) == "m.safetensors: tensor 'b' data_offsets: leaves 4 bytes unused after tensor 'a'; safetensors data must be contiguous")
    }

    @Test func dataNoTensorCovers() {
        let json = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(message(safetensorsBytes(json, data: 9)) == "m.safetensors: data: the tensors cover 4 of the 9 data bytes; the rest belongs to no tensor")
    }

    @Test func aTensorOutOfTheFile() {
        let json = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        #expect(message(safetensorsBytes(json, data: 8)) == "m.safetensors: tensor 'a' data_offsets: ends at byte 16, past the end at 8")
    }

    @Test func offsetsClaiming2To64Bytes() {
        let json = #"{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]}}"#
        #expect(message(safetensorsBytes(json, data: 8)) == "m.safetensors: tensor 'a' shape: overflows 64 bits when sizes or offsets are computed from it")
        let beyond = #"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,18446744073709551616]}}"#
        #expect(message(safetensorsBytes(beyond, data: 8)) == "m.safetensors: tensor 'a' data_offsets[1]: is 18446744073709551616, not an integer from 0 to 2^64-1")
        let huge = #"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,18446744073709551615]}}"#
        #expect(message(safetensorsBytes(huge, data: 8)) == "m.safetensors: tensor 'a' data_offsets: ends at byte 18446744073709551615, past the end at 8")
    }

    @Test func shapesWhoseByteCountOverflows() {
        let json = #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#
        #expect(message(safetensorsBytes(json, data: 4)) == "m.safetensors: tensor 'a' shape: overflows 64 bits when sizes or offsets are computed from it")
        let bytesOverflow = #"{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}"#
        #expect(message(safetensorsBytes(bytesOverflow, data: 4)) == "m.safetensors: tensor 'a' shape: overflows 64 bits when sizes or offsets are computed from it")
        let negative = #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#
        #expect(message(safetensorsBytes(negative, data: 4)) == "m.safetensors: tensor 'a' shape[0]: is -1, not an integer from 0 to 2^64-1")
    }

    @Test func aByteCountTheShapeDoesNotMake() {
        let json = #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8]}}"#
        #expect(message(safetensorsBytes(json, data: 8)) == "m.safetensors: tensor 'a' data_offsets: covers 8 bytes, but F32 [2, 2] takes 16")
    }

    @Test func duplicateTensorNames() {
        let json = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#
        let text = message(safetensorsBytes(json, data: 2))
        #expect(text.hasPrefix("m.safetensors: header: is not valid JSON: "))
        #expect(text.contains("'a' appears twice"))
    }

    @Test func malformedEntries() {
        #expect(message(safetensorsBytes("[]")) == "m.safetensors: header: is a list, not an object")
        #expect(message(safetensorsBytes(#"{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#, data: 16))
            == "m.safetensors: tensor 'a' dtype: 'F128' is not a safetensors dtype pedigree knows; not supported")
        #expect(message(safetensorsBytes(#"{"a":{"dtype":"Q8_0","shape":[32],"data_offsets":[0,34]}}"#, data: 34))
            == "m.safetensors: tensor 'a' dtype: 'Q8_0' is not a safetensors dtype pedigree knows; not supported")
        #expect(message(safetensorsBytes(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}}"#, data: 1))
            == "m.safetensors: tensor 'a' 'extra': is not a field of a safetensors tensor")
        #expect(message(safetensorsBytes(#"{"a":{"shape":[1],"data_offsets":[0,1]}}"#, data: 1)) == "m.safetensors: tensor 'a' dtype: is missing")
        #expect(message(safetensorsBytes(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}"#, data: 1))
            == "m.safetensors: tensor 'a' data_offsets: begins at 1, after its end 0")
        #expect(message(safetensorsBytes(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, data: 1))
            == "m.safetensors: tensor 'a' data_offsets: has 1 numbers; expected [begin, end]")
        #expect(message(safetensorsBytes(#"{"__metadata__":{"k":1}}"#)) == "m.safetensors: __metadata__ 'k': is a number, not a string")
        #expect(message(safetensorsBytes(#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, data: 2))
            == "m.safetensors: tensor 'a' shape: has 3 elements, which do not fill whole bytes of F4")
        #expect(message(safetensorsBytes("{\"a\\u0001\":[]}")) == "m.safetensors: tensor 'a\\x01': is a list, not an object")
    }

    @Test func anUnreadableFileIsNoInput() {
        let error = tensorError { () throws(TensorFileError) in try SafetensorsHeader.read(path: "/nonexistent/x.safetensors") }
        #expect(error?.exitStatus == .noInput)
        #expect(error?.description == "/nonexistent/x.safetensors: file: No such file or directory")
    }
}

@Suite("sharded safetensors")
struct ShardedSafetensorsTests {
    @Test(.tags(.tensorFixtures))
    func theShardsHoldTheSameTensorsAsTheSingleFile() throws {
        let fixtures = try TensorFixtures.get()
        let sharded = try fixtures.inventory("sharded")
        let single = try fixtures.inventory("base")
        #expect(Set(sharded.records.map(\.file)) == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        #expect(Dictionary(uniqueKeysWithValues: sharded.records.map { ($0.name, $0.digest) })
            == Dictionary(uniqueKeysWithValues: single.records.map { ($0.name, $0.digest) }))
    }

    @Test(.tags(.tensorFixtures))
    func anIndexThatDisagreesWithItsShardsIsRefused() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, folder) = try fixtures.copy("sharded")
        _ = scratch
        let indexPath = folder + "/model.safetensors.index.json"
        let original = try String(contentsOfFile: indexPath, encoding: .utf8)

        // A tensor listed in the wrong shard.
        let moved = original.replacingOccurrences(
            of: #""lm_head.weight": "model-00002-of-00002.safetensors""#, with: #""lm_head.weight": "model-00001-of-00002.safetensors""#)
        #expect(moved != original)
        try moved.write(toFile: indexPath, atomically: true, encoding: .utf8)
        #expect(tensorErrorMessage { () throws(TensorFileError) in try TensorInventory.read(folder: folder) }
            == "model.safetensors.index.json: weight_map 'lm_head.weight': the tensor is in shard 'model-00002-of-00002.safetensors' but the index lists it in 'model-00001-of-00002.safetensors'")

        // A shard that is missing.
        try FileManager.default.removeItem(atPath: folder + "/model-00002-of-00002.safetensors")
        try original.write(toFile: indexPath, atomically: true, encoding: .utf8)
        #expect(tensorErrorMessage { () throws(TensorFileError) in try TensorInventory.read(folder: folder) }
            == "model.safetensors.index.json: weight_map: names the shard 'model-00002-of-00002.safetensors', which is missing")
    }

    @Test func indexEntriesMustStayInsideTheFolder() {
        let message = tensorErrorMessage { () throws(TensorFileError) in
            try SafetensorsIndex.parse(bytes: Array(#"{"weight_map":{"a":"../x.safetensors"}}"#.utf8), file: "i.json")
        }
        #expect(message == "i.json: weight_map 'a': names '../x.safetensors', which is not a relative path inside the model folder")
        let missing = tensorErrorMessage { () throws(TensorFileError) in try SafetensorsIndex.parse(bytes: Array(#"{"metadata":{}}"#.utf8), file: "i.json") }
        #expect(missing == "i.json: weight_map: is missing")
    }

    @Test func aTensorOfAShardTheIndexDoesNotList() throws {
        let index = try SafetensorsIndex.parse(bytes: Array(#"{"weight_map":{"a":"s1.safetensors"}}"#.utf8), file: "i.json")
        let bytes = safetensorsBytes(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: 2)
        let header = try SafetensorsHeader.parse(bytes: bytes, fileSize: Int64(bytes.count))
        let error = tensorErrorMessage { () throws(TensorFileError) in try index.check(shards: ["s1.safetensors": header], file: "i.json") }
        #expect(error == "i.json: weight_map 'b': the tensor is in shard 's1.safetensors' but the index does not list it")
    }
}
