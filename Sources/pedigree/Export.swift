import ArgumentParser
import Foundation
import PedigreeKit

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a signed manifest in another format.",
        discussion: """
            model-card: Hugging Face front matter (base_model, base_model_relation, license) and \
            a Markdown provenance section with the Mermaid lineage and the notices.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case modelCard = "model-card"
    }

    @Argument(help: "A model folder or a manifest file.")
    var model: String

    @Option(name: .shortAndLong, help: "The format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Option(help: "A trusted public key, to show trust in the lineage (repeatable).")
    var trustedKey: [String] = []

    func run() throws {
        let path = ModelChain.manifestFile(for: model)
        let chain: ModelChain
        do {
            chain = try ModelChain.load(path)
        } catch {
            if case .unreadable(let fileError) = error {
                throw fail("\(path): \(fileError.reasonText)", code: inputStatus(fileError))
            }
            throw fail("\(path): \(error)", code: Exit.dataError)
        }
        let keys = trustedKey.isEmpty ? nil : try loadTrustedKeys(files: trustedKey, folder: nil)
        let bytes: [UInt8]
        switch format {
        case .modelCard:
            bytes = Array(ModelCard.render(chain, keys: keys).utf8)
        }
        try emit(bytes)
    }

    private func emit(_ bytes: [UInt8]) throws {
        guard let output else {
            Console.raw(String(decoding: bytes, as: UTF8.self), toStandardOutput: true)
            return
        }
        do {
            try AtomicFile.write(bytes, to: output, overwrite: force)
        } catch {
            throw fail(error.description, code: Exit.cannotCreate)
        }
        Console.note("wrote \(output)")
    }
}
