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
            FOLDER that descend from the model.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tree, json, mermaid, dot
    }

    @Argument(help: "A model folder or a manifest file.")
    var model: String

    @Option(name: .shortAndLong, help: "The output format.")
    var format: Format = .tree

    @Option(name: .shortAndLong, help: "A trusted public key (repeatable).")
    var key: [String] = []

    @Option(help: "A folder of trusted public keys.")
    var trustedKeys: String?

    @Option(help: "Also find the models under this folder that descend from this one.")
    var search: String?

    func run() throws {
        let path = ModelChain.manifestFile(for: model)
        let chain = try loadChain(path)
        let keys = key.isEmpty && trustedKeys == nil ? nil : try loadTrustedKeys(files: key, folder: trustedKeys)
        let graph = LineageGraph(chain: chain, keys: keys)
        var descendants: [Descendant]? = nil
        if let search {
            do {
                descendants = try Descendants.find(of: chain.manifest, under: search)
            } catch {
                throw fail(error.description, code: inputStatus(error))
            }
        }
        switch format {
        case .tree:
            Console.raw(Console.safe(graph.tree()), toStandardOutput: true)
            if let descendants {
                Console.out(descendants.isEmpty ? "no descendants under \(search!)" : "descendants under \(search!):")
                for descendant in descendants {
                    let path = descendant.path.map { "\($0.relation.rawValue) of \($0.parent)" }.joined(separator: " ← ")
                    Console.out("  \(descendant.name) (\(descendant.manifest)): \(path)")
                }
            }
        case .json:
            try Console.json(LineageReport(graph: graph, descendants: descendants))
        case .mermaid:
            Console.raw(graph.mermaid(), toStandardOutput: true)
        case .dot:
            Console.raw(graph.dot(), toStandardOutput: true)
        }
        let problems = chain.problems()
        for problem in problems { Console.error(problem) }
        if !problems.isEmpty { throw ExitCode.failure }
    }
}

private struct LineageReport: Encodable {
    var nodes: [LineageGraph.Node]
    var edges: [LineageGraph.Edge]
    var descendants: [Descendant]?

    init(graph: LineageGraph, descendants: [Descendant]?) {
        nodes = graph.nodes
        edges = graph.edges
        self.descendants = descendants
    }
}
