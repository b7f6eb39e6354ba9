import Foundation
import Testing
import TestSupport

/// Runs a command with both standard output and standard error on one pseudo-terminal, as a
/// person at a terminal sees it, and reports its exit status and everything the terminal got.
private let terminalProbe = #"""
    import json, os, pty, subprocess, sys
    master, slave = pty.openpty()
    child = subprocess.Popen(sys.argv[1:], stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    child.wait()
    sys.stdout.write(json.dumps({"status": child.returncode, "shown": shown.decode("utf-8", "replace")}))
    """#

/// What a terminal showed: the progress lines drawn, and the other output.
private struct TerminalShow {
    var status: Int
    var progressLines: [String]
    /// Text written between erasures that is not a progress line.
    var other: [String]
    var raw: String
}

@Suite(.serialized) struct ProgressOnATerminal {
    private let clear = "\r\u{1B}[K"

    private func onTerminal(_ arguments: [String], in work: Workspace) throws -> TerminalShow {
        try work.folder.write("probe.py", terminalProbe)
        let result = try TestTools.runPython(work.folder.url("probe.py"), [pedigreeExecutable] + arguments,
                                             currentDirectory: work.path, timeout: 600)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any], "\(result)")
        let raw = object["shown"] as? String ?? ""
        var progress: [String] = []
        var other: [String] = []
        for chunk in raw.components(separatedBy: clear) where !chunk.isEmpty {
            // A progress line: bytes, " of " the total, a rate; never followed by other output
            // without an erasure in between.
            if chunk.contains("/s"), chunk.contains(" of "), !chunk.contains("\n") {
                progress.append(chunk)
            } else {
                other.append(chunk)
            }
        }
        return TerminalShow(status: object["status"] as? Int ?? -1, progressLines: progress, other: other, raw: raw)
    }

    /// A model whose weights are a sparse file large enough to take over a second to hash.
    private func largeModel(in work: Workspace, gibibytes: Int64 = 2) throws {
        try work.exampleModel()
        let path = work.folder.url("model/model.safetensors")
        #expect(truncate(path, off_t(gibibytes << 30)) == 0)
    }

    private func expectReadableProgress(_ show: TerminalShow, total: String, _ context: String) {
        #expect(!show.progressLines.isEmpty, "\(context): no progress line in \(show.raw.debugDescription)")
        let pattern = #/^[0-9.]+ (B|KiB|MiB|GiB) of [0-9.]+ GiB \([0-9]+%\)  [0-9.]+ (B|KiB|MiB|GiB)/s(  [0-9hms]+ left)?$/#
        for line in show.progressLines {
            #expect(line.wholeMatch(of: pattern) != nil, "\(context): \(line.debugDescription)")
            #expect(line.contains(" of \(total) ("), "\(context): \(line.debugDescription)")
        }
        #expect(show.progressLines.contains { $0.hasSuffix(" left") }, "\(context): \(show.progressLines)")
        // Nothing else was written on a line that held progress: every other piece starts clean.
        for piece in show.other {
            #expect(!piece.contains(" of \(total) ("), "\(context): output mixed with progress: \(piece.debugDescription)")
        }
        // The run ends on a finished line or an erased progress line (line feeds are "\r\n" on a terminal).
        #expect(show.raw.unicodeScalars.last == "\n" || show.raw.hasSuffix(clear), "\(context): \(show.raw.suffix(200).debugDescription)")
    }

    @Test func signVerifyHashDiffAndExportShowBytesOfTheTotal() throws {
        let work = try Workspace()
        try largeModel(in: work)
        try work.keygen("signer")
        try work.keygen("oms", "ecdsa-p256")
        let sign = try onTerminal(["sign", "model", "--key", "signer.key"], in: work)
        #expect(sign.status == 0, "\(sign.raw)")
        expectReadableProgress(sign, total: "2.0 GiB", "sign")
        #expect(sign.other.joined().contains("wrote model/pedigree.json\r\n"))
        let verify = try onTerminal(["verify", "model", "--trusted-key", "signer.pub"], in: work)
        #expect(verify.status == 0, "\(verify.raw)")
        expectReadableProgress(verify, total: "2.0 GiB", "verify")
        let hash = try onTerminal(["hash", "model"], in: work)
        expectReadableProgress(hash, total: "2.0 GiB", "hash")
        let diff = try onTerminal(["diff", "model/pedigree.json", "model"], in: work)
        expectReadableProgress(diff, total: "2.0 GiB", "diff")
        let export = try onTerminal(["export", "model", "--format", "oms", "--key", "oms.key"], in: work)
        #expect(export.status == 0, "\(export.raw)")
        expectReadableProgress(export, total: "2.0 GiB", "export")
        // --quiet: no progress line at all.
        let quiet = try onTerminal(["verify", "model", "--trusted-key", "signer.pub", "--quiet"], in: work)
        #expect(quiet.status == 0)
        #expect(!quiet.raw.contains(clear), "\(quiet.raw.debugDescription)")
    }

    /// Two folders of a sparse 2 GiB safetensors file: the large tensor is the same, the small
    /// one differs, so both files are read for their digests and the small pair is compared.
    private func largeTensorPair(in work: Workspace) throws {
        let big: Int64 = 2 << 30
        let json = #"{"big":{"dtype":"U8","shape":[\#(big)],"data_offsets":[0,\#(big)]},"#
            + #""small":{"dtype":"F32","shape":[4],"data_offsets":[\#(big),\#(big + 16)]}}"#
        for (side, last) in [("a", UInt8(0x3f)), ("b", UInt8(0x40))] {
            var head = Data()
            withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { head.append(contentsOf: $0) }
            head.append(contentsOf: Array(json.utf8))
            let path = try work.folder.write("\(side)/model.safetensors", head)
            #expect(truncate(path, off_t(Int64(head.count) + big)) == 0)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data([0, 0, 0x80, last, 0, 0, 0, 0x3f, 0, 0, 0, 0x3f, 0, 0, 0, 0x3f]))
            handle.closeFile()
        }
    }

    @Test func diffTensorsShowsBytesOfTheTotal() throws {
        let work = try Workspace()
        try largeTensorPair(in: work)
        let diff = try onTerminal(["diff", "--tensors", "a", "b"], in: work)
        #expect(diff.status == 0, "\(diff.raw)")
        // Both files (2 GiB and a header each) and the 32 bytes of the compared pair.
        expectReadableProgress(diff, total: "4.0 GiB", "diff --tensors")
        #expect(diff.other.joined().contains("changed       small: differs"), "\(diff.other)")
        let json = try onTerminal(["diff", "--tensors", "a", "b", "--json"], in: work)
        #expect(json.status == 0)
        #expect(!json.raw.contains(clear), "\(json.raw.suffix(300).debugDescription)")
        let plain = try work.run(["diff", "--tensors", "a", "b"])
        #expect(plain.status == 0)
        #expect(plain.stderr == "")
    }

    @Test func outputPrintedWhileProgressShowsErasesItFirst() throws {
        let work = try Workspace()
        try work.folder.makeFolder("files")
        for name in ["a.bin", "b.bin"] {
            #expect(truncate(try work.folder.write("files/\(name)", ""), off_t(Int64(3) << 29)) == 0)
        }
        // One job: a.bin's line is printed while b.bin is still being hashed.
        let hash = try onTerminal(["hash", "--jobs", "1", "files/a.bin", "files/b.bin"], in: work)
        #expect(hash.status == 0, "\(hash.raw)")
        expectReadableProgress(hash, total: "3.0 GiB", "hash")
        let lines = hash.other.joined().components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 2, "\(hash.other)")
        #expect(lines.allSatisfy { $0.hasSuffix(".bin") && $0.count == 64 + 2 + "files/a.bin".count }, "\(lines)")
    }

    @Test func nothingWhenStandardErrorIsNotATerminal() throws {
        let work = try Workspace()
        try largeModel(in: work, gibibytes: 1)
        try work.keygen("signer")
        let signed = try work.run(["sign", "model", "--key", "signer.key", "--license", "MIT"])
        #expect(signed.status == 0)
        #expect(signed.stderr == "")
        let verified = try work.run(["verify", "model", "--trusted-key", "signer.pub"])
        #expect(verified.stderr == "")
    }
}
