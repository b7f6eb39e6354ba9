import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

/// Builds GGUF bytes field by field, so each test can break one field.
struct GGUFBuilder {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { bytes += (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    mutating func u64(_ v: UInt64) { bytes += (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    mutating func string(_ s: String) { string(Array(s.utf8)) }
    mutating func string(_ b: [UInt8]) {
        u64(UInt64(b.count))
        bytes += b
    }

    /// Magic, version and the two counts.
    static func start(version: UInt32 = 3, tensors: UInt64, kvs: UInt64) -> GGUFBuilder {
        var b = GGUFBuilder()
        b.bytes = Array("GGUF".utf8)
        b.u32(version)
        b.u64(tensors)
        b.u64(kvs)
        return b
    }

    mutating func kvU32(_ key: String, _ v: UInt32) {
        string(key)
        u32(GGUFValueType.uint32.rawValue)
        u32(v)
    }

    mutating func kvString(_ key: String, _ v: String) {
        string(key)
        u32(GGUFValueType.string.rawValue)
        string(v)
    }

    /// A tensor info; `dims` in GGUF order (ne[0] first).
    mutating func tensor(_ name: String, dims: [UInt64], type: UInt32 = 0, offset: UInt64) {
        string(name)
        u32(UInt32(dims.count))
        for d in dims { u64(d) }
        u32(type)
        u64(offset)
    }

    /// Pads to `alignment` and appends `data` bytes.
    mutating func data(_ count: Int, alignment: Int = 32) {
        while bytes.count % alignment != 0 { bytes.append(0) }
        bytes += [UInt8](repeating: 0x3c, count: count)
    }
}

private func parse(_ bytes: [UInt8], fileSize: Int64? = nil) throws(TensorFileError) -> GGUFHeader {
    try GGUFHeader.parse(bytes: bytes, fileSize: fileSize ?? Int64(bytes.count), file: "m.gguf")
}

private func message(_ bytes: [UInt8], fileSize: Int64? = nil) -> String {
    tensorErrorMessage { () throws(TensorFileError) in try parse(bytes, fileSize: fileSize) }
}

/// A valid file with one F32 tensor of 2 × 3 (ne = [3, 2]) and one key.
private func valid() -> GGUFBuilder {
    var b = GGUFBuilder.start(tensors: 1, kvs: 1)
    b.kvString("general.architecture", "llama")
    b.tensor("t", dims: [3, 2], offset: 0)
    b.data(24)
    return b
}

@Suite("GGUF headers")
struct GGUFHeaderTests {
    @Test func readsAValidFileAndReversesTheDimensions() throws {
        let bytes = valid().bytes
        let header = try parse(bytes)
        #expect(header.version == 3)
        #expect(header.alignment == 32)
        #expect(header["general.architecture"]?.text == "llama")
        #expect(header.tensors.count == 1)
        #expect(header.tensors[0].shape.dims == [2, 3])
        #expect(header.tensors[0].dtype == .float32)
        #expect(header.dataStart % 32 == 0)
        #expect(header.tensors[0].byteRange == header.dataStart..<header.dataStart + 24)
        #expect(Int64(bytes.count) == header.dataStart + 24)
    }

    @Test(.tags(.tensorFixtures))
    func agreesWithGGUFPyOnEveryFixture() throws {
        let fixtures = try TensorFixtures.get()
        let files = fixtures.files(withSuffix: ".gguf")
        #expect(files.count == 8)
        for file in files {
            let header = try GGUFHeader.read(path: fixtures.path(file), displayName: file)
            guard let expected = fixtures.file(file) else { continue }
            #expect(Int64(header.alignment) == expected["alignment"]?.int64, "\(file)")
            #expect(header.dataStart == expected["dataOffset"]?.int64, "\(file)")
            let tensors = expected["tensors"]?.list ?? []
            #expect(header.tensors.count == tensors.count, "\(file)")
            for (ours, theirs) in zip(header.tensors, tensors) {
                #expect(ours.name == theirs["name"]?.string)
                #expect(ours.dtype.rawValue == theirs["dtype"]?.string, "\(file) \(ours.name)")
                // gguf-py reports ne order; ours is row-major.
                #expect(ours.shape.dims == (theirs["ggmlShape"]?.list.compactMap(\.int64) ?? []).reversed(), "\(file) \(ours.name)")
                #expect(ours.shape.elementCount == theirs["elements"]?.int64)
                #expect(ours.byteRange.lowerBound == theirs["start"]?.int64, "\(file) \(ours.name)")
                #expect(ours.byteRange.upperBound == theirs["end"]?.int64, "\(file) \(ours.name)")
            }
            let kv = expected["kv"]?.list ?? []
            #expect(header.metadata.count == kv.count, "\(file)")
            for item in kv {
                guard let key = item["key"]?.string, let value = header[key] else {
                    Issue.record("\(file): key \(String(describing: item["key"])) not read")
                    continue
                }
                #expect(value.type.name == item["type"]?.string, "\(file) \(key)")
                expectSameValue(value, item, "\(file) \(key)")
            }
        }
    }

    private func expectSameValue(_ value: GGUFValue, _ item: JSONValue, _ label: String) {
        let theirs = item["value"]
        switch value {
        case .uint8(let v): #expect(UInt64(v) == theirs?.uint64, "\(label)")
        case .uint16(let v): #expect(UInt64(v) == theirs?.uint64, "\(label)")
        case .uint32(let v): #expect(UInt64(v) == theirs?.uint64, "\(label)")
        case .uint64(let v): #expect(v == theirs?.uint64, "\(label)")
        case .int8(let v): #expect(Int64(v) == theirs?.int64, "\(label)")
        case .int16(let v): #expect(Int64(v) == theirs?.int64, "\(label)")
        case .int32(let v): #expect(Int64(v) == theirs?.int64, "\(label)")
        case .int64(let v): #expect(v == theirs?.int64, "\(label)")
        case .float32(let v): #expect(Double(v) == theirs?.double, "\(label)")
        case .float64(let v): #expect(v == theirs?.double, "\(label)")
        case .bool(let v): #expect(theirs == .bool(v), "\(label)")
        case .string(let s): #expect(s.text == theirs?.string, "\(label)")
        case .array(let array):
            #expect(array.elementType.name == item["elementType"]?.string, "\(label)")
            let list = theirs?.list ?? []
            switch array {
            case .string(let strings): #expect(strings.map(\.text) == list.map(\.string), "\(label)")
            case .int32(let ints): #expect(ints.map(Int64.init) == list.compactMap(\.int64), "\(label)")
            case .float32(let floats): #expect(floats.map(Double.init) == list.compactMap(\.double), "\(label)")
            default: Issue.record("\(label): unexpected array type \(array.elementType)")
            }
        }
    }

    @Test func readingTheHeaderStopsShortOfTheTensorData() throws {
        var b = GGUFBuilder.start(tensors: 1, kvs: 1)
        b.kvString("general.architecture", "llama")
        b.tensor("big", dims: [1 << 20], offset: 0)
        b.data(4 << 20)
        let folder = try TemporaryFolder()
        let path = try folder.write("big.gguf", Data(b.bytes))
        let (header, read) = try GGUFHeader.readCounting(TensorFileHandle(path: path, displayName: "big.gguf"))
        #expect(header.tensors.first?.byteCount == 4 << 20)
        #expect(read <= Int(header.dataStart) + (64 << 10))
    }

    @Test func readsEveryValueTypeIncludingNestedArrays() throws {
        var b = GGUFBuilder.start(tensors: 0, kvs: 4)
        b.string("a.u16")
        b.u32(2)
        b.bytes += [0x34, 0x12]
        b.string("a.bools")
        b.u32(9)
        b.u32(7)
        b.u64(3)
        b.bytes += [1, 0, 1]
        b.string("a.nested")
        b.u32(9)
        b.u32(9)  // array of arrays
        b.u64(2)
        b.u32(10)
        b.u64(1)
        b.u64(42)
        b.u32(8)
        b.u64(2)
        b.string("x")
        b.string("yz")
        b.string("a.f64")
        b.u32(12)
        b.u64(Double(-0.5).bitPattern)
        let header = try parse(b.bytes)
        #expect(header["a.u16"] == .uint16(0x1234))
        #expect(header["a.bools"] == .array(.bool([true, false, true])))
        #expect(header["a.nested"] == .array(.array([.uint64([42]), .string(GGUFStringList(["x", "yz"]))])))
        #expect(header["a.f64"] == .float64(-0.5))
        #expect(header.tensors.isEmpty)
    }

    @Test func wrongMagicAndVersions() {
        var b = valid()
        b.bytes[0] = UInt8(ascii: "X")
        #expect(message(b.bytes) == "m.gguf: magic: is not 'GGUF': not a GGUF file")
        for (version, text) in [
            (UInt32(1), "m.gguf: version: is 1 (the pre-release layout with 32-bit counts); not supported"),
            (0x0300_0000, "m.gguf: version: reads as 50331648: a big-endian GGUF; not supported"),
            (4, "m.gguf: version: is 4; pedigree reads versions 2 and 3; not supported"),
        ] {
            var v = valid()
            v.bytes.replaceSubrange(4..<8, with: (0..<4).map { UInt8(truncatingIfNeeded: version >> (8 * UInt32($0))) })
            #expect(message(v.bytes) == text)
        }
        var v2 = valid()
        v2.bytes[4] = 2
        #expect((try? parse(v2.bytes))?.version == 2)
    }

    @Test func absurdCounts() {
        let tensors = GGUFBuilder.start(tensors: 1 << 60, kvs: 0).bytes
        #expect(message(tensors) == "m.gguf: tensor_count: is 1152921504606846976, more than the 0 the rest of the file could hold")
        let kvs = GGUFBuilder.start(tensors: 0, kvs: UInt64.max).bytes + [UInt8](repeating: 0, count: 130)
        #expect(message(kvs) == "m.gguf: metadata_kv_count: is 18446744073709551615, more than the 10 the rest of the file could hold")
        var array = GGUFBuilder.start(tensors: 0, kvs: 1)
        array.string("tokens")
        array.u32(9)
        array.u32(8)
        array.u64(1 << 40)
        array.bytes += [UInt8](repeating: 0, count: 64)
        #expect(message(array.bytes) == "m.gguf: metadata 'tokens' length: is 1099511627776, more than the 8 the rest of the file could hold")
    }

    @Test func stringsClaiming2To64Bytes() {
        var key = GGUFBuilder.start(tensors: 0, kvs: 1)
        key.u64(UInt64.max)
        key.bytes += [UInt8](repeating: 0, count: 8)
        #expect(message(key.bytes) == "m.gguf: metadata key #0: is 18446744073709551615, more than the 65535 allowed")
        var value = GGUFBuilder.start(tensors: 0, kvs: 1)
        value.string("general.name")
        value.u32(8)
        value.u64(UInt64.max)
        value.bytes += Array("short".utf8)
        #expect(message(value.bytes) == "m.gguf: metadata 'general.name': needs 18446744073709551615 bytes but only 5 remain (the file is truncated or the field is wrong)")
    }

    @Test func anOversizedHeader() {
        // A string of 100 MiB in a file said to be 200 MiB long: refused before it is read.
        var b = GGUFBuilder.start(tensors: 0, kvs: 1)
        b.string("general.description")
        b.u32(8)
        b.u64(100 << 20)
        #expect(message(b.bytes, fileSize: 200 << 20) == "m.gguf: metadata 'general.description': is \(UInt64(b.bytes.count) + (100 << 20)), more than the 67108864 allowed")
    }

    @Test func duplicateKeysAndTensorNames() {
        var keys = GGUFBuilder.start(tensors: 0, kvs: 2)
        keys.kvU32("a.b", 1)
        keys.kvU32("a.b", 2)
        #expect(message(keys.bytes) == "m.gguf: metadata key 'a.b': appears more than once")
        var names = GGUFBuilder.start(tensors: 2, kvs: 0)
        names.tensor("t", dims: [4], offset: 0)
        names.tensor("t", dims: [4], offset: 32)
        names.data(64)
        #expect(message(names.bytes) == "m.gguf: tensor 't': appears more than once")
    }

    @Test func overlappingAndOutOfFileTensors() {
        var overlap = GGUFBuilder.start(tensors: 2, kvs: 0)
        overlap.tensor("a", dims: [16], offset: 0)
        overlap.tensor("b", dims: [8], offset: 32)
        overlap.data(64)
        #expect(message(overlap.bytes) == "m.gguf: tensor 'b' offset: overlaps tensor 'a'")
        var outside = GGUFBuilder.start(tensors: 1, kvs: 0)
        outside.tensor("a", dims: [16], offset: 0)
        outside.data(60)
        let size = outside.bytes.count
        #expect(message(outside.bytes) == "m.gguf: tensor 'a' offset: ends at byte \(size + 4), past the end at \(size)")
        var far = GGUFBuilder.start(tensors: 1, kvs: 0)
        far.tensor("a", dims: [1], offset: UInt64.max - 31)
        far.data(4)
        #expect(message(far.bytes) == "m.gguf: tensor 'a' offset: overflows 64 bits when sizes or offsets are computed from it")
    }

    @Test func dimensionsThatOverflowOrBreakBlocks() {
        var big = GGUFBuilder.start(tensors: 1, kvs: 0)
        big.tensor("a", dims: [1 << 40, 1 << 40], offset: 0)
        big.data(4)
        #expect(message(big.bytes) == "m.gguf: tensor 'a' dimensions: overflows 64 bits when sizes or offsets are computed from it")
        var sign = GGUFBuilder.start(tensors: 1, kvs: 0)
        sign.tensor("a", dims: [1 << 63], offset: 0)
        #expect(message(sign.bytes) == "m.gguf: tensor 'a' dimensions[0]: overflows 64 bits when sizes or offsets are computed from it")
        var rank = GGUFBuilder.start(tensors: 1, kvs: 0)
        rank.tensor("a", dims: [1, 1, 1, 1, 1], offset: 0)
        #expect(message(rank.bytes) == "m.gguf: tensor 'a' n_dimensions: is 5, more than the 4 allowed")
        var block = GGUFBuilder.start(tensors: 1, kvs: 0)
        block.tensor("a", dims: [33, 2], type: 8, offset: 0)
        block.data(80)
        #expect(message(block.bytes) == "m.gguf: tensor 'a' dimensions[0]: is 33, not a multiple of the 32-element blocks of Q8_0")
        var removed = GGUFBuilder.start(tensors: 1, kvs: 0)
        removed.tensor("a", dims: [32], type: 4, offset: 0)
        #expect(message(removed.bytes) == "m.gguf: tensor 'a' type: GGML type 4 is removed or unknown; not supported")
        var bytesOverflow = GGUFBuilder.start(tensors: 1, kvs: 0)
        bytesOverflow.tensor("a", dims: [1 << 62], type: 0, offset: 0)
        #expect(message(bytesOverflow.bytes) == "m.gguf: tensor 'a' dimensions: overflows 64 bits when sizes or offsets are computed from it")
    }

    @Test func alignmentAndOffsets() {
        var odd = GGUFBuilder.start(tensors: 0, kvs: 1)
        odd.kvU32("general.alignment", 48)
        #expect(message(odd.bytes) == "m.gguf: metadata 'general.alignment': is 48; must be a power of two")
        var typed = GGUFBuilder.start(tensors: 0, kvs: 1)
        typed.string("general.alignment")
        typed.u32(GGUFValueType.int32.rawValue)
        typed.u32(32)
        #expect(message(typed.bytes) == "m.gguf: metadata 'general.alignment': is int32; must be uint32")
        var misaligned = GGUFBuilder.start(tensors: 1, kvs: 0)
        misaligned.tensor("a", dims: [4], offset: 8)
        misaligned.data(64)
        #expect(message(misaligned.bytes) == "m.gguf: tensor 'a' offset: is 8, not a multiple of the alignment 32")
        var wide = GGUFBuilder.start(tensors: 1, kvs: 1)
        wide.kvU32("general.alignment", 64)
        wide.tensor("a", dims: [4], offset: 0)
        wide.data(16, alignment: 64)
        let header = try? parse(wide.bytes)
        #expect(header?.alignment == 64)
        #expect((header?.dataStart ?? 1) % 64 == 0)
    }

    @Test func malformedValues() {
        var bool = GGUFBuilder.start(tensors: 0, kvs: 1)
        bool.string("a")
        bool.u32(7)
        bool.u8(2)
        #expect(message(bool.bytes) == "m.gguf: metadata 'a': is 2; a bool must be 0 or 1")
        var type = GGUFBuilder.start(tensors: 0, kvs: 1)
        type.string("a")
        type.u32(13)
        #expect(message(type.bytes) == "m.gguf: metadata 'a' type: is 13, not a GGUF value type")
        var utf8 = GGUFBuilder.start(tensors: 0, kvs: 1)
        utf8.string([0x61, 0xff])
        utf8.bytes += [UInt8](repeating: 0, count: 8)
        #expect(message(utf8.bytes) == "m.gguf: metadata key #0: is not valid UTF-8")
        var long = GGUFBuilder.start(tensors: 1, kvs: 0)
        long.tensor(String(repeating: "n", count: 65), dims: [1], offset: 0)
        #expect(message(long.bytes) == "m.gguf: tensor info #0 name: is 65, more than the 64 allowed")
        var deep = GGUFBuilder.start(tensors: 0, kvs: 1)
        deep.string("deep")
        deep.u32(9)
        for _ in 0..<9 {
            deep.u32(9)
            deep.u64(1)
        }
        deep.u32(0)
        deep.u64(0)
        #expect(message(deep.bytes) == "m.gguf: metadata 'deep'[0][0][0][0][0][0][0][0]: is 9, more than the 8 allowed")
    }

    @Test func everyTruncationOfAValidHeaderIsAnErrorNotACrash() throws {
        var b = GGUFBuilder.start(tensors: 2, kvs: 3)
        b.kvString("general.architecture", "llama")
        b.kvU32("llama.attention.head_count", 4)
        b.string("tokens")
        b.u32(9)
        b.u32(8)
        b.u64(3)
        for token in ["a", "bc", "<0x0A>"] { b.string(token) }
        b.tensor("x", dims: [32, 2], type: 8, offset: 0)
        b.tensor("y", dims: [4], offset: 96)
        b.data(96 + 16)
        let full = b.bytes
        #expect(try parse(full).tensors.count == 2)
        var reasons = Set<String>()
        for length in 0..<full.count {
            let prefix = Array(full.prefix(length))
            guard let error = tensorError({ () throws(TensorFileError) in try parse(prefix) }) else {
                Issue.record("a prefix of \(length) bytes parsed")
                continue
            }
            #expect(error.file == "m.gguf")
            reasons.insert(String(describing: error.reason).prefix(while: { $0 != "(" }).description)
        }
        #expect(reasons.isSubset(of: ["truncated", "outOfFile", "impossibleCount"]), "\(reasons)")
    }
}
