import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

/// A signed model with a large file, ready to be tampered with.
private func signedModel() throws -> Workspace {
    let work = try Workspace()
    try work.exampleModel()
    try work.folder.write("model/big.bin", pseudoRandomBytes(24 << 20, seed: 21))
    try work.keygen("signer")
    let signed = try work.run(["sign", "model", "--key", "signer.key", "--quiet"])
    #expect(signed.status == 0, "\(signed)")
    return work
}

private func verify(_ work: Workspace, _ extra: [String] = []) throws -> ProcessResult {
    try work.run(["verify", "model", "--trusted-key", "signer.pub"] + extra)
}

/// Rewrites the bundle's JSON with `edit`, keeping everything else as it was.
private func editBundle(_ work: Workspace, _ edit: (inout [String: Any]) throws -> Void) throws {
    var object = try JSONSerialization.jsonObject(with: work.read("model/pedigree.json")) as! [String: Any]
    try edit(&object)
    try work.folder.write("model/pedigree.json", try JSONSerialization.data(withJSONObject: object))
}

@Suite struct TamperedFolders {
    @Test func oneByteChangedInALargeFile() throws {
        let work = try signedModel()
        let fd = open(work.folder.url("model/big.bin"), O_WRONLY)
        var byte: UInt8 = 0x5a
        #expect(pwrite(fd, &byte, 1, 17 << 20) == 1)
        close(fd)
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stdout.contains("big.bin: MODIFIED\n"))
        #expect(result.stdout.hasSuffix("FAILED: 1 modified (8 files)\n"))
        #expect(result.stderr == "")
    }

    @Test func aFileRemovedAddedOrRenamed() throws {
        let work = try signedModel()
        try FileManager.default.removeItem(atPath: work.folder.url("model/tokenizer.json"))
        try work.folder.write("model/backdoor.py", "import os")
        try FileManager.default.moveItem(atPath: work.folder.url("model/config.json"), toPath: work.folder.url("model/config2.json"))
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stdout.contains("tokenizer.json: MISSING\n"))
        #expect(result.stdout.contains("config.json: MISSING\n"))
        #expect(result.stdout.contains("backdoor.py: UNEXPECTED\n"))
        #expect(result.stdout.contains("config2.json: UNEXPECTED\n"))
        #expect(result.stdout.hasSuffix("FAILED: 2 missing, 2 unexpected (10 files)\n"))
    }

    @Test func aFileSwappedForALinkOutOfTheFolder() throws {
        let work = try signedModel()
        // The link's target has exactly the signed content: following it would say OK.
        try shell("cp model/config.json outside.json && rm model/config.json && ln -s ../outside.json model/config.json",
                  currentDirectory: work.path)
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stdout.contains("config.json: UNREADABLE (is a symbolic link; not followed (use --follow-symlinks))\n"))
        #expect(!result.stdout.contains("\nconfig.json: OK"))
    }

    @Test func aFolderSwappedForALinkOutOfTheFolder() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/sub/weights.bin", "w")
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        try shell("mv model/sub elsewhere && ln -s ../elsewhere model/sub", currentDirectory: work.path)
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stdout.contains("sub/weights.bin: MISSING\n"))
        #expect(result.stdout.contains("sub: UNEXPECTED (is a symbolic link; not followed (use --follow-symlinks))\n"))
    }

    @Test func aFIFOInTheFolderIsRefusedWithoutBlocking() throws {
        let work = try signedModel()
        try FileManager.default.removeItem(atPath: work.folder.url("model/NOTICE"))
        #expect(mkfifo(work.folder.url("model/NOTICE"), 0o644) == 0)
        #expect(mkfifo(work.folder.url("model/extra.pipe"), 0o644) == 0)
        let result = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("NOTICE: UNREADABLE (is a FIFO; refused, never read)\n"))
        #expect(result.stdout.contains("extra.pipe: UNEXPECTED (is a FIFO; refused, never read)\n"))
    }
}

