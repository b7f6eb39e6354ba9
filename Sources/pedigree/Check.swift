import ArgumentParser
import Foundation
import PedigreeKit

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a model folder against its licenses' distribution conditions.",
        discussion: """
            Evaluates, one line each with evidence, the conditions of every license in the \
            model's signed chain: the OpenAtom Model License 1.0 §3.1(1)-(4) (a copy of the \
            license, notices retained, notices of modification, lawful use) and the Apache \
            License 2.0 §4(a)-(d). A hosted service (--distribution hosted) is exempt from \
            §3.1(1) and (3). Exits 1 when a condition fails, 2 when a license could not be \
            checked; warns when the README's front matter disagrees with the signed lineage.
            """
    )

    @Argument(help: "The model folder.")
    var folder: String

    @Option(name: .shortAndLong, help: "The manifest (default: DIR/pedigree.json).")
    var manifest: String?

    @Option(help: "Check as distributed this way (files or hosted), whatever the manifest says.")
    var distribution: Distribution?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let manifestPath = manifest ?? joinPath(folder, "pedigree.json")
        let chain = try loadChain(manifestPath)
        let report: CheckReport
        do {
            report = try ObligationChecker().check(folder: folder, chain: chain, distribution: distribution)
        } catch {
            if case .folder(let fileError) = error { throw fail(error.description, code: inputStatus(fileError)) }
            throw fail(error.description, code: Exit.dataError)
        }
        if json {
            try Console.json(report)
        } else {
            Console.out("\(report.model): \(report.licenses.isEmpty ? "no license" : report.licenses.joined(separator: ", ")), distributed as \(report.distribution.rawValue)")
            for obligation in report.obligations {
                let head = "\(obligation.verdict.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(obligation.clause) \(obligation.title)"
                Console.out(head + (obligation.evidence.isEmpty ? "" : ": " + obligation.evidence.joined(separator: "; ")))
                for problem in obligation.problems { Console.out("          - \(problem)") }
            }
            for warning in report.warnings { Console.error("warning: \(warning)") }
        }
        if report.failed { throw ExitCode.failure }
        if report.unchecked { throw ExitCode(2) }
    }
}
