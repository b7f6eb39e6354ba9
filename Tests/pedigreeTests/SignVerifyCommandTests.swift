import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

@Suite struct SignAndVerify {
    @Test(arguments: ["ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521"])
    func roundTripForEachKeyType(_ algorithm: String) throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer", algorithm)
        let signed = try work.run(["sign", "model", "--key", "signer.key", "--license", "openatom"])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stdout.hasPrefix("signed model: 7 files, "))
        #expect(signed.stdout.hasSuffix("wrote model/pedigree.json\n"))
        let verified = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("signature 1: trusted ("))
        #expect(verified.stdout.contains("model.safetensors: OK\n"))
        #expect(verified.stdout.hasSuffix("verified: 7 files OK, signed by a trusted key\n"))
        #expect(try work.schemaProblems(["model/pedigree.json"]) == "")
    }

    @Test(arguments: [("ed25519", ""), ("ecdsa-p256", "-sha256"), ("ecdsa-p384", "-sha384"), ("ecdsa-p521", "-sha512")])
    func theSignatureVerifiesWithOpensslOverThePAE(_ algorithm: String, _ digest: String) throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer", algorithm)
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        let bundle = try work.bundle("model/pedigree.json")
        let payload = bundle.dsseEnvelope.payload
        // PAE built here from the DSSE specification, independently of the tool.
        var pae = Data("DSSEv1 \(MediaTypes.inToto.utf8.count) \(MediaTypes.inToto) \(payload.count) ".utf8)
        pae.append(contentsOf: payload)
        try work.folder.write("pae.bin", pae)
        try work.folder.write("sig.bin", Data(bundle.dsseEnvelope.signatures[0].sig))
        let command = digest.isEmpty
            ? "openssl pkeyutl -verify -pubin -inkey signer.pub -rawin -in pae.bin -sigfile sig.bin"
            : "openssl dgst \(digest) -verify signer.pub -signature sig.bin pae.bin"
        let result = try shell(command, currentDirectory: work.path)
        #expect(result.status == 0, "\(result)")
        // And the key id is the SHA-256 of the public key's DER.
        let der = try shell("openssl pkey -pubin -in signer.pub -outform DER | sha256sum", currentDirectory: work.path)
        #expect(bundle.dsseEnvelope.signatures[0].keyid == String(der.stdout.prefix(64)))
    }

    @Test func theManifestSaysWhatEachFileIs() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/LICENSE", Reference.standInOpenAtomText)
        try work.folder.write("model/checkpoint-10/optimizer.pt", "o")
        try work.folder.write("model/notes.bin", "n")
        try work.keygen("signer")
        let signed = try work.run([
            "sign", "model", "--key", "signer.key", "--name", "acme/tiny", "--model-version", "1.0",
            "--role", "notes.bin=documentation", "--attribution", "Thanks to the tokenizer authors.",
        ])
        #expect(signed.status == 0, "\(signed)")
        let statement = try work.statement("model/pedigree.json")
        let predicate = statement["predicate"] as! [String: Any]
        let roles = Dictionary(uniqueKeysWithValues: (predicate["resources"] as! [[String: Any]]).map {
            ($0["name"] as! String, $0["role"] as! String)
        })
        #expect(roles == [
            "LICENSE": "license", "NOTICE": "notice", "README.md": "documentation", "config.json": "config",
            "generation_config.json": "config", "model.safetensors": "weights", "tokenizer.json": "tokenizer",
            "tokenizer_config.json": "tokenizer", "checkpoint-10/optimizer.pt": "optimizer-state",
            "notes.bin": "documentation",
        ])
        #expect((predicate["model"] as! [String: String]) == ["name": "acme/tiny", "version": "1.0"])
        let subject = (statement["subject"] as! [[String: Any]])[0]
        #expect(subject["name"] as? String == "acme/tiny")
        // The license was recognised from its text, and its file is recorded with its digest.
        let license = predicate["license"] as! [String: Any]
        #expect(license["id"] as? String == "LicenseRef-OpenAtom-Model-License-1.0")
        let licenseFiles = license["files"] as! [[String: String]]
        #expect(licenseFiles == [["name": "LICENSE", "digest": try systemSHA256(work.folder.url("model/LICENSE"))]])
        let notices = predicate["notices"] as! [String: Any]
        #expect((notices["added"] as! [[String: String]]) == [["kind": "attribution", "text": "Thanks to the tokenizer authors."]])
        // Every resource digest is what sha256sum computes.
        for resource in predicate["resources"] as! [[String: Any]] {
            let name = resource["name"] as! String
            #expect(resource["digest"] as? String == (try systemSHA256(work.folder.url("model/" + name))))
        }
        #expect(try work.schemaProblems(["model/pedigree.json"]) == "")
    }

    @Test func sameInputsGiveAByteIdenticalManifest() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        let environment = ["SOURCE_DATE_EPOCH": "1767225600"]
        #expect(try work.run(["sign", "model", "--key", "signer.key", "-o", "first.json"], environment: environment).status == 0)
        #expect(try work.run(["sign", "model", "--key", "signer.key", "-o", "second.json"], environment: environment).status == 0)
        #expect(try work.read("first.json") == (try work.read("second.json")))
        let predicate = try work.statement("first.json")["predicate"] as! [String: Any]
        #expect(predicate["createdAt"] as? String == "2026-01-01T00:00:00Z")
        let bad = try work.run(["sign", "model", "--key", "signer.key", "-o", "third.json"], environment: ["SOURCE_DATE_EPOCH": "soon"])
        #expect(bad.status == 64)
        #expect(bad.stderr == "pedigree: SOURCE_DATE_EPOCH is 'soon', not a whole number of seconds\n")
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        let before = try work.read("model/pedigree.json")
        let again = try work.run(["sign", "model", "--key", "signer.key"])
        #expect(again.status == 73)
        #expect(again.stderr == "pedigree: model/pedigree.json: already exists; not overwritten (use --force to replace it)\n")
        #expect(try work.read("model/pedigree.json") == before)
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--force"]).status == 0)
        // No temporary file is left beside the manifest.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work.folder.url("model")).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func signsWithKeysMadeByOpenssl() throws {
        let work = try Workspace()
        try work.exampleModel()
        try shell("""
            openssl genpkey -algorithm ed25519 -out ed.key && openssl pkey -in ed.key -pubout -out ed.pub && \
            openssl ecparam -name prime256v1 -genkey -noout -out ec.key && openssl ec -in ec.key -pubout -out ec.pub 2>/dev/null
            """, currentDirectory: work.path)
        #expect(try work.run(["sign", "model", "--key", "ed.key"]).status == 0)
        #expect(try work.run(["sign", "model", "--key", "ec.key", "--append"]).status == 0)
        let verified = try work.run(["verify", "model", "--trusted-key", "ed.pub", "--trusted-key", "ec.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("signature 1: trusted (Ed25519, ed.pub)"))
        #expect(verified.stdout.contains("signature 2: trusted (ECDSA P-256, ec.pub)"))
    }

    @Test func anEncryptedKeyNeedsItsPassphrase() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("pass", "hunter2\n")
        #expect(try work.run(["keygen", "--out", "signer.key", "--password-file", "pass"]).status == 0)
        let missing = try work.run(["sign", "model", "--key", "signer.key"])
        #expect(missing.status == 65)
        #expect(missing.stderr == "pedigree: signer.key: the private key is encrypted and no passphrase was given\n")
        let wrong = try work.run(["sign", "model", "--key", "signer.key"], environment: ["PEDIGREE_PASSWORD": "nope"])
        #expect(wrong.status == 65)
        #expect(wrong.stderr == "pedigree: signer.key: wrong passphrase for the private key\n")
        #expect(!work.exists("model/pedigree.json"))
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--password-file", "pass"]).status == 0)
    }

    @Test func aCountersignatureKeepsThePayload() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("publisher")
        try work.keygen("auditor", "ecdsa-p256")
        #expect(try work.run(["sign", "model", "--key", "publisher.key"]).status == 0)
        let original = try work.bundle("model/pedigree.json")
        let appended = try work.run(["sign", "model", "--key", "auditor.key", "--append"])
        #expect(appended.status == 0, "\(appended)")
        #expect(appended.stdout.hasPrefix("countersigned model: 7 files checked, signature 2 added"))
        let countersigned = try work.bundle("model/pedigree.json")
        #expect(countersigned.dsseEnvelope.payload == original.dsseEnvelope.payload)
        #expect(countersigned.dsseEnvelope.signatures.count == 2)
        #expect(countersigned.dsseEnvelope.signatures[0] == original.dsseEnvelope.signatures[0])
        // Either key alone verifies; with only the auditor's, the publisher's is an unknown key.
        let byAuditor = try work.run(["verify", "model", "--trusted-key", "auditor.pub"])
        #expect(byAuditor.status == 0)
        #expect(byAuditor.stdout.contains("signature 1: by an unknown key ("))
        #expect(byAuditor.stdout.contains("signature 2: trusted (ECDSA P-256, auditor.pub)"))
        // The same key twice is refused.
        let twice = try work.run(["sign", "model", "--key", "auditor.key", "--append"])
        #expect(twice.status == 65)
        #expect(twice.stderr.contains("already signed by this key"))
        // A folder that no longer matches is not countersigned.
        try work.keygen("late")
        try work.folder.write("model/config.json", "{}")
        let stale = try work.run(["sign", "model", "--key", "late.key", "--append"])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("the folder does not match the manifest; not countersigned"))
        #expect(stale.stderr.contains("config.json: MODIFIED"))
        #expect(try work.bundle("model/pedigree.json").dsseEnvelope.signatures.count == 2)
    }

    @Test func ignoredPathsAreLeftOutAndRecorded() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/.git/HEAD", "ref: refs/heads/main")
        try work.folder.write("model/logs/run1.txt", "loss 1.0")
        try work.folder.write("model/.cache/huggingface/download/x.lock", "")
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--ignore", "logs"]).status == 0)
        let predicate = try work.statement("model/pedigree.json")["predicate"] as! [String: Any]
        let names = (predicate["resources"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(!names.contains { $0.hasPrefix(".git") || $0.hasPrefix("logs") || $0.hasPrefix(".cache") })
        #expect(names.count == 7)
        let serialization = predicate["serialization"] as! [String: Any]
        #expect((serialization["ignore_paths"] as! [String]).last == "logs")
        // Ignored files may change without failing verification.
        try work.folder.write("model/logs/run1.txt", "loss 0.5")
        try work.folder.write("model/.git/HEAD", "ref: refs/heads/other")
        #expect(try work.run(["verify", "model", "--trusted-key", "signer.pub"]).status == 0)
    }

    @Test func onlyVerifiesASubsetAndSaysSo() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        // The user downloaded the weights only.
        for name in ["NOTICE", "README.md", "config.json", "tokenizer.json"] {
            try FileManager.default.removeItem(atPath: work.folder.url("model/" + name))
        }
        let subset = try work.run(["verify", "model", "--trusted-key", "signer.pub", "--only", "*.safetensors"])
        #expect(subset.status == 0, "\(subset)")
        #expect(subset.stdout.hasSuffix(
            "verified: 1 file OK matching *.safetensors (of 7 in the manifest), signed by a trusted key\n"))
        let everything = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(everything.status == 1)
        #expect(everything.stdout.hasSuffix("FAILED: 4 missing (7 files)\n"))
        let nothing = try work.run(["verify", "model", "--trusted-key", "signer.pub", "--only", "*.gguf"])
        #expect(nothing.status == 1)
        #expect(nothing.stderr == "pedigree: no file of the manifest or the folder matches --only *.gguf\n")
    }

    @Test func jsonReportNamesEveryFile() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        try work.folder.write("model/extra.txt", "x")
        let result = try work.run(["verify", "model", "--trusted-key", "signer.pub", "--json"])
        #expect(result.status == 1)
        let report = try JSONSerialization.jsonObject(with: result.stdoutData) as! [String: Any]
        #expect(report["ok"] as? Bool == false)
        #expect(report["version"] as? Int == 1)
        #expect(report["command"] as? String == "verify")
        #expect(report["format"] as? String == "pedigree")
        #expect(report["listed"] as? Int == 7)
        let files = report["files"] as! [[String: Any]]
        #expect(files.count == 8)
        #expect(files.last?["name"] as? String == "extra.txt")
        #expect(files.last?["status"] as? String == "unexpected")
        let weights = files.first { $0["name"] as? String == "model.safetensors" }!
        #expect(weights["status"] as? String == "ok")
        #expect(weights["actual"] as? String == (try systemSHA256(work.folder.url("model/model.safetensors"))))
        let signatures = report["signatures"] as! [[String: Any]]
        #expect(signatures[0]["status"] as? String == "trusted")
    }

    @Test func theRootDigestIsModelSigningsAndTheirBundleVerifies() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.folder.write("model/a/b", "1")
        try work.folder.write("model/a-b", "2")
        try work.folder.write("model/a.b", "3")
        try work.keygen("signer", "ecdsa-p256")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        let ours = ((try work.statement("model/pedigree.json")["subject"] as! [[String: Any]])[0]["digest"] as! [String: String])["sha256"]
        let theirs = try run(
            TestTools.modelSigning,
            ["sign", "key", "model", "--private_key", "signer.key", "--signature", "theirs.sig", "--ignore-paths", "model/pedigree.json"],
            currentDirectory: work.path)
        #expect(theirs.status == 0, "\(theirs)")
        let theirDigest = ((try work.statement("theirs.sig")["subject"] as! [[String: Any]])[0]["digest"] as! [String: String])["sha256"]
        #expect(ours == theirDigest)
        let verified = try work.run(["verify", "model", "--manifest", "theirs.sig", "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("(oms)"))
        #expect(verified.stdout.hasSuffix("verified: 10 files OK, signed by a trusted key\n"))
    }
}

