import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

/// Inputs shaped to exhaust, confuse or deceive: each must fail fast, say what is wrong, and
/// never be reported as fine.
@Suite struct HostileInputs {
    @Test func aHugeIgnorePatternFromAStrangerIsNotEvaluated() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        try work.keygen("stranger")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        var statement = try work.statement("model/pedigree.json")
        var predicate = statement["predicate"] as! [String: Any]
        var serialization = predicate["serialization"] as! [String: Any]
        serialization["ignore_paths"] = [String(repeating: "*", count: 200_000) + "x"]
        predicate["serialization"] = serialization
        statement["predicate"] = predicate
        // Signed by a key the verifier does not trust: its patterns are not used at all.
        try work.forge(statement, key: "stranger.key", to: "model/pedigree.json")
        let untrusted = try work.run(["verify", "model", "--trusted-key", "signer.pub"], timeout: 30)
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("no signature is by a trusted key"))
        // Signed by the trusted key, patterns past the budget are replaced by the defaults.
        try work.forge(statement, key: "signer.key", to: "model/pedigree.json")
        let oversized = try work.run(["verify", "model", "--trusted-key", "signer.pub"], timeout: 30)
        #expect(oversized.status == 1)
        #expect(oversized.stderr.contains("the manifest's ignore_paths exceed 16384 bytes; the defaults were used instead"))
    }

    @Test func manySignaturesAreRefused() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        var object = try JSONSerialization.jsonObject(with: work.read("model/pedigree.json")) as! [String: Any]
        var envelope = object["dsseEnvelope"] as! [String: Any]
        let signatures = envelope["signatures"] as! [[String: Any]]
        envelope["signatures"] = Array(repeating: signatures[0], count: 65)
        object["dsseEnvelope"] = envelope
        try work.folder.write("model/pedigree.json", try JSONSerialization.data(withJSONObject: object))
        let result = try work.run(["verify", "model", "--trusted-key", "signer.pub"], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: model/pedigree.json: dsseEnvelope.signatures holds 65 signatures; at most 64 are read\n")
    }

    @Test func linkedFoldersReachedTwiceAreIncludedOnce() throws {
        let work = try Workspace()
        // 24 levels, each holding two links to the next: 2^24 paths if every link were walked.
        for level in 0..<24 { try work.folder.makeFolder("m/d\(level)") }
        try work.folder.write("m/d23/leaf.bin", "leaf")
        for level in 0..<23 {
            #expect(symlink("../d\(level + 1)", work.folder.url("m/d\(level)/a")) == 0)
            #expect(symlink("../d\(level + 1)", work.folder.url("m/d\(level)/b")) == 0)
        }
        try work.keygen("signer")
        let result = try work.run(["sign", "m", "--key", "signer.key", "--follow-symlinks"], timeout: 60)
        #expect(result.status == 65)
        #expect(result.stderr.contains("is a symbolic link to a folder already included through another link; refused"))
        #expect(!work.exists("m/pedigree.json"))
    }

    @Test func aLinkToATwinFolderInAnotherUnicodeFormEscapes() throws {
        let work = try Workspace()
        let nfc = "caf\u{E9}"
        let nfd = "cafe\u{301}"
        try work.folder.write("\(nfc)/config.json", "{}")
        try work.folder.write("\(nfd)/secret", "secret")
        #expect(symlink("../\(nfd)/secret", work.folder.url("\(nfc)/leak")) == 0)
        try work.keygen("signer")
        let result = try work.run(["sign", nfc, "--key", "signer.key", "--follow-symlinks"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("leak: is a symbolic link to '../\(nfd)/secret', outside the folder; refused"))
    }

    @Test func canonicallyEquivalentNamesAreTwoFiles() throws {
        let work = try Workspace()
        let nfc = "caf\u{E9}.txt"
        let nfd = "cafe\u{301}.txt"
        try work.folder.write("m/\(nfc)", "composed")
        try work.keygen("signer")
        #expect(try work.run(["sign", "m", "--key", "signer.key"]).status == 0)
        try work.folder.write("m/\(nfd)", "decomposed")
        let added = try work.run(["verify", "m", "--trusted-key", "signer.pub"])
        #expect(added.status == 1)
        #expect(added.stdout.contains("\(nfc): OK\n"))
        #expect(added.stdout.contains("\(nfd): UNEXPECTED\n"))
        try FileManager.default.removeItem(atPath: work.folder.url("m/\(nfc)"))
        let swapped = try work.run(["verify", "m", "--trusted-key", "signer.pub"])
        #expect(swapped.status == 1)
        #expect(swapped.stdout.contains("\(nfc): MISSING\n"))
        #expect(swapped.stdout.contains("\(nfd): UNEXPECTED\n"))
    }

    @Test func controlCharactersInNamesReachNoTerminal() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--name", "evil\u{1B}]0;pwned\u{07}\u{1B}[8m"]).status == 0)
        #expect(symlink("/nonexistent\u{1B}[8m", work.folder.url("model/evil\u{1B}[2J")) == 0)
        let result = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(result.status == 1)
        #expect(!result.stdout.contains("\u{1B}"))
        #expect(!result.stderr.contains("\u{1B}"))
        #expect(result.stdout.contains("manifest model/pedigree.json: evil\\x1b]0;pwned\\x07\\x1b[8m (pedigree)"))
        #expect(result.stdout.contains("evil\\x1b[2J: UNEXPECTED (is a symbolic link; not followed (use --follow-symlinks))"))
        let lineage = try work.run(["lineage", "model"])
        #expect(!lineage.stdout.contains("\u{1B}"))
        let check = try work.run(["check", "model"])
        #expect(!check.stdout.contains("\u{1B}"))
    }

    @Test func outputFilesFollowTheUmask() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        let result = try shell("umask 077 && '\(pedigreeExecutable)' sign model --key signer.key", currentDirectory: work.path)
        #expect(result.status == 0, "\(result)")
        var st = stat()
        #expect(stat(work.folder.url("model/pedigree.json"), &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
    }
}

