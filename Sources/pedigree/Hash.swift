import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

struct Hash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print or check SHA-256 digests, compatible with sha256sum.",
        discussion: """
            Folders are walked in sorted order. With --check, each PATH is a list written by \
            sha256sum (text or --tag form) and every file it names is verified. --quiet hides the \
            progress line, as on every command; with --check it also hides OK lines, as \
            sha256sum's --quiet does.
            """
    )

    @Argument(help: "Files or folders to hash; with --check, checksum lists ('-' for standard input).")
    var paths: [String]

    @Flag(name: .shortAndLong, help: "Read checksum lists and verify the files they name.")
    var check = false

    @Flag(help: "Print BSD-style lines: SHA256 (path) = digest.")
    var tag = false

    @Flag(help: "Print results as JSON.")
    var json = false

    @Option(name: [.short, .long], help: "Files hashed at once (default: all processors).")
    var jobs: Int?

    @Flag(help: "Follow symbolic links found inside folders.")
    var followSymlinks = false

    @Flag(name: .shortAndLong, help: "No progress line; with --check, also no OK lines (as sha256sum's --quiet).")
    var quiet = false

    @Flag(help: "With --check, print nothing; the exit code tells.")
    var status = false

    @Flag(help: "With --check, fail on improperly formatted lines.")
    var strict = false

    @Flag(name: .shortAndLong, help: "With --check, warn about each improperly formatted line.")
    var warn = false

    @Flag(help: "With --check, do not fail or report for files that do not exist.")
    var ignoreMissing = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if !check, status || strict || warn || ignoreMissing {
            throw ValidationError("--status, --strict, --warn and --ignore-missing go with --check")
        }
        if check, tag { throw ValidationError("--tag has no meaning with --check") }
    }

    func run() throws {
        let engine = HashEngine(jobs: jobs)
        if check {
            try runCheck(engine: engine)
        } else {
            try runHash(engine: engine)
        }
    }

    private func runHash(engine: HashEngine) throws {
        let items = PathExpander(followSymlinks: followSymlinks).expand(paths)
        var jobs: [HashJob] = []
        var slots: [Int?] = []  // item index → job index
        for item in items {
            if case .file(_, let job) = item {
                slots.append(jobs.count)
                jobs.append(job)
            } else {
                slots.append(nil)
            }
        }
        let counter = ByteCounter()
        let progress = ProgressLine(counter: counter, enabled: !quiet && !json)
        let format: ChecksumLine = tag ? .tag : .text
        let printer = OrderedPrinter(items: items, slots: slots, format: format, silent: json)
        let results = engine.hash(jobs, progress: counter) { index, result in printer.deliver(index, result) }
        progress.finish()
        printer.flush()

        var failed = false
        var rows: [HashReport.Row] = []
        for (item, slot) in zip(items, slots) {
            switch item {
            case .failure(let error):
                failed = true
                rows.append(HashReport.Row(path: error.path, status: "unreadable", error: error.reasonText))
            case .file(_, let job):
                switch results[slot!] {
                case .success(let file):
                    rows.append(HashReport.Row(path: job.displayPath, status: "ok", sha256: file.digest.hex, size: file.size))
                case .failure(let error):
                    failed = true
                    rows.append(HashReport.Row(path: error.path, status: "unreadable", error: error.reasonText))
                }
            }
        }
        if json {
            let summary = HashReport.Summary(
                files: rows.count { $0.sha256 != nil }, bytes: rows.reduce(0) { $0 + ($1.size ?? 0) },
                failed: rows.count { $0.error != nil })
            try Console.json(HashReport(ok: !failed, files: rows, summary: summary))
        }
        if failed { throw Finished(status: .failure) }
    }

    private func runCheck(engine: HashEngine) throws {
        var anyFailure = false
        var reports: [HashCheckReport.List] = []
        for listPath in paths {
            let text: String
            do {
                text = try readChecksumList(listPath)
            } catch {
                Console.error("\(error.description)")
                anyFailure = true
                reports.append(HashCheckReport.List(list: listPath, files: [], malformedLines: [], error: error.reasonText))
                continue
            }
            let list = ChecksumList(parsing: text)
            let shownName = listPath == "-" ? "'standard input'" : listPath
            // With --warn, each malformed line is reported where it stands among the results.
            let pendingWarnings = MalformedLineWarnings(
                lines: warn && !json ? list.malformedLines : [], listName: shownName)
            if list.entries.isEmpty {
                Console.error("\(shownName): no properly formatted checksum lines found")
                anyFailure = true
                reports.append(HashCheckReport.List(list: listPath, files: [], malformedLines: list.malformedLines))
                continue
            }
            let counter = ByteCounter()
            let progress = ProgressLine(counter: counter, enabled: !quiet && !status && !json)
            let verbose = !quiet && !status && !json
            let silent = status || json
            let results = list.check(engine: engine, ignoreMissing: ignoreMissing, progress: counter) { entry, outcome in
                guard !json else { return }
                pendingWarnings.report(before: entry.line)
                switch outcome {
                case .ok: if verbose { Console.checksumLine(ChecksumOutputLine(path: entry.path, result: "OK")) }
                case .failed: if !silent { Console.checksumLine(ChecksumOutputLine(path: entry.path, result: "FAILED")) }
                case .unreadable(let error):
                    Console.error("\(error.description)")
                    if !silent { Console.checksumLine(ChecksumOutputLine(path: entry.path, result: "FAILED open or read")) }
                case .skipped: break
                }
            }
            progress.finish()
            pendingWarnings.report(before: Int.max)
            let mismatched = results.count { if case .failed = $0 { true } else { false } }
            let unreadable = results.count { if case .unreadable = $0 { true } else { false } }
            if !status && !json {
                let malformed = list.malformedLines.count
                if malformed > 0 {
                    Console.error("WARNING: \(malformed) \(malformed == 1 ? "line is" : "lines are") improperly formatted")
                }
                if unreadable > 0 {
                    Console.error("WARNING: \(unreadable) listed \(unreadable == 1 ? "file" : "files") could not be read")
                }
                if mismatched > 0 {
                    Console.error(
                        "WARNING: \(mismatched) computed \(mismatched == 1 ? "checksum" : "checksums") did NOT match")
                }
            }
            if ignoreMissing, !results.contains(where: { $0 != .skipped }) {
                Console.error("\(shownName): no file was verified")
                anyFailure = true
            }
            if mismatched > 0 || unreadable > 0 || (strict && !list.malformedLines.isEmpty) {
                anyFailure = true
            }
            reports.append(
                HashCheckReport.List(
                    list: listPath,
                    files: zip(list.entries, results).map { HashCheckReport.Row(entry: $0, status: $1) },
                    malformedLines: list.malformedLines))
        }
        if json { try Console.json(HashCheckReport(ok: !anyFailure, lists: reports)) }
        if anyFailure { throw Finished(status: .failure) }
    }

    private func readChecksumList(_ path: String) throws(FileError) -> String {
        String(decoding: try readSmallFile(path, limit: 1 << 30, allowPipes: true), as: UTF8.self)
    }
}

