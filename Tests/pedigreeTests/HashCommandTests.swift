import Foundation
import Testing
import TestSupport

/// Relative paths of every regular file under `root`, ordered by path components compared
/// as bytes — computed here independently of the tool.
private func filesInComponentOrder(_ root: String) throws -> [String] {
    let listing = try shell("cd '\(root)' && find . -type f -print0")
    let paths = listing.stdoutData.split(separator: 0).map { String(decoding: $0.dropFirst(2), as: UTF8.self) }
    return paths.sorted { a, b in
        let ca = a.split(separator: "/", omittingEmptySubsequences: false).map { Array($0.utf8) }
        let cb = b.split(separator: "/", omittingEmptySubsequences: false).map { Array($0.utf8) }
        return ca.lexicographicallyPrecedes(cb) { $0.lexicographicallyPrecedes($1) }
    }
}

/// A tree with awkward names, sizes and nesting.
private func makeMixedTree(in folder: TemporaryFolder) throws {
    try folder.write("m/plain.txt", "hello\n")
    try folder.write("m/empty", "")
    try folder.write("m/with space", "s")
    try folder.write("m/back\\slash", "b")
    try folder.write("m/new\nline", "n")
    try folder.write("m/ünïcödé", "u")
    try folder.write("m/a-b", "1")
    try folder.write("m/a.b", "2")
    try folder.write("m/a/b", "3")
    try folder.write("m/sub/deep/weights.bin", pseudoRandomBytes(3 << 20 | 17, seed: 11))
    try folder.write("m/sub/odd", pseudoRandomBytes((1 << 20) - 1, seed: 12))
}

@Suite struct HashCommand {
    @Test func outputIsByteIdenticalToSha256sumOnAMixedTree() throws {
        let folder = try TemporaryFolder()
        try makeMixedTree(in: folder)
        let ours = try pedigree(["hash", "m"], currentDirectory: folder.path)
        #expect(ours.status == 0, "\(ours)")
        #expect(ours.stderr == "")
        let order = try filesInComponentOrder(folder.url("m")).map { "m/" + $0 }
        #expect(order.count == 11)
        let theirs = try run("/usr/bin/env", ["sha256sum"] + ["--"] + order, currentDirectory: folder.path)
        #expect(theirs.status == 0)
        #expect(ours.stdoutData == theirs.stdoutData)
        // And the tag form matches `sha256sum --tag`.
        let oursTag = try pedigree(["hash", "--tag", "m"], currentDirectory: folder.path)
        let theirsTag = try run("/usr/bin/env", ["sha256sum"] + ["--tag", "--"] + order, currentDirectory: folder.path)
        #expect(oursTag.stdoutData == theirsTag.stdoutData)
    }

    @Test func sha256sumAcceptsItsOutput() throws {
        let folder = try TemporaryFolder()
        try makeMixedTree(in: folder)
        for format in [[], ["--tag"]] {
            let list = try pedigree(["hash"] + format + ["m"], currentDirectory: folder.path)
            let check = try run("/usr/bin/env", ["sha256sum"] + ["-c", "-"], stdin: list.stdoutData, currentDirectory: folder.path)
            #expect(check.status == 0, "\(check)")
            #expect(check.stdout.split(separator: "\n").count == 11)
        }
    }

    @Test func jsonListsEveryFileWithDigestAndSize() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/a", "abc")
        try folder.write("m/b", "")
        let result = try pedigree(["hash", "--json", "m", "m/missing"], currentDirectory: folder.path)
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as! [String: Any]
        #expect(object["version"] as? Int == 1)
        #expect(object["ok"] as? Bool == false)
        let rows = object["files"] as! [[String: Any]]
        #expect(rows.count == 3)
        #expect(rows.map { $0["status"] as? String } == ["ok", "ok", "unreadable"])
        #expect(rows[0]["path"] as? String == "m/a")
        #expect(rows[0]["sha256"] as? String == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(rows[0]["size"] as? Int == 3)
        #expect(rows[1]["sha256"] as? String == (try systemSHA256(folder.url("m/b"))))
        #expect(rows[2]["path"] as? String == "m/missing")
        #expect(rows[2]["error"] as? String == "No such file or directory")
        let summary = object["summary"] as! [String: Int]
        #expect(summary == ["files": 2, "bytes": 3, "failed": 1])
        #expect(result.stderr == "")
    }
}

