import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// `verify` reads a large folder a batch of files at a time: the verdicts, findings and bytes
/// read are the same whatever the batch size, down to one file per batch.
@Suite struct VerifyInBatches {
    /// A signed folder, then changed: one file edited in place (same size), one grown, one
    /// replaced by a Git LFS pointer to its signed content, one deleted, one added.
    private func changedFolder() throws -> (folder: TemporaryFolder, manifest: String, key: TrustedKey) {
        let folder = try TemporaryFolder()
        let names = ["a.txt", "b/c.txt", "b/d.bin", "b-e.txt", "f.bin", "g/h/i.txt", "j.txt", "weights.bin"]
        for (index, name) in names.enumerated() { try folder.write("model/" + name, "content \(index) of \(name)\n") }
        let key = try PrivateKey.generate(.ed25519)
        let signer = ModelSigner()
        let predicate = try signer.describe(SignRequest(folder: folder.url("model"), createdAt: "2026-01-01T00:00:00Z"))
        let manifest = try folder.write("pedigree.json", Data(try signer.sign(predicate, key: key).bundle.encoded()))
        let weights = try Data(contentsOf: URL(fileURLWithPath: folder.url("model/weights.bin")))
        try folder.write("model/a.txt", "CONTENT 0 of a.txt\n")
        try folder.write("model/b/d.bin", "content 2 of b/d.bin, and more\n")
        try folder.write("model/weights.bin",
                         "version https://git-lfs.github.com/spec/v1\noid sha256:\(SHA256.hash([UInt8](weights)).hex)\nsize \(weights.count)\n")
        try FileManager.default.removeItem(atPath: folder.url("model/f.bin"))
        try folder.write("model/b/new.txt", "unsigned\n")
        return (folder, manifest, TrustedKey(key: try key.publicKey, label: "k.pub"))
    }

    @Test func everyBatchSizeGivesTheSameReport() throws {
        let (folder, manifest, key) = try changedFolder()
        var verifier = ManifestVerifier(keys: [key])
        #expect(verifier.hashBatch == ManifestVerifier.defaultHashBatch)
        let whole = ByteCounter()
        let reference = verifier.verify(folder: folder.url("model"), manifestPath: manifest, progress: whole)
        #expect(reference.files.map(\.name)
            == ["a.txt", "b/c.txt", "b/d.bin", "b-e.txt", "f.bin", "g/h/i.txt", "j.txt", "weights.bin", "b/new.txt"])
        #expect(reference.files.map(\.status) == [.modified, .ok, .modified, .ok, .missing, .ok, .ok, .lfsPointer, .unexpected])
        #expect(reference.files[7].lfsPointer?.matchesExpected == true)
        #expect(reference.files[0].actual != nil && reference.files[2].actual == nil)
        #expect(reference.problems.isEmpty && reference.signatures.isTrusted)
        // The grown file is MODIFIED by its size and never read; the pointer neither (another size).
        let read = ["a.txt", "b/c.txt", "b-e.txt", "g/h/i.txt", "j.txt"].map { name in
            (try? FileManager.default.attributesOfItem(atPath: folder.url("model/" + name))[.size] as? Int).flatMap { $0 } ?? -1
        }
        #expect(whole.total == Int64(read.reduce(0, +)))
        #expect(whole.expected == whole.total)
        for size in [1, 2, 3, 5] {
            verifier.hashBatch = size
            let counter = ByteCounter()
            let report = verifier.verify(folder: folder.url("model"), manifestPath: manifest, progress: counter)
            #expect(report.files == reference.files, "batches of \(size)")
            #expect(report.problems == reference.problems)
            #expect(counter.total == whole.total && counter.expected == whole.expected, "batches of \(size)")
        }
    }

    @Test func onlyAndIgnoreUnsignedFilesHoldAcrossBatches() throws {
        let (folder, manifest, key) = try changedFolder()
        var verifier = ManifestVerifier(keys: [key], only: [Glob("b/*")], ignoreUnsignedFiles: true)
        verifier.hashBatch = 1
        let report = verifier.verify(folder: folder.url("model"), manifestPath: manifest)
        #expect(report.files.map(\.name) == ["b/c.txt", "b/d.bin"])
        #expect(report.files.map(\.status) == [.ok, .modified])
        #expect(report.unsignedIgnored == 1)
    }
}

/// The walk's files are found by name, byte for byte, in the walk's own order or any other.
@Suite struct WalkLookupFinding {
    private func files(_ names: [String]) -> [(name: String, job: HashJob)] {
        names.map { ($0, HashJob(displayPath: $0, source: .path($0, followLinks: false), sizeHint: 0)) }
    }

    @Test func findsNamesInOrderAndOutOfOrder() {
        let names = ["a", "a/b", "a/c", "a-b", "b", "c/d/e"]
        #expect(names.indices.dropFirst().allSatisfy { RelativePath.precedes(names[$0 - 1], names[$0]) })
        var inOrder = WalkLookup(files(names))
        #expect(names.map { inOrder.find($0) } == Array(names.indices))
        var lookup = WalkLookup(files(names))
        #expect(lookup.find("a/c") == 2)
        #expect(lookup.find("a/b") == 1)  // behind the cursor
        #expect(lookup.find("a/bb") == nil)
        #expect(lookup.find("a-b") == 3)
        #expect(lookup.find("zz") == nil)
        #expect(lookup.find("") == nil)
        #expect(lookup.find("a") == 0)
        #expect(lookup.find("c/d/e") == 5)
        var empty = WalkLookup(files([]))
        #expect(empty.find("a") == nil)
    }

    @Test func aWalkInAnotherOrderIsLookedUpThroughASortedIndex() {
        let names = ["b", "a-b", "a/c", "a", "c/d/e", "a/b"]
        var lookup = WalkLookup(files(names))
        for (index, name) in names.enumerated() { #expect(lookup.find(name) == index) }
        #expect(lookup.find("a/a") == nil)
        #expect(lookup.find("b") == 0)
    }

    @Test func namesAreComparedByTheirBytes() {
        // "é" precomposed and decomposed: equal as Swift strings, two files on disk.
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        let names = [composed, decomposed].sorted { RelativePath.precedes($0, $1) }
        var lookup = WalkLookup(files(names))
        #expect(lookup.find(names[1]) == 1)
        #expect(lookup.find(names[0]) == 0)
        var onlyOne = WalkLookup(files([composed]))
        #expect(onlyOne.find(decomposed) == nil)
        #expect(onlyOne.find(composed) == 0)
    }
}
