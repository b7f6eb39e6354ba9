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
    }

    /// The model first, then its ancestors nearest first.
    public var nodes: [Node]
    public var edges: [Edge]

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
                     role: reference.role.rawValue, resolved: parent != nil)
            }
        }
    }

    private func node(_ digest: String) -> Node? { nodes.first { $0.manifestDigest == digest } }

    /// "quantization: GPTQ 4-bit", "distillation, teacher: …": how the child came from the parent.
    private func label(_ edge: Edge, roleInParentheses: Bool) -> String {
        var text = edge.relation.rawValue
        if edge.role != "base" { text += roleInParentheses ? " (\(edge.role))" : ", \(edge.role)" }
        if let method = node(edge.child)?.method { text += ": \(method)" }
        return text
    }

    private func describe(_ node: Node) -> String {
        let signer = node.signers.first.map { $0.isEmpty ? "no key id" : short($0) } ?? "unsigned"
        return "\(node.name) [root \(short(node.rootDigest))] signed by \(signer) (\(node.trust))"
    }

    /// The ancestry as an indented tree, the model at the top.
    public func tree() -> String {
        guard let root = nodes.first else { return "" }
        var lines = [describe(root)]
        var shown: Set<String> = [root.manifestDigest]
        func children(of digest: String, prefix: String) {
            let up = edges.filter { $0.child == digest }
            for (index, edge) in up.enumerated() {
                let last = index == up.count - 1
                let how = label(edge, roleInParentheses: false)
                let connector = prefix + (last ? "└── " : "├── ")
                guard let parent = node(edge.parent) else {
                    lines.append(connector + "\(how) ← manifest \(short(edge.parent))… (NOT EMBEDDED)")
                    continue
                }
                let again = !shown.insert(parent.manifestDigest).inserted
                lines.append(connector + "\(how) ← \(describe(parent))" + (again ? " (shown above)" : ""))
                if !again { children(of: parent.manifestDigest, prefix: prefix + (last ? "    " : "│   ")) }
            }
        }
        children(of: root.manifestDigest, prefix: "")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Mermaid flowchart (parents above, arrows from parent to child), to paste into a model card.
    public func mermaid() -> String {
        var lines = ["flowchart TD"]
        let ids = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.manifestDigest, "m\($0)") })
        for (index, node) in nodes.enumerated() {
            let label = [node.name, "root \(short(node.rootDigest))", node.trust].map(mermaidEscape).joined(separator: "<br/>")
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
                lines.append("    \(from)[\"\(mermaidEscape("manifest \(short(edge.parent)) not embedded"))\"]")
            }
            lines.append("    \(from) -->|\"\(mermaidEscape(label(edge, roleInParentheses: true)))\"| \(ids[edge.child]!)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Graphviz digraph (render with `dot -Tsvg`).
    public func dot() -> String {
        var lines = ["digraph lineage {", "    rankdir=TB;", "    node [shape=box, fontname=\"Helvetica\"];"]
        let ids = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.manifestDigest, "m\($0)") })
        for (index, node) in nodes.enumerated() {
            let label = "\(node.name)\nroot \(short(node.rootDigest))\n\(node.trust)"
            lines.append("    m\(index) [label=\(dotQuote(label))\(index == 0 ? ", style=bold" : "")];")
        }
        var missing = 0
        for edge in edges {
            var from = ids[edge.parent]
            if from == nil {
                missing += 1
                from = "missing\(missing)"
                lines.append("    \(from!) [label=\(dotQuote("manifest \(short(edge.parent)) not embedded")), style=dashed];")
            }
            lines.append("    \(from!) -> \(ids[edge.child]!) [label=\(dotQuote(label(edge, roleInParentheses: true)))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Text safe inside a Mermaid quoted label: quotes and markup characters as entity codes,
/// control characters as spaces.
func mermaidEscape(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "#quot;"
        case "<": out += "#lt;"
        case ">": out += "#gt;"
        case "|": out += "#124;"
        case "#": out += "#35;"
        default: out.unicodeScalars.append(isControl(scalar) ? " " : scalar)
        }
    }
    return out
}

/// A Graphviz double-quoted string, control characters but line breaks as spaces.
func dotQuote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(isControl(scalar) ? " " : scalar)
        }
    }
    return out + "\""
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7f..<0xa0).contains(scalar.value) }
