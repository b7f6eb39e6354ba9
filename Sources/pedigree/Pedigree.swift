import ArgumentParser

@main
struct Pedigree: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pedigree",
        abstract: "Signed, hash-linked provenance for machine-learning models.",
        version: "0.1.0",
        subcommands: [Hash.self, Keygen.self, Sign.self, Verify.self, LineageCommand.self, Diff.self, Check.self, Notices.self, Export.self]
    )
}
