import ArgumentParser
import Foundation
import PedigreeKit

struct Pedigree: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pedigree",
        abstract: "Signed, hash-linked provenance for machine-learning models.",
        version: "0.1.0",
        subcommands: [
            Hash.self, Keygen.self, Sign.self, Verify.self, LineageCommand.self, Diff.self, Check.self, Notices.self,
            Export.self, Show.self,
        ]
    )
}

/// Runs the tool: parses the command line (checking its options when that fails), runs the command, and turns
/// whatever ended the run into its message and exit status — in this one place.
@main
enum Main {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: any ParsableCommand
        do {
            command = try Pedigree.parseAsRoot(arguments)
        } catch {
            // A command line ArgumentParser accepts holds no unknown option, so the grammar is
            // read only when parsing failed: then an unknown option is what is reported first.
            if let unknown = Grammar.firstUnknownOption(arguments) {
                Console.parserMessage(unknown.message, toStandardOutput: false)
                exit(ExitStatus.usage.rawValue)
            }
            exit(report(error))
        }
        do {
            try command.run()
            exit(ExitStatus.success.rawValue)
        } catch {
            exit(report(error, command: type(of: command)))
        }
    }

    /// Prints what `error` says and returns the exit status it ends the run with.
    ///
    /// Library errors declare their status (`ExitStatusProviding`) and are printed as
    /// `pedigree: <description>`, escaped (line by line for a `MultilineDiagnostic`);
    /// ArgumentParser's errors (usage, help, version) keep its words and status (64 for usage).
    ///
    /// - Parameter command: the command that was running, so that a usage error found while it
    ///   ran shows that command's usage, as one found while parsing does.
    static func report(_ error: any Error, command: ParsableCommand.Type? = nil) -> Int32 {
        switch error {
        case let finished as Finished:
            return finished.status.rawValue
        case let failure as CommandFailure:
            Console.error(failure.message)
            return failure.exitStatus.rawValue
        case let multiline as any MultilineDiagnostic & ExitStatusProviding:
            let lines = multiline.description.split(separator: "\n", omittingEmptySubsequences: false)
            Console.error("\(lines.first ?? "")")
            for line in lines.dropFirst() { Console.note("\(line)") }
            return multiline.exitStatus.rawValue
        case let known as any ExitStatusProviding & CustomStringConvertible:
            Console.error("\(known.description)")
            return known.exitStatus.rawValue
        case let validation as ValidationError where command != nil && command != Pedigree.self:
            let name = command?._commandName ?? ""
            let usage = command.map { Pedigree.usageString(for: $0) } ?? ""
            Console.parserMessage(
                "Error: \(validation.message)\nUsage: \(usage)\n  See 'pedigree \(name) --help' for more information.",
                toStandardOutput: false)
            return ExitStatus.usage.rawValue
        default:
            let message = Pedigree.fullMessage(for: error)
            let code = Pedigree.exitCode(for: error)
            if !message.isEmpty { Console.parserMessage(message, toStandardOutput: code == .success) }
            return code.rawValue
        }
    }
}
