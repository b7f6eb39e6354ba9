import Foundation
import PedigreeKit
import Testing
import TestSupport

/// The example model's files, in the order the lists below name them.
private let modelFiles = [
    "NOTICE", "README.md", "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
]

extension Workspace {
    /// A cache of this workspace's own, and a fixed signing time so manifests compare byte for byte.
    var scaleEnvironment: [String: String] { ["XDG_CACHE_HOME": folder.url("xdg"), "SOURCE_DATE_EPOCH": "1767225600"] }

    var cacheDatabase: String { folder.url("xdg/pedigree/digests.sqlite") }

    /// Runs pedigree with this workspace's cache.
    @discardableResult
    func scaled(_ arguments: [String]) throws -> ProcessResult {
        try run(arguments, environment: scaleEnvironment)
    }

    /// `sha256sum` lines for `names` of the model, as `cd model && sha256sum NAMES` writes them.
    func checksumLines(_ names: [String] = modelFiles) throws -> [String] {
        try names.map { "\(try systemSHA256(folder.url("model/" + $0)))  \($0)" }
    }

    /// Writes `lines` as the list `name`.
    func writeList(_ name: String, _ lines: [String]) throws {
        try folder.write(name, lines.joined(separator: "\n") + "\n")
    }

    /// The predicate of the bundle at `relative`.
    func predicate(_ relative: String) throws -> [String: Any] {
        try #require(try statement(relative)["predicate"] as? [String: Any])
    }

    /// Lets the files' change times fall behind the next run's start, so the cache keeps them.
    func settle() { Thread.sleep(forTimeInterval: 0.25) }
}