/// Warnings for malformed lines, printed in line order among the results (`--warn`).
private final class MalformedLineWarnings: @unchecked Sendable {
    private var lines: ArraySlice<Int>
    private let listName: String

    init(lines: [Int], listName: String) {
        self.lines = lines[...]
        self.listName = listName
    }

    /// Prints the warnings for malformed lines before line `limit`.
    func report(before limit: Int) {
        while let line = lines.first, line < limit {
            Console.error("\(listName): \(line): improperly formatted SHA256 checksum line")
            lines.removeFirst()
        }
    }
}

/// Prints hash results in input order, interleaving the errors of items that were never hashed.
private final class OrderedPrinter: @unchecked Sendable {
    private let items: [WalkItem]
    private let slots: [Int?]
    private let format: ChecksumLine
    private let silent: Bool
    private var nextItem = 0
    private var results: [Int: Result<FileDigest, FileError>] = [:]

    init(items: [WalkItem], slots: [Int?], format: ChecksumLine, silent: Bool) {
        self.items = items
        self.slots = slots
        self.format = format
        self.silent = silent
    }

    /// Takes the result for job `index` (calls arrive serialized and in job order).
    func deliver(_ index: Int, _ result: Result<FileDigest, FileError>) {
        results[index] = result
        flush(upToJob: index)
    }

    /// Prints every item not printed yet.
    func flush() { flush(upToJob: Int.max) }

    private func flush(upToJob limit: Int) {
        while nextItem < items.count {
            switch items[nextItem] {
            case .failure(let error):
                if !silent { Console.error("\(error.description)") }
            case .file(_, let job):
                let slot = slots[nextItem]!
                guard slot <= limit, let result = results.removeValue(forKey: slot) else { return }
                guard !silent else { break }
                switch result {
                case .success(let file):
                    Console.checksumLine(ChecksumOutputLine(format: format, digest: file.digest, path: job.displayPath))
                case .failure(let error):
                    Console.error("\(error.description)")
                }
            }
            nextItem += 1
        }
    }
}
