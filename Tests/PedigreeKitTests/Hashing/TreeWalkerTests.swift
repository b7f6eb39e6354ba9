import Foundation
@testable import PedigreeKit
import Testing
import TestSupport

private func describe(_ items: [WalkItem]) -> [String] {
    items.map { item in
        switch item {
        case .file(let relative, let job): return "file \(relative) as \(job.displayPath)"
        case .failure(let error): return "error \(error)"
        }
    }
}

/// Everything a walk item says: the file's paths, how it is opened, its size and its stamp.
private func describeFully(_ items: [WalkItem]) -> [String] {
    items.map { item in
        switch item {
        case .file(let relative, let job):
            let source: String
            switch job.source {
            case let .inFolder(folder, name): source = (folder.components + [name]).joined(separator: "/")
            case let .resolved(path, identity): source = "\(path) \(identity)"
            default: source = "\(job.source)"
            }
            return "file \(relative) as \(job.displayPath) from \(source) size \(job.sizeHint) stamp \(String(describing: job.listedStamp))"
        case .failure(let error): return "error \(error)"
        }
    }
}

@Suite struct TreeWalking {
    @Test func walksDepthFirstInByteOrderOfComponents() throws {
        let folder = try TemporaryFolder()
        for name in ["b", "a-b", "a/b", "a.b", "A", "a/a/z", "é", "z"] {
            try folder.write("m/" + name, name)
        }
        let items = try TreeWalker(linkPolicy: .refuse).walk(path: folder.url("m"), displayPrefix: "m")
        // 'a' < 'a-b' < 'a.b' by components, although "a-b" < "a/b" as whole strings.
        #expect(describe(items) == [
            "file A as m/A", "file a/a/z as m/a/a/z", "file a/b as m/a/b", "file a-b as m/a-b",
            "file a.b as m/a.b", "file b as m/b", "file z as m/z", "file é as m/é",
        ])
    }

    /// Names that share their first 8 bytes or end within them sort by their bytes, the
    /// shorter first (a listing compares the first 8 bytes as one integer).
    @Test func longNamesSortByTheirBytesPastTheFirstEight() throws {
        let folder = try TemporaryFolder()
        let names = [
            "abcdefgh", "abcdefghi", "abcdefgh-", "abcdefghZ", "abcdefg", "abcdefgh\u{e9}", "abcdefgi", "abcdefgg~~",
            "abcdefghijklmnop", "abcdefghijklmnoo", "a", "ab", "\u{e9}a", "b",
        ]
        for name in names { try folder.write("m/" + name, name) }
        let listing = try DirectoryHandle(path: folder.url("m")).entries(displayPath: "m")
        #expect(listing.names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// A folder split between two threads gives the serial walk's items, job for job: folder
    /// sizes around the split's edges (0, 1, odd, a run's length, the default threshold), ignored
    /// files in both halves, a subfolder (itself split) and a link in the middle, a FIFO, and
    /// sibling folders listed ahead of their turn, one of them ignored.
    @Test(arguments: [0, 1, 2, 3, 7, 64, 65, 129, 511, 512, 513])
    func aSplitFolderGivesTheSerialWalksItems(count: Int) throws {
        let folder = try TemporaryFolder()
        let middle = count / 2
        for index in 0..<count {
            let name = String(format: "e%04d", index)
            if count > 2 && index == middle {
                for inner in 0..<70 { try folder.write("m/\(name)/i\(inner)\(inner % 4 == 1 ? ".skip" : "")", "\(inner)") }
            } else if count > 2 && index == middle - 1 {
                try folder.makeFolder("m")
                #expect(symlink("e0000", folder.url("m/" + name)) == 0)
            } else if count > 4 && index == 1 {
                try folder.makeFolder("m")
                #expect(mkfifo(folder.url("m/" + name), 0o644) == 0)
            } else {
                try folder.write("m/" + name + (index % 5 == 3 ? ".skip" : ""), String(repeating: "x", count: index))
            }
        }
        // Sibling folders, one ignored; in "m" (which has a link) and in "z" (which has none,
        // so each is listed ahead while the one before it is walked).
        for sibling in ["z1", "z2", "z3", "z/a1", "z/a2", "z/z2", "z/a3"] {
            for inner in 0..<70 { try folder.write("m/\(sibling)/f\(inner)", "\(inner)") }
        }
        try folder.write("m/z/a2.file", "between")
        try folder.write("m/zz", "last")
        let root = try #require(realPath(folder.url("m")))
        for policy in [LinkPolicy.refuse, .followWithin([root])] {
            var walker = TreeWalker(linkPolicy: policy) { path, _ in
                path.hasSuffix(".skip") || path == "z2" || path == "z/z2"
            }
            walker.usesHelperThread = false
            let serial = describeFully(try walker.walk(path: folder.url("m"), displayPrefix: "m"))
            #expect(serial.contains { $0.hasPrefix("file z3/f0 as m/z3/f0 from z3/f0 ") } && !serial.contains { $0.contains("z2/") })
            #expect(serial.contains { $0.hasPrefix("file z/a3/f0 as m/z/a3/f0 from z/a3/f0 ") })
            #expect(serial.count(where: { $0.contains(".skip") }) == 0)
            walker.usesHelperThread = true
            for split in [1, 2, 3, 64, 512] {
                walker.namesToSplit = split
                let items = describeFully(try walker.walk(path: folder.url("m"), displayPrefix: "m"))
                #expect(items == serial, "\(count) names split from \(split)")
            }
        }
    }

    /// A folder whose names the helper starts on while the folder before it is taken (it is
    /// listed ahead, then split between the helper and the walk's thread when entered) gives the
    /// serial walk's items: sizes around a run's edges, ignored files, FIFOs and names that are not
    /// UTF-8 (reported first) at run edges, a prelisted folder that is itself not a leaf, and one
    /// with a link (nothing is listed ahead of the folder after it).
    @Test(arguments: [0, 1, 63, 64, 65, 513])
    func aFolderEnteredAfterAPrelistedSiblingGivesTheSerialWalksItems(count: Int) throws {
        let folder = try TemporaryFolder()
        func fill(_ path: String) throws {
            try folder.makeFolder("m/" + path)
            for index in 0..<count {
                let name = "m/\(path)/" + String(format: "f%04d", index)
                switch index % 64 {
                case 62: #expect(mkfifo(folder.url(name), 0o644) == 0)
                case 63, 0 where index > 0: try folder.write(name + ".skip", "\(index)")
                case 1: #expect(mkfifo(folder.url(name + ".skip"), 0o644) == 0)
                default: try folder.write(name, String(repeating: "x", count: index % 7))
                }
            }
            if count > 0 {
                // Not UTF-8: 0xff, in the middle of the names.
                let raw = Array(folder.url("m/\(path)/f0030").utf8) + [0xff, 0]
                let fd = raw.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
                #expect(fd >= 0)
                close(fd)
            }
        }
        // "a" is a leaf, so "b" is listed ahead and started on while "a" is taken; "b" and "c" are
        // leaves too; "d" holds a folder (and "d/s" then has "d/t" listed ahead); "e" holds a link,
        // so nothing is listed ahead of "f"; "g" is ignored, so "h" is the one listed ahead after "f".
        for inner in 0..<70 { try folder.write("m/p/a/f\(inner)", "\(inner)") }
        for path in ["p/b", "p/c", "p/d/s", "p/d/t", "p/e", "p/f", "p/g", "p/h"] { try fill(path) }
        try folder.write("m/p/d/z", "after the folders")
        #expect(symlink("../a", folder.url("m/p/e/link")) == 0)
        let root = try #require(realPath(folder.url("m")))
        for policy in [LinkPolicy.refuse, .followWithin([root])] {
            var walker = TreeWalker(linkPolicy: policy) { path, _ in path.hasSuffix(".skip") || path == "p/g" }
            walker.usesHelperThread = false
            let serial = describeFully(try walker.walk(path: folder.url("m"), displayPrefix: "m"))
            #expect(serial.contains { $0.hasPrefix("file p/a/f0 as m/p/a/f0 ") })
            #expect(count == 0 || serial.filter { $0.contains("not valid UTF-8") }.count == 7)
            #expect(count < 63 || serial.contains("error m/p/b/f0062: is a FIFO; refused, never read"))
            walker.usesHelperThread = true
            for split in [1, 2, 63, 64, 65, 512] {
                walker.namesToSplit = split
                let items = describeFully(try walker.walk(path: folder.url("m"), displayPrefix: "m"))
                #expect(items == serial, "\(count) names split from \(split)")
            }
        }
    }

    /// A folder that goes away after it was opened and listed ahead is walked as it was listed
    /// (its names are looked at through the open folder); one that goes away before the helper
    /// opens it is reported as missing, as the serial walk reports it. "b" is listed ahead while
    /// "a" is taken, "c" on the way while the helper leaves the last names of "b" to the walk.
    @Test(arguments: ["b", "c"], [false, true])
    func aFolderThatVanishesAroundItsPrelistingIsWalkedOrReported(moved: String, afterPrelisting: Bool) throws {
        let folder = try TemporaryFolder()
        for sibling in ["a", "b", "c"] {
            for inner in 0..<300 { try folder.write("m/p/\(sibling)/f\(inner)", "\(inner)") }
        }
        /// Counts the checks of the folder as a folder, notes whether a file in it was checked, and
        /// moves it away at the check given: the first (naming it as a folder to list ahead,
        /// before the helper is given it) or the second (entering it, once the helper is looking
        /// at its names).
        final class Mover: Sendable {
            let state = Locked((checks: 0, sawFile: false))
            let path: String
            let from: String
            let to: String
            let atCheck: Int
            let waitsForHelper: Bool
            init(path: String, from: String, to: String, atCheck: Int, waitsForHelper: Bool) {
                (self.path, self.from, self.to, self.atCheck, self.waitsForHelper) = (path, from, to, atCheck, waitsForHelper)
            }
            func ignore(_ checked: String, _ isDirectory: Bool) -> Bool {
                if checked.hasPrefix(path + "/") { state.withLock { $0.sawFile = true } }
                guard checked == path, isDirectory else { return false }
                let check = state.withLock { state in
                    state.checks += 1
                    return state.checks
                }
                guard check == atCheck else { return false }
                if waitsForHelper {
                    // The helper looks at the folder's names while this thread waits here.
                    for _ in 0..<10_000 where !state.withLock({ $0.sawFile }) { usleep(1_000) }
                    #expect(state.withLock { $0.sawFile }, "the helper never looked at \(path)")
                }
                #expect(rename(from, to) == 0)
                return false
            }
        }
        let (path, from, to) = ("p/" + moved, folder.url("m/p/" + moved), folder.url("moved"))
        var serialWalker = TreeWalker(linkPolicy: .refuse)
        serialWalker.usesHelperThread = false
        for split in [1, 64] {
            let mover = Mover(path: path, from: from, to: to, atCheck: afterPrelisting ? 2 : 1, waitsForHelper: afterPrelisting)
            var walker = TreeWalker(linkPolicy: .refuse, ignore: mover.ignore)
            walker.namesToSplit = split
            let expected: [String]
            if afterPrelisting {
                // As the tree was when listed ahead.
                expected = describeFully(try serialWalker.walk(path: folder.url("m"), displayPrefix: "m"))
            } else {
                let serialMover = Mover(path: path, from: from, to: to, atCheck: 1, waitsForHelper: false)
                var serial = TreeWalker(linkPolicy: .refuse, ignore: serialMover.ignore)
                serial.usesHelperThread = false
                expected = describeFully(try serial.walk(path: folder.url("m"), displayPrefix: "m"))
                #expect(expected.contains("error m/\(path): No such file or directory"))
                #expect(rename(to, from) == 0)
            }
            let items = describeFully(try walker.walk(path: folder.url("m"), displayPrefix: "m"))
            #expect(items == expected, "split from \(split)")
            #expect(rename(to, from) == 0)
        }
    }

    @Test func namesThatAreNotUTF8AreReportedInByteOrderAndTheRestWalked() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/ok", "ok")
        try folder.write("m/\u{e9}", "e")
        // Raw names: 0xff and a lone continuation byte are not UTF-8.
        for raw in [[0x7a, 0xff], [0x61, 0x80], [0xc3]] as [[UInt8]] {
            let path = Array(folder.url("m").utf8) + [0x2f] + raw + [0]
            let fd = path.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
            #expect(fd >= 0)
            close(fd)
        }
        let items = try TreeWalker(linkPolicy: .refuse).walk(path: folder.url("m"), displayPrefix: "m")
        let described = describe(items)
        #expect(described.count == 5)
        #expect(described.suffix(2) == ["file ok as m/ok", "file \u{e9} as m/\u{e9}"])
        for item in items.prefix(3) {
            guard case .failure(let error) = item else {
                Issue.record("expected a refused name, got \(item)")
                continue
            }
            #expect(error.reason == .invalidName)
        }
        let paths = items.prefix(3).compactMap { item -> [UInt8]? in
            if case .failure(let error) = item { return Array(error.path.utf8) }
            return nil
        }
        // In the bytes' order: "a\u{80}", "z\u{ff}", "\u{c3}" (shown with replacement characters).
        #expect(paths.map { String(decoding: $0, as: UTF8.self).hasPrefix("m/a") } == [true, false, false])
        #expect(paths.map { String(decoding: $0, as: UTF8.self).hasPrefix("m/z") } == [false, true, false])
    }

    @Test func symbolicLinksAreReportedNotFollowed() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/real", "x")
        #expect(symlink("real", folder.url("m/link")) == 0)
        let items = try TreeWalker(linkPolicy: .refuse).walk(path: folder.url("m"), displayPrefix: "m")
        #expect(describe(items) == [
            "error m/link: is a symbolic link; not followed (use --follow-symlinks)", "file real as m/real",
        ])
    }

    @Test func linksInsideTheAllowedRootAreFollowedAndEscapingOnesRefused() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/real", "x")
        try folder.write("m/sub/f", "y")
        try folder.write("outside", "secret")
        #expect(symlink("real", folder.url("m/inside")) == 0)
        #expect(symlink("sub", folder.url("m/subdir")) == 0)
        #expect(symlink("../outside", folder.url("m/escape")) == 0)
        #expect(symlink("nowhere", folder.url("m/dangling")) == 0)
        let root = try #require(realPath(folder.url("m")))
        let items = try TreeWalker(linkPolicy: .followWithin([root])).walk(path: folder.url("m"), displayPrefix: "m")
        #expect(describe(items) == [
            "error m/dangling: is a symbolic link to 'nowhere', which does not exist",
            "error m/escape: is a symbolic link to '../outside', outside the folder; refused",
            "file inside as m/inside", "file real as m/real", "file sub/f as m/sub/f", "file subdir/f as m/subdir/f",
        ])
    }

    @Test func aLinkCycleIsRefused() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/d/f", "x")
        #expect(symlink("..", folder.url("m/d/up")) == 0)
        let items = try TreeWalker(linkPolicy: .follow).walk(path: folder.url("m"), displayPrefix: "m")
        #expect(describe(items) == [
            "file d/f as m/d/f", "error m/d/up: symbolic link leads back into a folder being read; refused",
        ])
    }

    @Test func ignoredPathsAreLeftOutWholeFolderAtATime() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/.git/HEAD", "ref")
        try folder.write("m/keep", "k")
        try folder.write("m/sub/.git", "not top level")
        let walker = TreeWalker(linkPolicy: .refuse) { path, _ in path == ".git" }
        let items = try walker.walk(path: folder.url("m"), displayPrefix: "")
        #expect(describe(items) == ["file keep as keep", "file sub/.git as sub/.git"])
    }

    @Test func aFileBeneathTheRootIsNotOpenedThroughALinkSwappedInLater() throws {
        let folder = try TemporaryFolder()
        try folder.write("m/sub/f", "inside")
        try folder.write("elsewhere/f", "outside")
        let items = try TreeWalker(linkPolicy: .refuse).walk(path: folder.url("m"), displayPrefix: "m")
        guard case .file(_, let job) = items.first else {
            Issue.record("no file found")
            return
        }
        // Swap the folder for a link after listing: opening must not follow it.
        try FileManager.default.removeItem(atPath: folder.url("m/sub"))
        #expect(symlink(folder.url("elsewhere"), folder.url("m/sub")) == 0)
        let result = HashEngine(jobs: 1).hash([job])
        guard case .failure(let error) = result[0] else {
            Issue.record("read through a link swapped in after listing")
            return
        }
        #expect(error.reason == .linkInPath("sub"))
    }

    @Test func aFolderListedOnTheCommandLineExpandsInPlace() throws {
        let folder = try TemporaryFolder()
        try folder.write("d/x", "1")
        try folder.write("d/y", "2")
        try folder.write("f", "3")
        let items = PathExpander().expand([folder.url("f"), folder.url("d/"), folder.url("none")])
        #expect(describe(items) == [
            "file \(folder.url("f")) as \(folder.url("f"))", "file x as \(folder.url("d/x"))",
            "file y as \(folder.url("d/y"))", "error \(folder.url("none")): No such file or directory",
        ])
    }
}