@Suite struct DigestCacheCommands {
    @Test func aReSignReusesDigestsAndWritesTheSameManifest() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        work.settle()
        let first = try work.scaled(["sign", "model", "--key", "signer.key", "-o", "first.json", "--json"])
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("\"reusedFromCache\": 0"))
        let second = try work.scaled(["sign", "model", "--key", "signer.key", "-o", "second.json"])
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("\n  digest cache    7 of 7 files reused, the rest read\n"))
        let uncached = try work.scaled(["sign", "model", "--key", "signer.key", "-o", "third.json", "--no-cache"])
        #expect(!uncached.stdout.contains("digest cache"))
        let rehashed = try work.scaled(["sign", "model", "--key", "signer.key", "-o", "fourth.json", "--rehash"])
        #expect(rehashed.stdout.contains("\n  digest cache    0 of 7 files reused, the rest read\n"))
        // The cache changes how fast, never what is signed.
        let bytes = try work.read("first.json")
        for other in ["second.json", "third.json", "fourth.json"] { #expect(try work.read(other) == bytes) }
        #expect(try work.predicate("second.json")["suppliedDigests"] == nil)
    }

    @Test func noCacheLeavesNoCacheBehindAndConflictsWithRehash() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.scaled(["sign", "model", "--key", "signer.key", "--no-cache"]).status == 0)
        #expect(!work.exists("xdg/pedigree"))
        let both = try work.scaled(["sign", "model", "--key", "signer.key", "-o", "x.json", "--no-cache", "--rehash"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("--no-cache and --rehash: choose one"))
        #expect(!work.exists("x.json"))
    }

    @Test func verifyReadsEveryFileUnlessTrustCacheIsGivenAndThenSaysSo() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        work.settle()
        #expect(try work.scaled(["sign", "model", "--key", "signer.key"]).status == 0)
        let plain = try work.scaled(["verify", "model", "--trusted-key", "signer.pub", "--json"])
        #expect(plain.status == 0)
        #expect(!plain.stdout.contains("reusedFromCache"))
        let trusted = try work.scaled(["verify", "model", "--trusted-key", "signer.pub", "--trust-cache"])
        #expect(trusted.status == 0, "\(trusted)")
        #expect(trusted.stdout.contains("\ndigest cache (--trust-cache): 7 files taken from the cache, not re-read\n"))
        let json = try work.scaled(["verify", "model", "--trusted-key", "signer.pub", "--trust-cache", "--json"])
        #expect(json.stdout.contains("\"reusedFromCache\": 7"))
        // An edit in place with the old mtime put back is still caught.
        try shell("cd model && m=$(stat -c %y config.json) && printf '[' | dd of=config.json conv=notrunc 2>/dev/null && touch -d \"$m\" config.json", currentDirectory: work.path)
        let edited = try work.scaled(["verify", "model", "--trusted-key", "signer.pub", "--trust-cache"])
        #expect(edited.status == 1)
        #expect(edited.stdout.contains("config.json: MODIFIED"))
        #expect(edited.stdout.contains("digest cache (--trust-cache): 6 files taken from the cache, not re-read"))
    }

    @Test func aCacheOfAnotherUserIsReportedIgnoredAndRebuilt() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        work.settle()
        #expect(try work.scaled(["sign", "model", "--key", "signer.key", "--license", "MIT", "-o", "a.json"]).status == 0)
        try shell("chown 65534 '\(work.cacheDatabase)'")
        let again = try work.scaled(["sign", "model", "--key", "signer.key", "--license", "MIT", "-o", "b.json"])
        #expect(again.status == 0)
        #expect(again.stderr == "pedigree: warning: the digest cache \(work.cacheDatabase): digests.sqlite belongs to another user (uid 65534); ignored and rebuilt\n")
        #expect(again.stdout.contains("digest cache    0 of 7 files reused"))
        #expect(try work.read("a.json") == (try work.read("b.json")))
    }

    @Test func aCacheFolderOthersCanWriteIsNotUsedAndTheSignGoesOn() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        try shell("mkdir -p xdg/pedigree && chmod 777 xdg/pedigree", currentDirectory: work.path)
        let signed = try work.scaled(["sign", "model", "--key", "signer.key", "--license", "MIT"])
        #expect(signed.status == 0)
        #expect(signed.stderr == "pedigree: warning: cache folder not used: \(work.folder.url("xdg/pedigree")) is writable by other users; every file is read\n")
        #expect(!work.exists("xdg/pedigree/digests.sqlite"))
    }

    @Test func concurrentSignRunsShareOneCache() throws {
        let work = try Workspace()
        try work.exampleModel()
        for index in 0..<300 { try work.folder.write("model/shards/part-\(index).bin", "shard \(index)") }
        try work.keygen("signer")
        work.settle()
        let results = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            let result = try? work.scaled(["sign", "model", "--key", "signer.key", "--license", "MIT", "-o", "run\(index).json", "--quiet"])
            results.set(index, result)
        }
        for index in 0..<4 {
            let result = try #require(results.get(index))
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr == "")
        }
        let bytes = try work.read("run0.json")
        for index in 1..<4 { #expect(try work.read("run\(index).json") == bytes) }
        let after = try work.scaled(["sign", "model", "--key", "signer.key", "--license", "MIT", "-o", "after.json"])
        #expect(after.stdout.contains("digest cache    307 of 307 files reused"), "\(after)")
        #expect(try work.read("after.json") == bytes)
    }
}

/// Results collected from concurrent runs.
private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: ProcessResult] = [:]
    func set(_ index: Int, _ value: ProcessResult?) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
    func get(_ index: Int) -> ProcessResult? {
        lock.lock()
        defer { lock.unlock() }
        return values[index]
    }
}

@Suite struct SignFromDigests {
    /// Runs `sign model --digests LIST … -o out.json` and checks it was refused with exactly
    /// `message` and `status`, and wrote nothing.
    private func expectRefused(
        _ work: Workspace, _ extra: [String], status: Int32, message: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try work.scaled(["sign", "model", "--key", "signer.key", "-o", "out.json"] + extra)
        #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderr == message, sourceLocation: sourceLocation)
        #expect(result.stdout == "", sourceLocation: sourceLocation)
        #expect(!work.exists("out.json"), sourceLocation: sourceLocation)
        #expect(!work.exists("model/pedigree.json"), sourceLocation: sourceLocation)
    }

