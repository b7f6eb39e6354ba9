import ArgumentParser
import Foundation
import PedigreeKit

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the file-level changes between two models or manifests.",
        discussion: """
            Each side is a manifest (its signed file list is used) or a folder (its files are \
            hashed). Files are unchanged (same path and digest), modified, added, removed, or \
            renamed (the same digest under a new path). With --exit-code, exits 1 when the \
            sides differ, as git diff does.
            """
    )

    @Argument(help: "The old model: a folder or a manifest.")
    var old: String

    @Argument(help: "The new model: a folder or a manifest.")
    var new: String

    @Flag(help: "List unchanged files too.")
    var all = false

    @Flag(help: "Exit with 1 when the sides differ, 0 when they do not.")
    var exitCode = false

    @OptionGroup var hashing: HashingOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let progress = hashing.progress(json: output.json)
        defer { progress.line.finish() }
        let comparison = try ModelComparer(engine: hashing.engine).compare(old: old, new: new, progress: progress.counter)
        progress.line.finish()
        let failed = exitCode && comparison.differ
        if output.json {
            try Console.json(DiffReport(comparison, ok: !failed))
        } else {
            let changes = comparison.changes
            if all { changes.unchanged.forEach { Console.out("unchanged  \($0)") } }
            changes.modified.forEach { Console.out("modified   \($0)") }
            changes.added.forEach { Console.out("added      \($0)") }
            changes.removed.forEach { Console.out("removed    \($0)") }
            changes.renamed.forEach { Console.out("renamed    \($0.from) -> \($0.to)") }
            Console.out("\(changes.modified.count) modified, \(changes.added.count) added, \(changes.removed.count) removed, "
                        + "\(changes.renamed.count) renamed, \(changes.unchanged.count) unchanged")
        }
        if failed { throw Finished(status: .failure) }
    }
}