@Suite struct TamperedManifests {
    @Test func thePayloadEditedWithTheOldSignatureKept() throws {
        let work = try signedModel()
        try editBundle(work) { object in
            var envelope = object["dsseEnvelope"] as! [String: Any]
            let payload = base64Decode(envelope["payload"] as! String)!
            var statement = try JSONSerialization.jsonObject(with: Data(payload)) as! [String: Any]
            var predicate = statement["predicate"] as! [String: Any]
            predicate["model"] = ["name": "someone-else/model"]
            statement["predicate"] = predicate
            envelope["payload"] = base64Encode(Array(try JSONSerialization.data(withJSONObject: statement)))
            object["dsseEnvelope"] = envelope
        }
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stdout.contains("signature 1: INVALID for signer.pub\n"))
        #expect(result.stderr.contains(
            "pedigree: signature 1 does not verify with the trusted key signer.pub it names: the signed payload or the signature was altered\n"))
    }

    @Test func aSignatureByAnotherKey() throws {
        let work = try signedModel()
        try work.keygen("mallory")
        #expect(try work.run(["sign", "model", "--key", "mallory.key", "--force"]).status == 0)
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stdout.contains("signature 1: by an unknown key ("))
        #expect(result.stderr.hasPrefix("pedigree: no signature is by a trusted key (signed by "))
        // The files themselves are intact and reported as such.
        #expect(result.stdout.contains("big.bin: OK\n"))
    }

    @Test func aTruncatedManifest() throws {
        let work = try signedModel()
        let bytes = try work.read("model/pedigree.json")
        try work.folder.write("model/pedigree.json", bytes.prefix(bytes.count / 2))
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("pedigree: model/pedigree.json: not valid JSON ("))
        #expect(result.stdout == "FAILED: 1 problem with the manifest\n")
    }

    @Test func badBase64() throws {
        let work = try signedModel()
        try editBundle(work) { object in
            var envelope = object["dsseEnvelope"] as! [String: Any]
            envelope["payload"] = "!!not base64!!"
            object["dsseEnvelope"] = envelope
        }
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: model/pedigree.json: dsseEnvelope.payload is not valid Base64\n")
    }

    @Test func theWrongPayloadType() throws {
        let work = try signedModel()
        try editBundle(work) { object in
            var envelope = object["dsseEnvelope"] as! [String: Any]
            envelope["payloadType"] = "text/plain"
            object["dsseEnvelope"] = envelope
        }
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: model/pedigree.json: dsseEnvelope.payloadType is 'text/plain', expected 'application/vnd.in-toto+json'\n")
    }

    @Test func missingFieldsAndWrongMediaType() throws {
        let work = try signedModel()
        try editBundle(work) { object in object["mediaType"] = "application/json" }
        let media = try verify(work)
        #expect(media.status == 1)
        #expect(media.stderr.hasPrefix("pedigree: model/pedigree.json: mediaType is 'application/json', expected "))
        try editBundle(work) { object in
            object["mediaType"] = MediaTypes.bundle
            var envelope = object["dsseEnvelope"] as! [String: Any]
            envelope["signatures"] = [["keyid": "x"]]
            object["dsseEnvelope"] = envelope
        }
        let field = try verify(work)
        #expect(field.stderr == "pedigree: model/pedigree.json: dsseEnvelope.signatures[0].sig is missing\n")
        try editBundle(work) { object in
            var envelope = object["dsseEnvelope"] as! [String: Any]
            envelope["signatures"] = []
            object["dsseEnvelope"] = envelope
        }
        let unsigned = try verify(work)
        #expect(unsigned.stderr == "pedigree: model/pedigree.json: dsseEnvelope.signatures is empty: the manifest is not signed\n")
    }

    @Test func theManifestIsAFIFOOrMissing() throws {
        let work = try signedModel()
        try FileManager.default.removeItem(atPath: work.folder.url("model/pedigree.json"))
        let missing = try verify(work)
        #expect(missing.status == 1)
        #expect(missing.stderr == "pedigree: model/pedigree.json: No such file or directory\n"
                + "hint: the folder has neither pedigree.json nor model.sig; name the manifest with --manifest FILE\n")
        #expect(mkfifo(work.folder.url("model/pedigree.json"), 0o644) == 0)
        let fifo = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(fifo.status == 1)
        #expect(fifo.stderr == "pedigree: model/pedigree.json: is a FIFO; refused, never read\n")
    }
}

/// Statements signed by the trusted key itself, so only the checks of their content stand
/// between them and a pass.
@Suite struct HostileManifests {
    private func hostile(_ work: Workspace, resources: [[String: Any]], rootFrom: [(String, String)]? = nil) throws {
        var statement = try work.statement("model/pedigree.json")
        var predicate = statement["predicate"] as! [String: Any]
        predicate["resources"] = resources
        statement["predicate"] = predicate
        let files = (rootFrom ?? resources.map { ($0["name"] as! String, $0["digest"] as! String) })
            .map { (name: $0.0, digest: SHA256Digest(hex: $0.1)!) }
        statement["subject"] = [["name": "model", "digest": ["sha256": RootDigest.compute(files).hex]]]
        try work.forge(statement, key: "signer.key", to: "model/pedigree.json")
    }