    private func workspace() throws -> Workspace {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        return work
    }

    @Test func aHashReportSignsTheSameFilesAsReadingTheFolder() throws {
        let work = try workspace()
        // As `pedigree hash DIR --json` writes it: every name starts with "model/".
        let report = try work.run(["hash", "model", "--json"])
        try work.folder.write("list.json", report.stdoutData)
        let signed = try work.scaled(["sign", "model", "--key", "signer.key", "-o", "listed.json", "--digests", "list.json", "--spot-check", "2"])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stdout.contains("\n  digests         supplied in a list, checked against the folder's names and sizes; 2 files re-hashed by the signer\n"))
        #expect(try work.scaled(["sign", "model", "--key", "signer.key", "-o", "read.json", "--no-cache"]).status == 0)
        let listed = try work.predicate("listed.json")
        let read = try work.predicate("read.json")
        #expect(NSArray(array: listed["resources"] as! [Any]).isEqual(to: read["resources"] as! [Any]) == true)
        let supplied = try #require(listed["suppliedDigests"] as? [String: Any])
        #expect(supplied.count == 2 && supplied["spotChecked"] as? Int == 2 && supplied["checkedAgainstFolder"] as? Bool == true, "\(supplied)")
        #expect(NSArray(array: try work.statement("listed.json")["subject"] as! [Any]).isEqual(to: try work.statement("read.json")["subject"] as! [Any]) == true)
        #expect(try work.schemaProblems(["listed.json"]) == "")
        let verified = try work.scaled(["verify", "model", "-m", "listed.json", "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("\ndigests: supplied in a list, checked against the folder's names and sizes; 2 files re-hashed by the signer\n"))
        let json = try work.scaled(["verify", "model", "-m", "listed.json", "--trusted-key", "signer.pub", "--json"])
        #expect(json.stdout.contains("\"suppliedDigests\": {"))
        // Signing from a list, a spot check and a plain verify never touch the digest cache.
        #expect(!work.exists("xdg/pedigree"))
    }

    @Test(arguments: [false, true])
    func sha256sumListsInTextAndTagFormSign(tag: Bool) throws {
        let work = try workspace()
        let listing = try shell("cd model && sha256sum \(tag ? "--tag " : "")./* > ../sums.txt", currentDirectory: work.path)
        #expect(listing.status == 0)
        let signed = try work.scaled(["sign", "model", "--key", "signer.key", "-o", "out.json", "--digests", "sums.txt", "--spot-check", "100%"])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stdout.contains("7 files re-hashed by the signer"))
        #expect(try work.scaled(["verify", "model", "-m", "out.json", "--trusted-key", "signer.pub"]).status == 0)
    }

    @Test func aFolderFileMissingFromTheListIsRefused() throws {
        let work = try workspace()
        try work.writeList("sums.txt", try work.checksumLines(modelFiles.filter { $0 != "NOTICE" }))
        try expectRefused(work, ["--digests", "sums.txt"], status: 1, message: """
            pedigree: the digest list does not match the folder; nothing signed:
              'NOTICE' is in the folder but not in the list

            """)
    }

    @Test func aListedFileNotInTheFolderIsRefused() throws {
        let work = try workspace()
        try work.writeList("sums.txt", try work.checksumLines() + [String(repeating: "ab", count: 32) + "  weights/ghost.bin"])
        try expectRefused(work, ["--digests", "sums.txt"], status: 1, message: """
            pedigree: the digest list does not match the folder; nothing signed:
              sums.txt: line 8: 'weights/ghost.bin' is not in the folder

            """)
    }

