import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the file-level changes between two models or manifests.",
        discussion: """
            Each side is a manifest (its signed file list is used) or a folder (its files are \
            hashed). Files are unchanged (same path and digest), modified, added, removed, or \
            renamed (the same digest under a new path).
            """
    )

    @Argument(help: "The old model: a folder or a manifest.")
    var old: String

    @Argument(help: "The new model: a folder or a manifest.")
    var new: String

    @Flag(help: "List unchanged files too.")
    var all = false

    @Flag(help: "Print the changes as JSON.")
    var json = false

    @OptionGroup var hashing: HashingOptions

    func run() throws {
        let before = try files(of: old)
        let after = try files(of: new)
        let changes = FileDiff.compare(old: before, new: after)
        if json {
            try Console.json(changes)
            return
        }
        if all { changes.unchanged.forEach { Console.out("unchanged  \(printable($0))") } }
        changes.modified.forEach { Console.out("modified   \(printable($0))") }
        changes.added.forEach { Console.out("added      \(printable($0))") }
        changes.removed.forEach { Console.out("removed    \(printable($0))") }
        changes.renamed.forEach { Console.out("renamed    \(printable($0.from)) -> \(printable($0.to))") }
        Console.out("\(changes.modified.count) modified, \(changes.added.count) added, \(changes.removed.count) removed, "
                    + "\(changes.renamed.count) renamed, \(changes.unchanged.count) unchanged")
    }

    /// The files of a side: a manifest's signed list, or a folder's hashed contents.
    private func files(of path: String) throws -> [(name: String, digest: SHA256Digest)] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw fail("\(path): No such file or directory", code: Exit.noInput)
        }
        if !isFolder.boolValue {
            let manifest = try loadChain(path).manifest
            if let problem = manifest.consistencyProblems().first { throw fail("\(path): \(problem)", code: Exit.dataError) }
            return manifest.entries.map { ($0.name.string, $0.digest) }
        }
        do {
            let hashed = try ModelFolder(path: path).hash(engine: hashing.engine)
            if let problem = hashed.problems.first {
                throw fail("\(path)/\(problem)", code: Exit.dataError)
            }
            return hashed.files.map { ($0.name, $0.digest) }
        } catch let error as FileError {
            throw fail(error.description, code: inputStatus(error))
        }
    }
}