@Suite struct ReadmeCommands {
    /// The README's main command runs `Examples/quickstart.sh`; it must sign and verify.
    @Test func theQuickstartSignsAndVerifiesTheExample() throws {
        let result = try run(
            "/bin/bash", [packageRoot + "/Examples/quickstart.sh"], environment: ["PEDIGREE": pedigreeExecutable])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("$ pedigree sign tiny-model --key publisher.key --license openatom\nsigned tiny-model: 7 files, 2.2 KiB\n"))
        #expect(result.stdout.contains("  root digest     839b3b75253b5325c3ba2f0e54ff4adeb38084afcfc8d3ce2229408b129d94b7\n"))
        #expect(result.stdout.hasSuffix("verified: 7 files OK, signed by a trusted key\n\n"))
    }
}

@Suite struct ManifestSchemas {
    @Test func everyKindOfManifestValidates() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("ed")
        try work.keygen("p384", "ecdsa-p384")
        try work.folder.write("notices.txt", "Copyright 2026 Example Labs.\n\nPatent pending.\n")
        try work.folder.write("terms.txt", "Our changes are offered under CC-BY-4.0.\n")
        #expect(symlink("config.json", work.folder.url("model/alias.json")) == 0)
        let signed = try work.run([
            "sign", "model", "--key", "p384.key", "--output", "full.json", "--model-version", "2",
            "--license", "Apache-2.0", "--notice-file", "notices.txt", "--attribution", "Thanks.",
            "--additional-terms-file", "terms.txt", "--distribution", "hosted", "--follow-symlinks",
            "--ignore", "**/*.tmp", "--role", "alias.json=other",
        ])
        #expect(signed.status == 0, "\(signed)")
        #expect(try work.run(["sign", "model", "--key", "ed.key", "--output", "full.json", "--append", "--trusted-key", "p384.pub"]).status == 0)
        #expect(try work.schemaProblems(["full.json"]) == "")
        let predicate = try work.statement("full.json")["predicate"] as! [String: Any]
        #expect(predicate["distribution"] as? String == "hosted")
        let notices = predicate["notices"] as! [String: Any]
        #expect((notices["added"] as! [[String: String]]).map { $0["kind"]! } == ["attribution", "copyright", "patent"])
        #expect(notices["additionalTerms"] as? String == "Our changes are offered under CC-BY-4.0.\n")
    }

    @Test func theSchemasRejectWhatPedigreeWouldNeverWrite() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        var statement = try work.statement("model/pedigree.json")
        var predicate = statement["predicate"] as! [String: Any]
        var resources = predicate["resources"] as! [[String: Any]]
        resources[0]["name"] = "../escape"
        resources[1]["role"] = "secret-sauce"
        resources[2]["digest"] = "ABC"
        predicate["resources"] = resources
        predicate["unexpectedField"] = true
        statement["predicate"] = predicate
        try work.forge(statement, key: "signer.key", to: "bad.json")
        let problems = try work.schemaProblems(["bad.json"])
        #expect(problems.contains("$.predicate.resources[0].name"))
        #expect(problems.contains("$.predicate.resources[1].role"))
        #expect(problems.contains("$.predicate.resources[2].digest"))
        #expect(problems.contains("'unexpectedField' was unexpected"))
    }
}