    @Test func aWrongDigestIsCaughtByAFullSpotCheck() throws {
        let work = try workspace()
        var lines = try work.checksumLines()
        let actual = try systemSHA256(work.folder.url("model/config.json"))
        lines[2] = String(repeating: "0", count: 64) + "  config.json"
        try work.writeList("sums.txt", lines)
        try expectRefused(work, ["--digests", "sums.txt", "--spot-check", "100%"], status: 1, message: """
            pedigree: spot check failed (7 re-hashed, 1 not as listed); the whole list is refused:
              sums.txt: line 3: 'config.json' has sha256 \(actual.prefix(16))…, the list says 0000000000000000…

            """)
    }

    @Test func aMalformedLineIsRefused() throws {
        let work = try workspace()
        var lines = try work.checksumLines()
        lines.insert("this is not a checksum line", at: 1)
        try work.writeList("sums.txt", lines)
        try expectRefused(work, ["--digests", "sums.txt"], status: 65,
                          message: "pedigree: sums.txt: line 2: improperly formatted SHA256 checksum line\n")
    }

    @Test(arguments: [
        ("../outside.bin", "leaves the folder ('..')"),
        ("/etc/passwd", "is an absolute path"),
        ("weights//x.bin", "has an empty path component"),
    ])
    func aNameEscapingTheFolderIsRefused(_ name: String, _ problem: String) throws {
        let work = try workspace()
        try work.writeList("sums.txt", try work.checksumLines() + [String(repeating: "cd", count: 32) + "  " + name])
        try expectRefused(work, ["--digests", "sums.txt"], status: 65,
                          message: "pedigree: sums.txt: line 8: the name '\(name)' \(problem); refused\n")
    }

    @Test func aFileListedTwiceIsRefused() throws {
        let work = try workspace()
        let lines = try work.checksumLines()
        try work.writeList("sums.txt", lines + [lines[2]])
        try expectRefused(work, ["--digests", "sums.txt"], status: 65,
                          message: "pedigree: sums.txt: line 8: 'config.json' is listed twice (first at sums.txt: line 3)\n")
        // Across two lists as well.
        try work.writeList("more.txt", [lines[2]])
        try work.writeList("sums.txt", lines)
        try expectRefused(work, ["--digests", "sums.txt", "--digests", "more.txt"], status: 65,
                          message: "pedigree: more.txt: line 1: 'config.json' is listed twice (first at sums.txt: line 3)\n")
    }

    @Test func aSizeThatIsNotTheFilesIsRefused() throws {
        let work = try workspace()
        let report = try work.run(["hash", "model", "--json"]).stdoutData
        let size = try FileManager.default.attributesOfItem(atPath: work.folder.url("model/config.json"))[.size] as! Int
        var object = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
        var files = try #require(object["files"] as? [[String: Any]])
        let index = try #require(files.firstIndex { $0["path"] as? String == "model/config.json" })
        #expect(files[index]["size"] as? Int == size)
        files[index]["size"] = size + 1
        object["files"] = files
        let edited = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        try work.folder.write("list.json", edited)
        try expectRefused(work, ["--digests", "list.json"], status: 1, message: """
            pedigree: the digest list does not match the folder; nothing signed:
              list.json: files[\(index)]: 'config.json' is \(size + 1) bytes in the list, \(size) in the folder

            """)
    }

