import Yams

/// Hugging Face model-card metadata (the README's YAML front matter) for a signed model.
public enum ModelCard {
    /// Hugging Face's `base_model_relation` for a relation, or `nil` where the Hub has none:
    /// `distillation`, `continued-pretraining`, `pruning`, `conversion` and `other` are recorded
    /// by pedigree only (the Hub knows `adapter`, `merge`, `quantized`, `finetune`). A
    /// conversion is not written as `quantized`: its values are the parent's, and `quantized`
    /// would say they are not; `base_model` alone names the parent, and the provenance section
    /// says "conversion".
    public static func hubRelation(_ relation: Relation) -> String? {
        switch relation {
        case .finetune: return "finetune"
        case .adapter: return "adapter"
        case .quantization: return "quantized"
        case .merge: return "merge"
        case .distillation, .continuedPretraining, .pruning, .conversion, .other: return nil
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
            // A distillation's teacher is not a base model: the Hub's base_model lists what the
            // weights derive from.
            let bases = lineage.parents.filter { $0.role == .base }
            metadata.baseModels = bases.isEmpty ? nil : bases.map(\.name)
            metadata.relation = bases.first.flatMap { hubRelation($0.relation) }
        } else if !predicate.unverifiedReferences.isEmpty {
            // Named in the README to begin with: kept as the card said, unverified.
            metadata.baseModels = predicate.unverifiedReferences.map(\.name)
            metadata.relation = predicate.unverifiedReferences.first?.relation
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

    /// What a folder's README front matter declares that `sign` takes when no option gives it.
    public struct Declared: Equatable, Sendable {
        /// The `--license` value the front matter amounts to, when pedigree knows the license.
        public var license: String?
        /// `license` (and `license_name`) as written, for messages.
        public var licenseAsWritten: String?
        /// `base_model`, one name or several.
        public var baseModels: [String]
        /// `base_model_relation` as written.
        public var relation: String?

        /// The base models as unverified references, read from the README's front matter.
        public var references: [UnverifiedReference] {
            baseModels.map { UnverifiedReference(name: $0, source: "README.md front matter base_model", relation: relation) }
        }
    }

    /// The license and base model(s) the Hugging Face front matter of `folder/README.md`
    /// declares; `nil` when there is no README (read without following a link), no front
    /// matter, or it declares neither.
    ///
    /// `license: other` with `license_name: openatom-model-license-1.0` (as `export --format
    /// model-card` writes it) is the OpenAtom Model License; any other `license` counts only
    /// when `LicenseCatalog` knows it. `base_model` is a name or a list of names.
    public static func declared(folder: String) -> Declared? {
        guard let root = try? DirectoryHandle(path: folder),
            let bytes = try? readSmallFile(from: .beneath(root, components: ["README.md"]), displayPath: "README.md", limit: 1 << 20),
            let front = frontMatter(in: String(decoding: bytes, as: UTF8.self))
        else { return nil }
        var declared = Declared(baseModels: [])
        if let license = front["license"] as? String {
            let name = front["license_name"] as? String
            declared.licenseAsWritten = "license: \(license)" + (name.map { ", license_name: \($0)" } ?? "")
            if license.lowercased() == "other" {
                if name?.lowercased() == "openatom-model-license-1.0" { declared.license = "openatom" }
            } else if let known = LicenseCatalog.license(named: license) {
                declared.license = known.id
            }
        }
        if let one = front["base_model"] as? String {
            declared.baseModels = [one]
        } else if let many = front["base_model"] as? [Any] {
            declared.baseModels = many.compactMap { $0 as? String }
        }
        declared.relation = front["base_model_relation"] as? String
        return declared.licenseAsWritten == nil && declared.baseModels.isEmpty ? nil : declared
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

    /// The front matter's pairs, in the order the Hub documents them.
    public static func frontMatterPairs(_ metadata: Metadata) -> [(key: String, value: YAMLFrontMatter.Value)] {
        var pairs: [(key: String, value: YAMLFrontMatter.Value)] = []
        if let license = metadata.license { pairs.append(("license", .string(license))) }
        if let name = metadata.licenseName { pairs.append(("license_name", .string(name))) }
        if let link = metadata.licenseLink { pairs.append(("license_link", .string(link))) }
        if let bases = metadata.baseModels { pairs.append(("base_model", .list(bases))) }
        if let relation = metadata.relation { pairs.append(("base_model_relation", .string(relation))) }
        return pairs
    }

    /// A model card for the chain: Hugging Face front matter, then a provenance section with
    /// the Mermaid lineage and the notices.
    ///
    /// Every value from a manifest reaches the card through its sink's escaper: the front
    /// matter through Yams' emitter (`YAMLFrontMatter`), names as code spans and notices,
    /// methods and descriptions as escaped prose (`Markdown`), the diagram through
    /// `Mermaid.label`. The card holds no control character, raw HTML or link from a manifest.
    ///
    /// - Throws: `YAMLFrontMatter.EmitFailure` when the YAML emitter fails.
    public static func render(_ chain: ModelChain, keys: [TrustedKey]? = nil) throws(YAMLFrontMatter.EmitFailure) -> String {
        let predicate = chain.manifest.predicate
        var text = try YAMLFrontMatter.block(predicate.map { frontMatterPairs(metadata($0)) } ?? [])
        var lines = ["", "## Provenance", ""]
        lines.append("Signed with pedigree: model \(Markdown.code(chain.manifest.name)), root digest "
                     + "`sha256:\(chain.manifest.rootDigest.hex)`, manifest `sha256:\(chain.manifest.manifestDigest.hex)`.")
        if let lineage = predicate?.lineage {
            let relation = lineage.parents.first.relation
            let unknown = hubRelation(relation) == nil ? " (a relation the Hub's `base_model_relation` has no value for)" : ""
            lines += ["", "Derived by \(relation.rawValue)\(unknown)" + (lineage.derivation.method.map { ": \(Markdown.text($0))" } ?? ".")]
            for parent in lineage.parents {
                guard let evidence = parent.evidence else { continue }
                lines.append("Tensor evidence against \(Markdown.code(parent.name)): **\(evidence.grade.rawValue)** "
                    + "(from \(evidence.basis.rawValue)) — " + evidence.reasons.map(Markdown.text).joined(separator: "; ") + ".")
            }
            if !lineage.derivation.datasets.isEmpty {
                let datasets = lineage.derivation.datasets.map { Markdown.code($0.name) + ($0.digest.map { " (\(Markdown.code($0)))" } ?? "") }
                lines.append("Datasets: " + datasets.joined(separator: ", ") + ".")
            }
        }
        lines += ["", "```mermaid", LineageGraph(chain: chain, keys: keys).mermaid().trimmingTrailingWhitespace(), "```"]
        if let notices = predicate?.notices, !(notices.retained.isEmpty && notices.added.isEmpty) {
            lines += ["", "### Notices", ""]
            lines += notices.retained.map { "- \(Markdown.text($0.text)) _(from \(Markdown.code($0.origin.model)))_" }
            lines += notices.added.map { "- \(Markdown.text($0.text))" }
        }
        if let modifications = predicate?.modifications, !modifications.isEmpty {
            lines += ["", "### Modifications", ""]
            lines += modifications.map { "- " + $0.files.map(Markdown.code).joined(separator: ", ") + ": \(Markdown.text($0.description))" }
        }
        text += lines.joined(separator: "\n") + "\n"
        return text
    }
}
