import ArgumentParser
import Foundation
import PedigreeKit

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
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

    @OptionGroup var output: JSONOption

    func run() throws {
        let manifestPath = manifest ?? ModelChain.manifestFile(for: folder)
        let chain = try loadChain(manifestPath)
        let report = try ObligationChecker().check(folder: folder, chain: chain, distribution: distribution)
        if output.json {
            try Console.json(CheckJSONReport(report, manifest: manifestPath))
        } else {
            let licenses = report.licenses.isEmpty ? "no license" : report.licenses.joined(separator: ", ")
            Console.out("\(report.model): \(licenses), distributed as \(report.distribution.rawValue)")
            for obligation in report.obligations {
                let evidence: TerminalText = obligation.evidence.isEmpty ? "" : ": \(obligation.evidence.joined(separator: "; "))"
                Console.out("\(obligation.verdict.rawValue, width: 9) \(obligation.clause) \(obligation.title)\(evidence)")
                for problem in obligation.problems { Console.out("          - \(problem)") }
            }
            for warning in report.warnings { Console.warning("\(warning)") }
        }
        if report.failed { throw Finished(status: .failure) }
        if report.unchecked { throw Finished(status: .unchecked) }
    }
}