    @Test func aReportThatIsNotAHashReportIsRefused() throws {
        let work = try workspace()
        try work.folder.write("dup.json", #"{"results": [], "results": []}"#)
        try expectRefused(work, ["--digests", "dup.json"], status: 65, message: """
            pedigree: dup.json: not a pedigree hash --json report: the key 'results' appears twice in one object; a key may be given once (offset 16)

            """)
        try work.folder.write("failed.json", #"{"version": 1, "command": "hash", "files": [{"path": "config.json", "status": "unreadable", "error": "Permission denied"}]}"#)
        try expectRefused(work, ["--digests", "failed.json"], status: 65,
                          message: "pedigree: failed.json: files[0]: 'config.json' was not hashed (Permission denied); nothing to sign it with\n")
        try work.folder.write("bad.json", #"{"version": 1, "command": "hash", "files": [{"path": "config.json", "status": "ok", "sha256": "ABC"}]}"#)
        try expectRefused(work, ["--digests", "bad.json"], status: 65,
                          message: "pedigree: bad.json: not a pedigree hash --json report: files[0].sha256 is missing or not a lowercase SHA-256 hex digest\n")
        try expectRefused(work, ["--digests", "absent.txt"], status: 66, message: "pedigree: absent.txt: No such file or directory\n")
        try work.folder.write("empty.txt", "")
        try expectRefused(work, ["--digests", "empty.txt"], status: 65, message: "pedigree: empty.txt: no file is listed\n")
    }

    @Test func usageErrors() throws {
        let work = try workspace()
        try work.writeList("sums.txt", try work.checksumLines())
        for (arguments, message) in [
            (["--spot-check", "3"], "--spot-check and --no-folder go with --digests"),
            (["--digests", "sums.txt", "--spot-check", "150%"], "--spot-check"),
            (["--digests", "sums.txt", "--no-folder", "--spot-check", "1"], "--spot-check re-hashes files of the folder; --no-folder has none"),
        ] {
            try expectRefusedUsage(work, ["sign", "model", "--key", "signer.key", "-o", "out.json"] + arguments, message)
        }
        try expectRefusedUsage(work, ["sign", "model", "--key", "signer.key", "--digests", "sums.txt", "--no-folder"],
                               "--no-folder needs --output: there is no folder to write into")
    }

    private func expectRefusedUsage(_ work: Workspace, _ arguments: [String], _ message: String) throws {
        let result = try work.scaled(arguments)
        #expect(result.status == 64, "\(arguments): \(result)")
        #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        #expect(!work.exists("out.json"))
        #expect(!work.exists("model/pedigree.json"))
    }

    @Test func noFolderSignsFromTheListAlone() throws {
        let work = try workspace()
        let report = try pedigree(["hash", ".", "--json"], currentDirectory: work.folder.url("model"))
        try work.folder.write("list.json", report.stdoutData)
        let signed = try work.scaled([
            "sign", "s3://bucket/acme/tiny", "--no-folder", "--digests", "list.json", "--key", "signer.key", "-o", "remote.json",
        ])
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stdout.hasPrefix("signed tiny: 7 files, "))
        #expect(signed.stdout.contains("\n  digests         supplied in a list and signed without the folder: names, digests and sizes are the list's\n"))
        #expect(try work.scaled(["sign", "model", "--key", "signer.key", "-o", "read.json", "--no-cache"]).status == 0)
        let remote = try work.predicate("remote.json")
        #expect(NSArray(array: remote["resources"] as! [Any]).isEqual(to: try work.predicate("read.json")["resources"] as! [Any]) == true)
        let supplied = try #require(remote["suppliedDigests"] as? [String: Any])
        #expect(supplied.count == 2 && supplied["spotChecked"] as? Int == 0 && supplied["checkedAgainstFolder"] as? Bool == false, "\(supplied)")
        #expect(try work.schemaProblems(["remote.json"]) == "")
        // Whoever has the files can check them against it.
        let verified = try work.scaled(["verify", "model", "-m", "remote.json", "--trusted-key", "signer.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("\ndigests: supplied in a list and signed without the folder: names, digests and sizes are the list's\n"))
    }

    @Test func noFolderRefusesAListWithoutSizes() throws {
        let work = try workspace()
        try work.writeList("sums.txt", try work.checksumLines())
        let result = try work.scaled(["sign", "remote/model", "--no-folder", "--digests", "sums.txt", "--key", "signer.key", "-o", "out.json"])
        #expect(result.status == 65)
        #expect(result.stderr == "pedigree: sums.txt: a sha256sum list gives no sizes, and --no-folder takes them from the list; use the report of 'pedigree hash --json', which has them\n")
        #expect(!work.exists("out.json"))
    }
}
