import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

@Suite("Comparing two models")
struct ModelComparisonTests {
    @Test func aManifestAgainstAFolder() throws {
        let model = try SignedFolder(files: ["a.bin": "a", "b.bin": "b", "c.bin": "c"])
        try model.copy(to: "copy", changes: ["a.bin": "A", "d.bin": "c"])
        try FileManager.default.removeItem(atPath: model.root.url("copy/c.bin"))
        let comparison = try ModelComparer().compare(old: model.root.url("base/pedigree.json"), new: model.root.url("copy"))
        #expect(comparison.old.kind == .manifest)
        #expect(comparison.old.model == "acme/base")
        #expect(comparison.new.kind == .folder)
        #expect(comparison.changes.modified == ["a.bin"])
        #expect(comparison.changes.renamed == [Rename(from: "c.bin", to: "d.bin")])
        #expect(comparison.changes.unchanged == ["b.bin"])
        #expect(comparison.differ)
        let same = try ModelComparer().compare(old: model.base, new: model.root.url("base/pedigree.json"))
        #expect(!same.differ)
    }

    @Test func sidesThatCannotBeRead() throws {
        let model = try SignedFolder(files: ["a.bin": "a"])
        let missing = model.root.url("missing")
        #expect(throws: ComparisonError.missing(missing)) {
            try ModelComparer().compare(old: missing, new: model.base)
        }
        try model.root.write("junk.json", "{}")
        let error = #expect(throws: ComparisonError.self) { try ModelComparer().compare(old: model.root.url("junk.json"), new: model.base) }
        #expect(error?.exitStatus == .dataError)
        #expect(ComparisonError.missing("x").exitStatus == .noInput)
    }
}

@Suite("What a manifest says")
struct ManifestSummaryTests {
    @Test func aDerivativeWithNoticesAndSigners() throws {
        let model = try SignedFolder(
            files: ["model.safetensors": "w", "config.json": "{}", "LICENSE": "MIT License"],
            notices: [Notice(kind: .copyright, text: "Copyright 2024 Acme")])
        try model.copy(to: "child", changes: ["model.safetensors": "w2"])
        let derivation = DerivationRequest(
            parents: [ParentSource(path: model.base)], relation: .finetune, derivation: Derivation(method: "LoRA"),
            trustedKeys: [model.trusted])
        let child = try model.sign("child", name: "acme/child", derivation: derivation)
        let summary = try ManifestSummary.load(model.root.url("child"), keys: [model.trusted])
        #expect(summary.model == "acme/child")
        #expect(summary.manifestPath == model.root.url("child/pedigree.json"))
        #expect(summary.manifestDigest == child.manifestDigest.hex)
        #expect(summary.parents.map(\.reference.name) == ["acme/base"])
        #expect(summary.parents.allSatisfy { $0.embedded })
        #expect(summary.derivation?.method == "LoRA")
        #expect(summary.ancestors.map(\.depth) == [1])
        #expect(summary.notices?.retained.map(\.text) == ["Copyright 2024 Acme"])
        #expect(summary.signers.map(\.status) == [.trusted])
        #expect(summary.signers[0].keyid.count == 64)
        #expect(summary.filesByRole.map(\.role) == [.weights, .config, .license])
        #expect(summary.problems == [])
        let unverified = try ManifestSummary.load(model.root.url("child/pedigree.json"))
        #expect(unverified.signers.map(\.status) == [nil])
    }

    @Test func aManifestThatCannotBeRead() throws {
        let folder = try TemporaryFolder()
        #expect(throws: ManifestError.self) { try ManifestSummary.load(folder.url("none.json")) }
    }
}
