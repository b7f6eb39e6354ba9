/// A model's ancestry as nodes (manifests) and edges (parent references), ready to print.
public struct LineageGraph: Encodable, Sendable {
    /// One manifest in the ancestry.
    public struct Node: Encodable, Sendable, Equatable {
        /// The manifest digest: what children name this node by.
        public var manifestDigest: String
        public var name: String
        public var version: String?
        public var format: ManifestFormat
        public var rootDigest: String
        public var license: String?
        public var createdAt: String?
        /// Key ids of its signatures.
        public var signers: [String]
        /// `trusted`, `untrusted` or `invalid` when keys were given, else `unverified`.
        public var trust: String
        /// How this node was derived from its parents, if it was.
        public var relation: Relation?
        public var method: String?
        /// 0 for the model itself, 1 for its parents, …
        public var depth: Int
    }

    /// "`child` derives from `parent`".
    public struct Edge: Encodable, Sendable, Equatable {
        public var child: String
        public var parent: String
        public var relation: Relation
        public var role: String
        /// Whether the parent's manifest is embedded (it always is in a sound chain).
        public var resolved: Bool
        /// The grade of the tensor evidence the child signed for this parent, if any.
        public var evidence: EvidenceGrade?
    }

    /// A base model a manifest of the graph names without a signed manifest: drawn dashed,
    /// never a node that a digest links.
    public struct UnverifiedEdge: Encodable, Sendable, Equatable {
        /// The manifest digest of the model that names it.
        public var child: String
        public var name: String
        /// Where the name was read (`README.md front matter base_model`).
        public var source: String
        public var relation: String?
    }

    /// The model first, then its ancestors nearest first.
    public var nodes: [Node]
    public var edges: [Edge]
    public var unverifiedReferences: [UnverifiedEdge]

    /// The graph of `chain`, with trust computed from `keys` (no keys: every node `unverified`).
    public init(chain: ModelChain, keys: [TrustedKey]? = nil) {
        let all = [(chain.manifest, 0)] + chain.lineage()
        let budget = SignatureBudget()  // one for the whole graph, as for verify
        nodes = all.map { manifest, depth in
            var trust = "unverified"
            if let keys {
                let results = manifest.envelope.checkSignatures(keys: keys, budget: budget)
                trust = results.contains { $0.status == .invalid } ? "invalid"
                    : results.contains { $0.status == .trusted } ? "trusted" : "untrusted"
            }
            let lineage = manifest.predicate?.lineage
            return Node(
                manifestDigest: manifest.manifestDigest.hex, name: manifest.name, version: manifest.predicate?.model.version,
                format: manifest.format, rootDigest: manifest.rootDigest.hex, license: manifest.predicate?.license?.id,
                createdAt: manifest.predicate?.createdAt, signers: manifest.envelope.signatures.map(\.keyid),
                trust: trust, relation: lineage?.parents.first?.relation, method: lineage?.derivation.method, depth: depth)
        }
        edges = all.flatMap { manifest, _ in
            chain.parents(of: manifest).map { reference, parent in
                Edge(child: manifest.manifestDigest.hex, parent: reference.manifestDigest.hex, relation: reference.relation,
                     role: reference.role.rawValue, resolved: parent != nil, evidence: reference.evidence?.grade)
            }
        }
        unverifiedReferences = all.flatMap { manifest, _ in
            (manifest.predicate?.unverifiedReferences ?? []).map {
                UnverifiedEdge(child: manifest.manifestDigest.hex, name: $0.name, source: $0.source, relation: $0.relation)
            }
        }
    }

    private func node(_ digest: String) -> Node? { nodes.first { $0.manifestDigest == digest } }

    /// The pieces of "quantization: GPTQ 4-bit", "distillation, teacher: …": the relation (and
    /// role) we word, and the method the manifest gives, kept apart so each sink escapes the
    /// manifest's part.
    private func label(_ edge: Edge, roleInParentheses: Bool) -> (how: String, method: String?) {
        var how = edge.relation.rawValue
        if edge.role != "base" { how += roleInParentheses ? " (\(edge.role))" : ", \(edge.role)" }
        if let grade = edge.evidence { how += " (evidence: \(grade.rawValue))" }
        return (how, node(edge.child)?.method)
    }

    private func describe(_ node: Node) -> TerminalText {
        let signer = node.signers.first.map { $0.isEmpty ? "no key id" : short($0) } ?? "unsigned"
        return "\(node.name) [root \(short(node.rootDigest))] signed by \(signer) (\(node.trust))"
    }