@Suite struct HashCommandBadInputs {
    @Test func aFIFOIsRefusedAndTheRunGoesOn() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/a", "abc")
        try folder.write("m/z", "xyz")
        #expect(mkfifo(folder.url("m/pipe"), 0o644) == 0)
        let result = try pedigree(["hash", "m"], currentDirectory: folder.path, timeout: 20)
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: m/pipe: is a FIFO; refused, never read\n")
        #expect(result.stdout.split(separator: "\n").map { String($0.suffix(3)) } == ["m/a", "m/z"])
    }

    @Test func aFIFONamedOnTheCommandLineIsRefusedToo() throws {
        let folder = try TemporaryFolder()
        #expect(mkfifo(folder.url("pipe"), 0o644) == 0)
        let result = try pedigree(["hash", "pipe"], currentDirectory: folder.path, timeout: 20)
        #expect(result.status == 1)
        #expect(result.stderr == "pedigree: pipe: is a FIFO; refused, never read\n")
        #expect(result.stdout == "")
    }

    @Test func aLinkInsideAFolderIsReportedUnlessFollowed() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/real", "abc")
        #expect(symlink("real", folder.url("m/link")) == 0)
        let refused = try pedigree(["hash", "m"], currentDirectory: folder.path)
        #expect(refused.status == 1)
        #expect(refused.stderr == "pedigree: m/link: is a symbolic link; not followed (use --follow-symlinks)\n")
        #expect(refused.stdout == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  m/real\n")
        let followed = try pedigree(["hash", "--follow-symlinks", "m"], currentDirectory: folder.path)
        #expect(followed.status == 0)
        #expect(followed.stdout == """
            ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  m/link
            ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  m/real

            """)
    }

    @Test func missingPathsAreReportedAndTheRestHashed() throws {
        let folder = try TemporaryFolder()
        try folder.write("a", "abc")
        let ours = try pedigree(["hash", "nope", "a"], currentDirectory: folder.path)
        let theirs = try run("/usr/bin/env", ["sha256sum"] + ["nope", "a"], currentDirectory: folder.path)
        #expect(ours.status == 1)
        #expect(ours.status == theirs.status)
        #expect(ours.stdout == theirs.stdout)
        #expect(ours.stderr == "pedigree: nope: No such file or directory\n")
        #expect(theirs.stderr == "sha256sum: nope: No such file or directory\n")
    }

    @Test func aFileThatChangesWhileReadIsAnError() throws {
        // An append must land while the file is read, which a busy machine may not schedule:
        // each attempt reads a larger (sparse) file, and one that saw no append is retried. A
        // hasher that never noticed a change would succeed every time and fail the test.
        let folder = try TemporaryFolder()
        let path = try folder.write("growing", pseudoRandomBytes(1 << 20, seed: 5))
        var outcomes: [(status: Int32, stdout: String, stderr: String)] = []
        for attempt in 0..<4 {
            let writer = try #require(FileHandle(forWritingAtPath: path))
            try writer.truncate(atOffset: UInt64(48 << 20) << (2 * attempt))
            writer.seekToEndOfFile()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: pedigreeExecutable)
            process.arguments = ["hash", "--jobs", "1", "growing"]
            process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            // Append for as long as the hash runs.
            while process.isRunning {
                writer.write(Data("x".utf8))
            }
            writer.closeFile()
            process.waitUntilExit()
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            outcomes.append((process.terminationStatus, stdout, stderr))
            if process.terminationStatus != 0 { break }
        }
        let last = try #require(outcomes.last)
        #expect(last.status == 1, "no attempt saw the change: \(outcomes)")
        #expect(last.stdout == "")
        #expect(last.stderr.hasPrefix("pedigree: growing: changed while it was read ("), "\(last.stderr)")
        #expect(last.stderr.hasSuffix("); digest discarded\n"))
    }

    @Test func usageErrorsExitWith64() throws {
        let zeroJobs = try pedigree(["hash", "--jobs", "0", "x"])
        #expect(zeroJobs.status == 64)
        #expect(zeroJobs.stderr.contains("--jobs must be at least 1"))
        let noPath = try pedigree(["hash"])
        #expect(noPath.status == 64)
        #expect(noPath.stderr.contains("Missing expected argument '<paths> ...'"))
        let strayFlag = try pedigree(["hash", "--strict", "x"])
        #expect(strayFlag.status == 64)
        #expect(strayFlag.stderr.contains("go with --check"))
    }
}

@Suite struct HashCheckMode {
    /// A list with a good line, a bad digest, a missing file and a malformed line.
    private func makeList(in folder: TemporaryFolder) throws {
        try folder.write("good", "abc")
        try folder.write("bad", "abd")
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        try folder.write("list", "\(abc)  good\n\(abc)  bad\n\(abc)  missing\nnot a checksum line\n")
        try folder.write("tags", "SHA256 (good) = \(abc)\nSHA256 (bad) = \(abc)\n")
        try folder.write("clean", "\(abc)  good\n")
        try folder.write("junk", "nothing here\n")
    }

    /// Runs both tools with the same arguments; they must agree on everything but their name.
    private func expectSameAsSha256sum(_ arguments: [String], in folder: TemporaryFolder) throws -> ProcessResult {
        let ours = try pedigree(["hash"] + arguments, currentDirectory: folder.path)
        let theirs = try run("/usr/bin/env", ["sha256sum"] + arguments, currentDirectory: folder.path)
        #expect(ours.stdout == theirs.stdout, "stdout differs for \(arguments)")
        #expect(
            ours.stderr == theirs.stderr.replacingOccurrences(of: "sha256sum: ", with: "pedigree: "),
            "stderr differs for \(arguments)")
        #expect(ours.status == theirs.status, "exit status differs for \(arguments)")
        return ours
    }

    @Test func reportsOKFailedAndUnreadableLikeSha256sum() throws {
        let folder = try TemporaryFolder()
        try makeList(in: folder)
        let result = try expectSameAsSha256sum(["-c", "list"], in: folder)
        #expect(result.stdout == "good: OK\nbad: FAILED\nmissing: FAILED open or read\n")
        #expect(result.stderr == """
            pedigree: missing: No such file or directory
            pedigree: WARNING: 1 line is improperly formatted
            pedigree: WARNING: 1 listed file could not be read
            pedigree: WARNING: 1 computed checksum did NOT match

            """)
        #expect(result.status == 1)
    }

    @Test(arguments: [
        ["-c", "tags"], ["-c", "clean"], ["-c", "--quiet", "list"], ["-c", "--status", "list"],
        ["-c", "--ignore-missing", "list"], ["-c", "--strict", "clean"], ["-c", "--warn", "list"],
        ["-c", "junk"], ["-c", "clean", "tags"], ["-c", "nonexistent"],
    ])
    func agreesWithSha256sum(_ arguments: [String]) throws {
        let folder = try TemporaryFolder()
        try makeList(in: folder)
        _ = try expectSameAsSha256sum(arguments, in: folder)
    }

    @Test func strictFailsOnMalformedLines() throws {
        let folder = try TemporaryFolder()
        try makeList(in: folder)
        try folder.write("mixed", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  good\nbogus\n")
        let lenient = try expectSameAsSha256sum(["-c", "mixed"], in: folder)
        #expect(lenient.status == 0)
        let strict = try expectSameAsSha256sum(["-c", "--strict", "mixed"], in: folder)
        #expect(strict.status == 1)
    }

    @Test func readsTheListFromStandardInput() throws {
        let folder = try TemporaryFolder()
        try makeList(in: folder)
        let list = try Data(contentsOf: URL(fileURLWithPath: folder.url("clean")))
        let result = try pedigree(["hash", "-c", "-"], stdin: list, currentDirectory: folder.path)
        #expect(result.status == 0)
        #expect(result.stdout == "good: OK\n")
    }

    @Test func jsonReportsEachLine() throws {
        let folder = try TemporaryFolder()
        try makeList(in: folder)
        let result = try pedigree(["hash", "-c", "--json", "list"], currentDirectory: folder.path)
        #expect(result.status == 1)
        let report = try JSONSerialization.jsonObject(with: result.stdoutData) as! [String: Any]
        #expect(report["mode"] as? String == "check")
        #expect(report["ok"] as? Bool == false)
        let lists = report["lists"] as! [[String: Any]]
        let rows = lists[0]["files"] as! [[String: String]]
        #expect(rows.map { $0["status"]! } == ["ok", "failed", "unreadable"])
        #expect(rows[1]["actual"] == (try systemSHA256(folder.url("bad"))))
        #expect(rows[2]["error"] == "No such file or directory")
        #expect(lists[0]["malformedLines"] as? [Int] == [4])
    }
}

/// Runs `pedigree hash` on a large sparse file with standard error on a pseudo-terminal,
/// and reports the digest line, what the terminal showed and the child's peak RSS.
private let ptyProbe = #"""
    import os, pty, resource, subprocess, sys
    exe, path = sys.argv[1], sys.argv[2]
    master, slave = pty.openpty()
    child = subprocess.Popen([exe, "hash", "--jobs", "1", path], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    out = child.stdout.read()
    child.wait()
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stdout.write(f"{child.returncode}\n{peak_kib}\n{out.decode()}")
    sys.stderr.write(shown.decode(errors="replace"))
    """#

/// Whether this test binary (and so the `pedigree` built with it) runs under AddressSanitizer or
/// ThreadSanitizer: their runtimes define these symbols.
private let builtWithSanitizer: Bool = ([String](["__asan_init", "__tsan_init"])).contains { name in dlsym(nil, name) != nil }

@Suite struct HashLargeFiles {
    @Test func aSparseFileOver4GiBMatchesOpensslWithBoundedMemoryAndShowsProgress() throws {
        let folder = try TemporaryFolder()
        let size: Int64 = (4 << 30) + 12345
        let path = folder.url("huge.bin")
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(fd, off_t(size)) == 0)
        _ = pwrite(fd, "tail", 4, off_t(size - 4))
        close(fd)
        try folder.write("probe.py", ptyProbe)
        let ours = try TestTools.runPython(folder.url("probe.py"), [pedigreeExecutable, path], timeout: 300)
        let reference = try shell("openssl dgst -sha256 -r '\(path)'", timeout: 300)
        let lines = ours.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "0", "\(ours)")
        let peakKiB = try #require(Int(lines[2 - 1]))
        // A sanitizer's shadow memory and allocator add a fixed overhead of their own; the bound
        // still shows that memory does not grow with the 4 GiB read.
        let boundKiB = builtWithSanitizer ? 160 * 1024 : 64 * 1024
        #expect(peakKiB < boundKiB, "peak RSS \(peakKiB) KiB while hashing a 4 GiB file")
        let expected = String(reference.stdout.prefix(64))
        #expect(lines[2] == "\(expected)  \(path)")
        // The terminal saw a progress line (bytes of total, rate) and then had it erased.
        #expect(ours.stderr.contains(" of 4.0 GiB"), "no progress line: \(ours.stderr.debugDescription)")
        #expect(ours.stderr.contains("/s"))
        #expect(ours.stderr.hasSuffix("\r\u{1B}[K"))
    }

    @Test func noProgressWhenStandardErrorIsNotATerminal() throws {
        let folder = try TemporaryFolder()
        let path = folder.url("big")
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(fd, 3 << 30) == 0)
        close(fd)
        let result = try pedigree(["hash", "--jobs", "1", path], timeout: 300)
        #expect(result.status == 0)
        #expect(result.stderr == "")
    }
}
