import Foundation
import PedigreeKit
import Testing
import TestSupport

/// What users download: a Hugging Face cache snapshot, a `--local-dir` copy, a clone holding
/// Git LFS pointers (issue 8 item 2).
@Suite struct HubDownloadTests {
    /// Lays `model` out as `huggingface_hub` caches a download of `acme/tiny` at one revision
    /// (its cache docs and `file_download.py`): `models--acme--tiny/blobs/` holds each file
    /// once, named by its sha256 when Git LFS stores it (`*.safetensors` here, as the Hub's
    /// default `.gitattributes` does) and by its git blob sha1 otherwise; `refs/main` holds the
    /// revision; `snapshots/<revision>/` holds relative links into `../../blobs/`.
    /// Returns the snapshot's path relative to the workspace.
    @discardableResult
    func hubCache(_ work: Workspace, from model: String, cache: String = "hub") throws -> String {
        let repository = "\(cache)/models--acme--tiny"
        let revision = "0123456789abcdef0123456789abcdef01234567"
        try work.folder.makeFolder("\(repository)/blobs")
        try work.folder.write("\(repository)/refs/main", revision)
        let snapshot = "\(repository)/snapshots/\(revision)"
        let files = try FileManager.default.subpathsOfDirectory(atPath: work.folder.url(model)).sorted()
        for file in files {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: work.folder.url("\(model)/\(file)"), isDirectory: &isFolder)
            if isFolder.boolValue { continue }
            let source = work.folder.url("\(model)/\(file)")
            let blob: String
            if file.hasSuffix(".safetensors") {
                blob = try systemSHA256(source)
            } else {
                let hashed = try shell("git hash-object '\(source)'")
                blob = hashed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(blob.count == 40, "\(hashed)")
            }
            try shell("cp '\(source)' '\(work.folder.url("\(repository)/blobs/\(blob)"))'")
            let depth = file.split(separator: "/").count
            let up = String(repeating: "../", count: depth + 1)
            let parent = (file as NSString).deletingLastPathComponent
            try work.folder.makeFolder(parent.isEmpty ? snapshot : "\(snapshot)/\(parent)")
            #expect(symlink("\(up)blobs/\(blob)", work.folder.url("\(snapshot)/\(file)")) == 0)
        }
        return snapshot
    }

    @Test func aSnapshotVerifiesAManifestSignedFromAPlainFolderWithNoFlags() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/tokenizer/vocab.txt", "a\nb\n")
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--name", "acme/tiny"]).status == 0)
        // The publisher uploads pedigree.json beside the weights; the download holds it too.
        let snapshot = try hubCache(work, from: "model")
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: work.folder.url("\(snapshot)/tokenizer/vocab.txt"))
        #expect(target.hasPrefix("../../../blobs/"))

        let verified = try work.run(["verify", snapshot, "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("links: a Hugging Face cache snapshot; links into its blobs/ followed\n"))
        #expect(verified.stdout.contains("model.safetensors: OK\n"))
        #expect(verified.stdout.contains("tokenizer/vocab.txt: OK\n"))
        #expect(verified.stdout.hasSuffix("verified: 8 files OK, signed by a trusted key\n"))

        let json = try work.run(["verify", snapshot, "--trusted-key", "signer.pub", "--json"])
        #expect(json.status == 0)
        try work.folder.write("verify.json", json.stdout)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(report["links"] as? String == "hub-cache")
        let schema = try TestTools.validate("validate-report.py", [work.folder.url("verify.json")])
        #expect(schema.status == 0 && schema.stdout.isEmpty, "\(schema)")

        // A changed blob is named by its path in the snapshot.
        let blob = try systemSHA256(work.folder.url("model/model.safetensors"))
        let blobPath = work.folder.url("hub/models--acme--tiny/blobs/\(blob)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: blobPath))
        bytes[100] ^= 1
        try bytes.write(to: URL(fileURLWithPath: blobPath))
        let changed = try work.run(["verify", snapshot, "--trusted-key", "signer.pub"])
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("model.safetensors: MODIFIED\n"))
        #expect(changed.stdout.hasSuffix("FAILED: 1 modified (8 files)\n"))
    }

    @Test func aLinkLeavingTheRepositoryIsStillRefusedWithoutFollowSymlinks() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        let snapshot = try hubCache(work, from: "model")
        // config.json now leads out of the repository, to a file that has the signed content.
        try shell("cp '\(work.folder.url("model/config.json"))' '\(work.folder.url("elsewhere.json"))'")
        try FileManager.default.removeItem(atPath: work.folder.url("\(snapshot)/config.json"))
        #expect(symlink("../../../../elsewhere.json", work.folder.url("\(snapshot)/config.json")) == 0)
        let refused = try work.run(["verify", snapshot, "--trusted-key", "signer.pub"])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains(
            "config.json: UNREADABLE (is a symbolic link to '../../../../elsewhere.json', outside the folder; refused)\n"))
        #expect(refused.stdout.hasSuffix("FAILED: 1 unreadable (7 files)\n"))
        // A link inside the snapshot but not into blobs/ is one --follow-symlinks follows.
        try FileManager.default.removeItem(atPath: work.folder.url("\(snapshot)/config.json"))
        try shell("cp '\(work.folder.url("model/config.json"))' '\(work.folder.url("\(snapshot)/config.copy"))'")
        #expect(symlink("config.copy", work.folder.url("\(snapshot)/config.json")) == 0)
        let inside = try work.run(["verify", snapshot, "--trusted-key", "signer.pub"])
        #expect(inside.status == 1)
        #expect(inside.stdout.contains("config.json: UNREADABLE (is a symbolic link; not followed (use --follow-symlinks))\n"))
        let followed = try work.run(["verify", snapshot, "--trusted-key", "signer.pub", "--follow-symlinks"])
        #expect(followed.stdout.contains("config.json: OK\n"))
        #expect(followed.stdout.contains("config.copy: UNEXPECTED\n"))
    }

    @Test func aManifestSignedFromASnapshotVerifiesALocalDirCopy() throws {
        let work = try Workspace()
        try work.exampleModel()
        let snapshot = try hubCache(work, from: "model")
        try work.keygen("signer")
        let signed = try work.run(["sign", snapshot, "--key", "signer.key", "--name", "acme/tiny", "-o", "tiny.json"])
        #expect(signed.status == 0, "\(signed)")
        let resources = (try work.statement("tiny.json")["predicate"] as! [String: Any])["resources"] as! [[String: Any]]
        #expect(resources.first { $0["name"] as? String == "model.safetensors" }?["digest"] as? String
            == (try systemSHA256(work.folder.url("model/model.safetensors"))))
        // `hf download --local-dir` writes real files and its own metadata under .cache/huggingface/.
        try shell("cp -RL '\(work.folder.url(snapshot))' '\(work.folder.url("local"))'")
        try work.folder.write("local/.cache/huggingface/download/model.safetensors.metadata", "0123\nabc\n1700000000.0\n")
        let verified = try work.run(["verify", "local", "--manifest", "tiny.json", "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(!verified.stdout.contains("links:"))
        #expect(verified.stdout.hasSuffix("verified: 7 files OK, signed by a trusted key\n"))
    }

    @Test func aGitLFSPointerIsNamedForWhatItIs() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        let digest = try systemSHA256(work.folder.url("model/model.safetensors"))
        let size = try FileManager.default.attributesOfItem(atPath: work.folder.url("model/model.safetensors"))[.size] as! Int
        try shell("cp -R '\(work.folder.url("model"))' '\(work.folder.url("clone"))'")
        let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:\(digest)\nsize \(size)\n"
        try work.folder.write("clone/model.safetensors", pointer)
        let notPulled = try work.run(["verify", "clone", "--trusted-key", "signer.pub"])
        #expect(notPulled.status == 1)
        #expect(notPulled.stdout.contains("model.safetensors: LFS_POINTER (LFS pointer, content not downloaded — run git lfs pull)\n"))
        #expect(notPulled.stdout.hasSuffix("FAILED: 1 Git LFS pointer (7 files)\n"))

        let json = try work.run(["verify", "clone", "--trusted-key", "signer.pub", "--json"])
        #expect(json.status == 1)
        try work.folder.write("pointer.json", json.stdout)
        let schema = try TestTools.validate("validate-report.py", [work.folder.url("pointer.json")])
        #expect(schema.status == 0 && schema.stdout.isEmpty, "\(schema)")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let file = try #require((report["files"] as! [[String: Any]]).first { $0["name"] as? String == "model.safetensors" })
        #expect(file["status"] as? String == "lfs-pointer")
        let found = file["lfsPointer"] as! [String: Any]
        #expect(found["oid"] as? String == digest && found["size"] as? Int == size && found["matchesExpected"] as? Bool == true)
        #expect((report["summary"] as! [String: Int])["lfs-pointer"] == 1)

        let other = String(repeating: "ab", count: 32)
        try work.folder.write("clone/model.safetensors", "version https://git-lfs.github.com/spec/v1\noid sha256:\(other)\nsize 99\n")
        let elsewhere = try work.run(["verify", "clone", "--trusted-key", "signer.pub"])
        #expect(elsewhere.status == 1)
        #expect(elsewhere.stdout.contains(
            "model.safetensors: LFS_POINTER (LFS pointer to other content (sha256:abababababab…, 99 bytes), not the signed file)\n"))
        // Not quite a pointer (a carriage return): a plain MODIFIED.
        try work.folder.write("clone/model.safetensors", pointer.replacingOccurrences(of: "\n", with: "\r\n"))
        let bent = try work.run(["verify", "clone", "--trusted-key", "signer.pub"])
        #expect(bent.stdout.contains("model.safetensors: MODIFIED\n"))
    }
}
