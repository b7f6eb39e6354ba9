import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

/// A safetensors file written by hand: U8 tensors laid out one after another.
private func safetensors(_ tensors: [(String, [UInt8])]) -> Data {
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

@Suite("sign --tensors, show and verify of the tensor table")
struct TensorCommandTests {
    @Test func signRecordsTheTableShowListsItVerifyRedigestsIt() throws {
        let work = try Workspace()
        try work.keygen("signer")
        let a: [UInt8] = Array(0..<100), b: [UInt8] = Array(repeating: 9, count: 3000)
        try work.folder.write("model/w.safetensors", safetensors([("layer.a", a), ("layer.b", b)]))
        try work.folder.write("model/config.json", "{}")
        let signed = try work.run(["sign", "model", "--key", "signer.key", "--tensors", "--json"])
        #expect(signed.status == 0, "\(signed)")
        #expect(try work.reportProblems(signed.stdoutData) == "")
        #expect(signed.stdout.contains(#""tensorCount": 2,"#))
        #expect(try work.schemaProblems(["model/pedigree.json"]) == "")
        let table = try #require((try work.statement("model/pedigree.json")["predicate"] as? [String: Any])?["tensors"] as? [[String: Any]])
        #expect(table.map { $0["name"] as? String } == ["layer.a", "layer.b"])
        #expect(table.map { $0["sha256"] as? String } == [SHA256.hash(a).hex, SHA256.hash(b).hex])
        let ranges = table.compactMap { $0["byteRange"] as? [Int] }
        let fileSize = try work.read("model/w.safetensors").count
        #expect(ranges.count == 2 && ranges[0][1] - ranges[0][0] == 100 && ranges[1][0] == ranges[0][1] && ranges[1][1] == fileSize)

        let show = try work.run(["show", "model"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("tensors         2 tensors in 1 weights file\n  w.safetensors   2 tensors (U8 ×2)\n    layer.a U8 [100] sha256:\(SHA256.hash(a).hex.prefix(12))…\n"))
        let showJSON = try work.run(["show", "model", "--json"])
        #expect(try work.reportProblems(showJSON.stdoutData) == "")

        let verify = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("tensors: 2 tensors re-read from the headers and re-digested\n"))
        let verifyJSON = try work.run(["verify", "model", "--trusted-key", "signer.pub", "--json"])
        #expect(try work.reportProblems(verifyJSON.stdoutData) == "")
        #expect(verifyJSON.stdout.contains("tensorsChecked"))
    }

    @Test func aMalformedHeaderIsRefusedAndNothingIsWritten() throws {
        let work = try Workspace()
        try work.keygen("signer")
        var bytes = safetensors([("a", [1, 2, 3])])
        bytes.replaceSubrange(0..<8, with: [UInt8](repeating: 0xff, count: 8))
        try work.folder.write("model/model.safetensors", bytes)
        let before = try work.read("model/model.safetensors")
        let refused = try work.run(["sign", "model", "--key", "signer.key", "--tensors"])
        #expect(refused.status == 65)
        #expect(refused.stderr == "pedigree: cannot record the tensors of model.safetensors: header length: is 18446744073709551615, "
            + "more than the 100000000 allowed; nothing is signed (without --tensors the file is signed by its digest alone)\n")
        #expect(refused.stdout == "")
        #expect(!work.exists("model/pedigree.json"))
        #expect(try work.read("model/model.safetensors") == before)
        // The default (and --no-tensors) signs the file by its digest.
        let plain = try work.run(["sign", "model", "--key", "signer.key", "--no-tensors"])
        #expect(plain.status == 0, "\(plain)")
    }

    /// Two shards and an index that lies about them, as `sign --tensors` meets it: refused in
    /// the hashing pass with the index check `diff --tensors` applies to a folder.
    @Test(arguments: [
        (#"{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}"#,
         "weight_map 'b': the tensor is in shard 'model-00001-of-00002.safetensors' but the index lists it in 'model-00002-of-00002.safetensors'"),
        (#"{"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors","d":"model-00002-of-00002.safetensors"}"#,
         "weight_map 'd': is not in its shard 'model-00002-of-00002.safetensors'"),
        (#"{"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00003-of-00002.safetensors"}"#,
         "weight_map: names the shard 'model-00003-of-00002.safetensors', which is missing"),
    ])
    func aLyingShardIndexIsRefusedAndNothingIsWritten(weightMap: String, problem: String) throws {
        let work = try Workspace()
        try work.keygen("signer")
        try work.folder.write("model/model-00001-of-00002.safetensors", safetensors([("a", [1, 2]), ("b", [3])]))
        try work.folder.write("model/model-00002-of-00002.safetensors", safetensors([("c", [4])]))
        try work.folder.write("model/model.safetensors.index.json", #"{"metadata":{},"weight_map":"# + weightMap + "}")
        let refused = try work.run(["sign", "model", "--key", "signer.key", "--tensors"])
        #expect(refused.status == 65)
        #expect(refused.stderr == "pedigree: cannot record the tensors of model.safetensors.index.json: \(problem); "
            + "nothing is signed (without --tensors the file is signed by its digest alone)\n")
        #expect(refused.stdout == "")
        #expect(!work.exists("model/pedigree.json"))
        // The same check as a folder's for diff --tensors: one function, one message.
        let diff = try work.run(["diff", "--tensors", "model", "model"])
        #expect(diff.status == 65)
        #expect(diff.stderr == "pedigree: model.safetensors.index.json: \(problem)\n")
        // Signed by their digests alone, the files sign.
        let plain = try work.run(["sign", "model", "--key", "signer.key", "--no-tensors"])
        #expect(plain.status == 0, "\(plain)")
    }

    @Test func anHonestShardIndexSigns() throws {
        let work = try Workspace()
        try work.keygen("signer")
        try work.folder.write("model/model-00001-of-00002.safetensors", safetensors([("a", [1, 2]), ("b", [3])]))
        try work.folder.write("model/model-00002-of-00002.safetensors", safetensors([("c", [4])]))
        try work.folder.write("model/model.safetensors.index.json",
            #"{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}}"#)
        let signed = try work.run(["sign", "model", "--key", "signer.key", "--tensors"])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stdout.contains("  tensors         3 tensors in 2 weights files, each digested\n"))
    }

    @Test func tensorsGoWithNeitherDigestListsNorAppend() throws {
        let work = try Workspace()
        try work.keygen("signer")
        try work.exampleModel()
        let digests = try work.run(["sign", "model", "--key", "signer.key", "--tensors", "--digests", "sums.txt"])
        #expect(digests.status == 64)
        #expect(digests.stderr.contains("--tensors reads the weights files; --digests signs without reading them"))
        let append = try work.run(["sign", "model", "--key", "signer.key", "--tensors", "--append"])
        #expect(append.status == 64)
        #expect(append.stderr.contains("--append countersigns the manifest as it is; it takes no --tensors"))
    }
}