    /// The ancestry as an indented tree, the model at the top, every name escaped for the terminal.
    public func tree() -> TerminalText {
        guard let root = nodes.first else { return .empty }
        var lines: [TerminalText] = [describe(root)]
        var shown: Set<String> = [root.manifestDigest]
        func children(of digest: String, prefix: String) {
            let up = edges.filter { $0.child == digest }
            for (index, edge) in up.enumerated() {
                let last = index == up.count - 1
                let (how, method) = label(edge, roleInParentheses: false)
                let connector: TerminalText = "\(prefix)\(last ? "└── " : "├── ")\(how)\(method.map { ": " + $0 } ?? "")"
                guard let parent = node(edge.parent) else {
                    lines.append(connector + " ← manifest \(short(edge.parent))… (NOT EMBEDDED)")
                    continue
                }
                let again = !shown.insert(parent.manifestDigest).inserted
                lines.append(connector + " ← \(describe(parent))" + (again ? " (shown above)" : ""))
                if !again { children(of: parent.manifestDigest, prefix: prefix + (last ? "    " : "│   ")) }
            }
            let named = unverifiedReferences.filter { $0.child == digest }
            for (index, reference) in named.enumerated() {
                let last = index == named.count - 1
                let how: TerminalText = reference.relation.map { "\($0)" } ?? "base"
                lines.append("\(prefix)\(last ? "└╌╌ " : "├╌╌ ")" + how + " ← \(reference.name) (UNVERIFIED: named in \(reference.source), no signed manifest)")
            }
        }
        children(of: root.manifestDigest, prefix: "")
        return lines.joined(separator: "\n")
    }

    /// A Mermaid flowchart (parents above, arrows from parent to child), to paste into a model
    /// card; every label goes through `Mermaid.label`.
    public func mermaid() -> String {
        var lines = ["flowchart TD"]
        let ids = Dictionary(nodes.enumerated().map { ($1.manifestDigest, "m\($0)") }, uniquingKeysWith: { first, _ in first })
        for (index, node) in nodes.enumerated() {
            let label = [node.name, "root \(short(node.rootDigest))", node.trust].map(Mermaid.label).joined(separator: Mermaid.lineBreak)
            lines.append("    m\(index)[\"\(label)\"]")
        }
        var missing = 0
        for edge in edges {
            let from: String
            if let id = ids[edge.parent] {
                from = id
            } else {
                missing += 1
                from = "missing\(missing)"
                lines.append("    \(from)[\"\(Mermaid.label("manifest \(short(edge.parent)) not embedded"))\"]")
            }
            let (how, method) = label(edge, roleInParentheses: true)
            let text = Mermaid.label(how) + (method.map { ": " + Mermaid.label($0) } ?? "")
            lines.append("    \(from) -->|\"\(text)\"| \(ids[edge.child] ?? "m0")")
        }
        for (index, reference) in unverifiedReferences.enumerated() {
            let label = [reference.name, "unverified reference"].map(Mermaid.label).joined(separator: Mermaid.lineBreak)
            lines.append("    u\(index)[\"\(label)\"]")
            let how = Mermaid.label(reference.relation ?? "named in \(reference.source)")
            lines.append("    u\(index) -.->|\"\(how)\"| \(ids[reference.child] ?? "m0")")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Graphviz digraph (render with `dot -Tsvg`); every label goes through `DOT.label`.
    public func dot() -> String {
        var lines = ["digraph lineage {", "    rankdir=TB;", "    node [shape=box, fontname=\"Helvetica\"];"]
        let ids = Dictionary(nodes.enumerated().map { ($1.manifestDigest, "m\($0)") }, uniquingKeysWith: { first, _ in first })
        for (index, node) in nodes.enumerated() {
            let label = DOT.quoted([node.name, "root \(short(node.rootDigest))", node.trust])
            lines.append("    m\(index) [label=\(label)\(index == 0 ? ", style=bold" : "")];")
        }
        var missing = 0
        for edge in edges {
            let from: String
            if let id = ids[edge.parent] {
                from = id
            } else {
                missing += 1
                from = "missing\(missing)"
                lines.append("    \(from) [label=\(DOT.quoted(["manifest \(short(edge.parent)) not embedded"])), style=dashed];")
            }
            let (how, method) = label(edge, roleInParentheses: true)
            let text = "\"" + DOT.label(how) + (method.map { ": " + DOT.label($0) } ?? "") + "\""
            lines.append("    \(from) -> \(ids[edge.child] ?? "m0") [label=\(text)];")
        }
        for (index, reference) in unverifiedReferences.enumerated() {
            lines.append("    u\(index) [label=\(DOT.quoted([reference.name, "unverified reference"])), style=dashed];")
            let how = DOT.quoted([reference.relation ?? "named in \(reference.source)"])
            lines.append("    u\(index) -> \(ids[reference.child] ?? "m0") [label=\(how), style=dashed];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
