import ArgumentParser
import Foundation
import PedigreeKit

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
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

    @Flag(help: "Compare tensors instead of files: safetensors and GGUF, matched by content then by name; values compared when both sides are folders.")
    var tensors = false

    @OptionGroup var hashing: HashingOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        if tensors { return try runTensors() }
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

    private func runTensors() throws {
        // Bytes of the total: the weights files read for their tensor digests, then the tensors
        // whose values are compared (announced once the matching knows them).
        let progress = hashing.progress(json: output.json)
        defer { progress.line.finish() }
        let (oldSide, newSide) = try TensorDiff.sides(old: old, new: new, progress: progress.counter)
        let comparison = try TensorDiff.compare(old: oldSide, new: newSide, progress: progress.counter)
        progress.line.finish()
        let differ = comparison.matches.contains { $0.kind != .identical }
        let failed = exitCode && differ
        if output.json {
            try Console.json(TensorDiffReport(comparison, old: oldSide, new: newSide, differ: differ, ok: !failed))
        } else {
            for match in comparison.matches where all || match.kind != .identical {
                let name = match.child?.name ?? match.parent?.name ?? ""
                var line: TerminalText = "\(match.kind.rawValue, width: 13) \(name)"
                if match.kind == .renamed, let parent = match.parent, let child = match.child {
                    line = "\(match.kind.rawValue, width: 13) \(parent.file):\(parent.name) -> \(child.file):\(child.name)"
                }
                if let parent = match.parent, let child = match.child {
                    if parent.dtype != child.dtype { line += " \(parent.dtype.rawValue) -> \(child.dtype.rawValue)" }
                    if parent.shape != child.shape { line += " \(parent.shape.description) -> \(child.shape.description)" }
                }
                if let values = match.values {
                    line += ": \(values.verdict.name)"
                    if case .differs = values.verdict {
                        if let l2 = values.metrics.relativeL2 { line += ", relative L2 \(formatMetric(l2))" }
                        if let cosine = values.metrics.cosine { line += ", cosine \(formatMetric(cosine))" }
                    }
                }
                Console.out(line)
            }
            var counts: [String] = TensorChangeKind.allCases.compactMap { kind in
                let count = comparison.count(kind)
                return count == 0 && kind != .identical ? nil : "\(count) \(kind.rawValue)"
            }
            if comparison.valuesCompared {
                for verdict in ["exact", "cast-exact", "quantized-consistent", "differs"] where comparison.count(verdict: verdict) > 0 {
                    counts.append("\(comparison.count(verdict: verdict)) \(verdict)")
                }
            } else {
                counts.append("values not compared (a side is a manifest)")
            }
            Console.out("\(comparison.childTensorCount) tensors against \(comparison.parentTensorCount): \(counts.joined(separator: ", "))")
            if let l2 = comparison.overall.relativeL2, let cosine = comparison.overall.cosine {
                Console.out("overall change: relative L2 \(formatMetric(l2)), cosine \(formatMetric(cosine))")
            }
        }
        if failed { throw Finished(status: .failure) }
    }
}

/// A metric with 6 significant digits, as the evidence rounds them.
func formatMetric(_ value: Double) -> String {
    String(format: "%.6g", value)
}