    private func resource(_ name: String, digest: String) -> [String: Any] {
        ["name": name, "algorithm": "sha256", "digest": digest, "size": 1, "role": "other"]
    }

    @Test func aNameThatClimbsOutIsRefusedBeforeAnyFileIsRead() throws {
        let work = try signedModel()
        // The file outside has exactly the digest the manifest lists.
        try work.folder.write("secret", "s")
        let digest = try systemSHA256(work.folder.url("secret"))
        try hostile(work, resources: [resource("../secret", digest: digest)])
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: resource 1: name '../secret' leaves the folder ('..')\n")
        #expect(!result.stdout.contains(": OK"))
        #expect(result.stdout.contains("signature 1: trusted"))
        #expect(result.stdout.hasSuffix("FAILED: 1 problem with the manifest\n"))
    }

    @Test func etcPasswdAbsoluteAndBackslashNames() throws {
        let work = try signedModel()
        let digest = String(repeating: "0", count: 64)
        try hostile(work, resources: [
            resource("../../etc/passwd", digest: digest), resource("/etc/passwd", digest: digest),
            resource("a\\b", digest: digest), resource("ok.txt", digest: digest),
        ])
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stderr == """
            pedigree: resource 1: name '../../etc/passwd' leaves the folder ('..')
            pedigree: resource 2: name '/etc/passwd' is an absolute path
            pedigree: resource 3: name 'a\\b' contains a backslash

            """)
    }

    @Test func duplicateEntries() throws {
        let work = try signedModel()
        let digest = try systemSHA256(work.folder.url("model/config.json"))
        try hostile(work, resources: [resource("config.json", digest: digest), resource("config.json", digest: digest)])
        let result = try verify(work)
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: resource 2: name 'config.json' is listed twice\n")
    }

    @Test func aSubjectThatDoesNotMatchTheResources() throws {
        let work = try signedModel()
        let digest = try systemSHA256(work.folder.url("model/config.json"))
        try hostile(work, resources: [resource("config.json", digest: digest)],
                    rootFrom: [("config.json", String(repeating: "1", count: 64))])
        let result = try verify(work, ["--only", "config.json"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("pedigree: the subject digest "))
        #expect(result.stderr.contains("does not match the resources"))
    }

    @Test func aNameThroughALinkedFolderIsNotFollowed() throws {
        let work = try signedModel()
        try work.folder.write("outside/file", "x")
        #expect(symlink(work.folder.url("outside"), work.folder.url("model/inner")) == 0)
        let digest = try systemSHA256(work.folder.url("outside/file"))
        try hostile(work, resources: [resource("inner/file", digest: digest)])
        let result = try verify(work, ["--only", "inner/**"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("inner/file: MISSING\n"))
        #expect(!result.stdout.contains("inner/file: OK"))
    }

    @Test func hostileNamesCannotRewriteTheTerminal() throws {
        let work = try signedModel()
        try hostile(work, resources: [resource("../\u{1B}[2Jx", digest: String(repeating: "0", count: 64))])
        let result = try verify(work)
        #expect(result.stderr == "pedigree: resource 1: name '../\\x1b[2Jx' leaves the folder ('..')\n")
    }

    @Test func unknownPredicateAndStatementType() throws {
        let work = try signedModel()
        var statement = try work.statement("model/pedigree.json")
        statement["predicateType"] = "https://example.com/other/v1"
        try work.forge(statement, key: "signer.key", to: "model/pedigree.json")
        let other = try verify(work)
        #expect(other.stderr.hasPrefix("pedigree: model/pedigree.json: predicateType 'https://example.com/other/v1' is neither "))
        statement["predicateType"] = MediaTypes.pedigreePredicate
        statement["_type"] = "https://in-toto.io/Statement/v0.1"
        try work.forge(statement, key: "signer.key", to: "model/pedigree.json")
        let old = try verify(work)
        #expect(old.stderr == "pedigree: model/pedigree.json: the signed payload is not an in-toto Statement v1: _type is 'https://in-toto.io/Statement/v0.1', expected 'https://in-toto.io/Statement/v1'\n")
    }
}

@Suite struct SigningRefusals {
    @Test func aLinkInTheFolderIsRefusedUnlessFollowedAndItStaysInside() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(symlink("config.json", work.folder.url("model/alias.json")) == 0)
        let refused = try work.run(["sign", "model", "--key", "signer.key"])
        #expect(refused.status == 65)
        #expect(refused.stderr == """
            pedigree: cannot sign, 1 problem in the folder:
              alias.json: is a symbolic link; not followed (use --follow-symlinks)

            """)
        #expect(!work.exists("model/pedigree.json"))
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--follow-symlinks"]).status == 0)
        let verified = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("alias.json: OK\n"))
        // A link that leaves the folder is refused even when following.
        try work.folder.write("outside.txt", "o")
        #expect(symlink("../outside.txt", work.folder.url("model/escape.txt")) == 0)
        let escaping = try work.run(["sign", "model", "--key", "signer.key", "--follow-symlinks", "--force"])
        #expect(escaping.status == 65)
        #expect(escaping.stderr.contains("escape.txt: is a symbolic link to '../outside.txt', outside the folder; refused"))
    }

    @Test func aHuggingFaceCacheSnapshotIsSignedThroughItsBlobLinks() throws {
        let work = try Workspace()
        let repo = "hub/models--acme--tiny"
        try work.folder.write("\(repo)/blobs/aaa", "weights")
        try work.folder.write("\(repo)/blobs/bbb", "{\"a\": 1}")
        try work.folder.makeFolder("\(repo)/snapshots/rev1")
        #expect(symlink("../../blobs/aaa", work.folder.url("\(repo)/snapshots/rev1/model.safetensors")) == 0)
        #expect(symlink("../../blobs/bbb", work.folder.url("\(repo)/snapshots/rev1/config.json")) == 0)
        try work.keygen("signer")
        let snapshot = "\(repo)/snapshots/rev1"
        let signed = try work.run(["sign", snapshot, "--key", "signer.key", "--follow-symlinks", "--name", "acme/tiny", "-o", "tiny.json"])
        #expect(signed.status == 0, "\(signed)")
        let predicate = try work.statement("tiny.json")["predicate"] as! [String: Any]
        let resources = predicate["resources"] as! [[String: Any]]
        #expect(resources.map { $0["name"] as! String } == ["config.json", "model.safetensors"])
        #expect(resources[1]["digest"] as? String == (try systemSHA256(work.folder.url("\(repo)/blobs/aaa"))))
        #expect(try work.run(["verify", snapshot, "--manifest", "tiny.json", "--trusted-key", "signer.pub"]).status == 0)
    }

    @Test func aFIFOOrDeviceInTheFolderIsRefused() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(mkfifo(work.folder.url("model/pipe"), 0o644) == 0)
        let result = try work.run(["sign", "model", "--key", "signer.key"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("  pipe: is a FIFO; refused, never read\n"))
        #expect(!work.exists("model/pedigree.json"))
    }

    @Test func badArgumentsAndInputs() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        let noKey = try work.run(["sign", "model", "--key", "absent.key"])
        #expect(noKey.status == 66)
        #expect(noKey.stderr == "pedigree: absent.key: No such file or directory\n")
        let publicAsPrivate = try work.run(["sign", "model", "--key", "signer.pub"])
        #expect(publicAsPrivate.status == 65)
        #expect(publicAsPrivate.stderr == "pedigree: signer.pub: invalid key: this is a public key; a private key is needed\n")
        let noFolder = try work.run(["sign", "nowhere", "--key", "signer.key"])
        #expect(noFolder.status == 66)
        #expect(noFolder.stderr == "pedigree: nowhere: neither a folder nor a regular file\n")
        try work.folder.makeFolder("empty")
        let empty = try work.run(["sign", "empty", "--key", "signer.key"])
        #expect(empty.status == 65)
        #expect(empty.stderr == "pedigree: empty: no files to sign (all empty or ignored)\n")
        let noTrust = try work.run(["verify", "model"])
        #expect(noTrust.status == 64)
        #expect(noTrust.stderr.contains("give the signer's public key with --trusted-key FILE, or a folder of keys with --trusted-keys DIR"))
        let privateAsPublic = try work.run(["verify", "model", "--trusted-key", "signer.key"])
        #expect(privateAsPublic.status == 65)
        #expect(privateAsPublic.stderr == "pedigree: signer.key: invalid key: this is a private key; give the public key (openssl pkey -pubout)\n")
        let badRole = try work.run(["sign", "model", "--key", "signer.key", "--role", "x=nothing"])
        #expect(badRole.status == 64)
    }
}
