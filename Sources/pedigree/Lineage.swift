import ArgumentParser
import Foundation
import PedigreeKit

struct LineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Show a model's ancestry from the chain its manifest carries.",
        discussion: """
            Reads only the manifest: no network, no other files. Each node shows its name, how \
            it was derived (relation and method), its root digest, its signer and, with keys, \
            whether that signer is trusted. --search FOLDER also lists the manifests under \
            FOLDER that descend from the model. --json is --format json.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tree, json, mermaid, dot
    }

    @Argument(help: "A model folder or a manifest file.")
    var model: String

    @Option(name: .shortAndLong, help: "The output format.")
    var format: Format?

    @OptionGroup(title: "Trusted keys") var trust: TrustOptions

    @Option(help: "Also find the models under this folder that descend from this one.")
    var search: String?

    @OptionGroup var output: JSONOption

    func validate() throws {
        if output.json, let format, format != .json { throw ValidationError("--json prints JSON; it cannot go with --format \(format.rawValue)") }
    }

    func run() throws {
        let path = ModelChain.manifestFile(for: model)
        let chain = try loadChain(path)
        let graph = LineageGraph(chain: chain, keys: try trust.loadIfGiven())
        var descendants: [Descendant]? = nil
        if let search { descendants = try Descendants.find(of: chain.manifest, under: search) }
        let problems = chain.problems()
        switch output.json ? .json : format ?? .tree {
        case .tree:
            Console.out(graph.tree())
            if let descendants, let search {
                Console.out(descendants.isEmpty ? "no descendants under \(search)" : "descendants under \(search):")
                for descendant in descendants {
                    let steps = descendant.path.map { "\($0.relation.rawValue) of \($0.parent)" }.joined(separator: " ← ")
                    Console.out("  \(descendant.name) (\(descendant.manifest)): \(steps)")
                }
            }
        case .json:
            try Console.json(LineageReport(ok: problems.isEmpty, manifest: path, nodes: graph.nodes, edges: graph.edges, unverifiedReferences: graph.unverifiedReferences,
                                           descendants: descendants, problems: problems))
        case .mermaid:
            Console.document(Array(graph.mermaid().utf8))
        case .dot:
            Console.document(Array(graph.dot().utf8))
        }
        for problem in problems { Console.error("\(problem)") }
        if !problems.isEmpty { throw Finished(status: .failure) }
    }
}