@Suite struct CheckWithABrokenChain {
    @Test func strippedAncestorsFailTheCheck() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        try work.derive("child", key: "child", name: "acme/child", [
            "--parent", "base", "--relation", "finetune", "--method", "m", "--drop-notice", "Copyright 2026: not ours",
        ])
        #expect(try work.run(["check", "child"]).status == 1)
        // Remove the (unsigned) ancestors: the dropped notice and the missing parent still fail.
        var object = try JSONSerialization.jsonObject(with: work.read("child/pedigree.json")) as! [String: Any]
        object.removeValue(forKey: "ancestors")
        try work.folder.write("child/pedigree.json", try JSONSerialization.data(withJSONObject: object))
        let check = try work.run(["check", "child"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("FAIL      chain the ancestors' manifests: 0 embedded ancestors"))
        #expect(check.stdout.contains("is not among the embedded ancestors"))
        #expect(check.stdout.contains("          - dropped: \"tiny-model Copyright 2026 Example Labs.\" (copyright, from acme/base); reason given: not ours\n"))
    }

    @Test func aNoticeFileRemovedAfterSigningFailsFourD() throws {
        let work = try Workspace()
        try work.apacheBaseAndChild()
        try FileManager.default.removeItem(atPath: work.folder.url("child/NOTICE"))
        let check = try work.run(["check", "child"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("FAIL      Apache-2.0 §4(d) the NOTICE file"))
        #expect(check.stdout.contains("          - NOTICE is listed in the manifest but cannot be read from the folder\n"))
    }

    @Test func aFileNamedOnlyInsideAnotherNameIsNotCovered() {
        #expect(mentions("- `ema_model.safetensors` (modified): x", "model.safetensors") == false)
        #expect(mentions("- `model.safetensors` (modified): x", "model.safetensors"))
        #expect(mentions("modified model.safetensors.", "model.safetensors"))
        #expect(mentions("see model.safetensors.bak", "model.safetensors") == false)
    }
}

@Suite struct NoticesWriteAllOrNothing {
    @Test func aFailedWriteLeavesTheOldNoticeInPlace() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        // MODIFICATIONS.md cannot be written: a folder holds its name.
        try work.folder.makeFolder("child/MODIFICATIONS.md/inside")
        let before = try work.read("child/NOTICE")
        let result = try work.run(["notices", "child", "--force", "--parent", "base", "--relation", "finetune",
                                   "--method", "m", "--attribution", "New notice."])
        #expect(result.status == 73)
        #expect(result.stderr.contains("child/MODIFICATIONS.md: Is a directory"))
        #expect(try work.read("child/NOTICE") == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work.folder.url("child"))
            .filter { $0.contains(".tmp-") || $0.contains(".old-") }
        #expect(leftovers.isEmpty)
    }
}