@Suite struct LargeModels {
    @Test func aMultiGiBFolderSignsAndVerifies() throws {
        let work = try Workspace()
        try work.exampleModel()
        // Two 1.5 GiB shards (sparse, so the disk is spared; the bytes read are the same).
        for index in 1...2 {
            let path = work.folder.url("model/model-0000\(index)-of-00002.safetensors")
            let fd = open(path, O_CREAT | O_WRONLY, 0o644)
            #expect(ftruncate(fd, off_t(3) << 29) == 0)
            _ = pwrite(fd, "shard \(index)", 7, 1 << 20)
            close(fd)
        }
        try work.keygen("signer", "ecdsa-p256")
        let signed = try work.run(["sign", "model", "--key", "signer.key"], timeout: 600)
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stdout.hasPrefix("signed model: 9 files, 3.0 GiB\n"))
        let verified = try work.run(["verify", "model", "--trusted-key", "signer.pub"], timeout: 600)
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.hasSuffix("verified: 9 files OK, signed by a trusted key\n"))
        // One byte near the end of a shard.
        let fd = open(work.folder.url("model/model-00002-of-00002.safetensors"), O_WRONLY)
        #expect(pwrite(fd, "!", 1, (off_t(3) << 29) - 100) == 1)
        close(fd)
        let tampered = try work.run(["verify", "model", "--trusted-key", "signer.pub"], timeout: 600)
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("model-00002-of-00002.safetensors: MODIFIED\n"))
        #expect(tampered.stdout.contains("model-00001-of-00002.safetensors: OK\n"))
    }
}
