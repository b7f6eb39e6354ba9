import Yams

/// Hugging Face model-card metadata (the README's YAML front matter) for a signed model.
public enum ModelCard {
    /// Hugging Face's `base_model_relation` for a relation, or `nil` where the Hub has none:
    /// `distillation`, `continued-pretraining`, `pruning` and `other` are recorded by pedigree
    /// only (the Hub knows `adapter`, `merge`, `quantized`, `finetune`).
    public static func hubRelation(_ relation: Relation) -> String? {
        switch relation {
        case .finetune: return "finetune"
        case .adapter: return "adapter"
        case .quantization: return "quantized"
        case .merge: return "merge"
        case .distillation, .continuedPretraining, .pruning, .other: return nil
        }
    }

    /// What the front matter should say, from the signed predicate.
    public struct Metadata: Equatable, Sendable {
        public var baseModels: [String]?
        public var relation: String?
        public var license: String?
        public var licenseName: String?
        public var licenseLink: String?
    }

    /// The front-matter values the signed manifest implies.
    public static func metadata(_ predicate: ModelPredicate) -> Metadata {
        var metadata = Metadata()
        if let lineage = predicate.lineage {
            metadata.baseModels = lineage.parents.map(\.name)
            metadata.relation = lineage.parents.first.flatMap { hubRelation($0.relation) }
        }
        if let license = predicate.license {
            if license.id == LicenseCatalog.openAtom.id {
                metadata.license = "other"
                metadata.licenseName = "openatom-model-license-1.0"
                metadata.licenseLink = license.files.first?.name.string ?? LicenseCatalog.openAtom.url
            } else if license.id.hasPrefix("LicenseRef-") {
                metadata.license = "other"
                metadata.licenseName = String(license.id.dropFirst("LicenseRef-".count)).lowercased()
                metadata.licenseLink = license.files.first?.name.string
            } else {
                metadata.license = license.id.lowercased()
            }
        }
        return metadata
    }

    /// The YAML front matter of a Markdown file, parsed; `nil` when there is none or it is not YAML.
    public static func frontMatter(in text: String) -> [String: Any]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first?.trimmingTrailingWhitespace() == "---",
            let end = lines.dropFirst().firstIndex(where: { $0.trimmingTrailingWhitespace() == "---" })
        else { return nil }
        let yaml = lines[1..<end].joined(separator: "\n")
        return (try? Yams.load(yaml: yaml)) as? [String: Any]
    }

    /// A model card for the chain: Hugging Face front matter, then a provenance section with
    /// the Mermaid lineage and the notices.
    public static func render(_ chain: ModelChain, keys: [TrustedKey]? = nil) -> String {
        let predicate = chain.manifest.predicate
        var lines = ["---"]
        if let predicate {
            let metadata = metadata(predicate)
            if let license = metadata.license { lines.append("license: \(yamlScalar(license))") }
            if let name = metadata.licenseName { lines.append("license_name: \(yamlScalar(name))") }
            if let link = metadata.licenseLink { lines.append("license_link: \(yamlScalar(link))") }
            if let bases = metadata.baseModels {
                lines.append("base_model:")
                lines += bases.map { "- \(yamlScalar($0))" }
            }
            if let relation = metadata.relation { lines.append("base_model_relation: \(relation)") }
        }
        lines += ["---", "", "## Provenance", ""]
        lines.append("Signed with pedigree: model `\(chain.manifest.name)`, root digest "
                     + "`sha256:\(chain.manifest.rootDigest.hex)`, manifest `sha256:\(chain.manifest.manifestDigest.hex)`.")
        if let lineage = predicate?.lineage {
            let relation = lineage.parents.first.relation
            lines += ["", "Derived by \(relation.rawValue)" + (hubRelation(relation) == nil ? " (a relation the Hub's `base_model_relation` has no value for)" : "")
                      + (lineage.derivation.method.map { ": \($0)" } ?? ".")]
            if !lineage.derivation.datasets.isEmpty {
                lines.append("Datasets: " + lineage.derivation.datasets.map { $0.name + ($0.digest.map { " (`\($0)`)" } ?? "") }.joined(separator: ", ") + ".")
            }
        }
        lines += ["", "```mermaid", LineageGraph(chain: chain, keys: keys).mermaid().trimmingTrailingWhitespace(), "```"]
        if let notices = predicate?.notices, !(notices.retained.isEmpty && notices.added.isEmpty) {
            lines += ["", "### Notices", ""]
            lines += notices.retained.map { "- \(markdownLine($0.text)) _(from \($0.origin.model))_" }
            lines += notices.added.map { "- \(markdownLine($0.text))" }
        }
        if let modifications = predicate?.modifications, !modifications.isEmpty {
            lines += ["", "### Modifications", ""]
            lines += modifications.map { "- " + $0.files.map { "`\($0)`" }.joined(separator: ", ") + ": \(markdownLine($0.description))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func markdownLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// A YAML scalar: plain when safe, else double-quoted.
    static func yamlScalar(_ text: String) -> String {
        let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
            && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(text.lowercased())
            && !(text.first?.isNumber ?? false)
        if plain { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
