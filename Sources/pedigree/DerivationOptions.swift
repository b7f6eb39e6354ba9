import ArgumentParser
import Foundation
import PedigreeKit

/// The options that make a model a derivative, shared by `sign` and `notices`.
struct DerivationOptions: ParsableArguments {
    @Option(help: "A parent's manifest, or its folder (repeatable; several for a merge).")
    var parent: [String] = []

    @Option(help: "A distillation teacher's manifest or folder (repeatable).")
    var teacher: [String] = []

    @Option(help: "How the model derives from its parents.")
    var relation: Relation?

    @Option(help: "How it was derived, in words (fills the default modification notice).")
    var method: String?

    @Option(name: .customLong("param"), help: "KEY=VALUE: a derivation parameter (repeatable).")
    var parameters: [String] = []

    @Option(help: "NAME[@DIGEST]: a dataset used (repeatable).")
    var dataset: [String] = []

    @Option(help: "NAME@VERSION: the tool that did the derivation.")
    var tool: String?

    @Option(help: "A YAML or JSON file with any of these settings.")
    var spec: String?

    @Option(help: "'GLOB: TEXT': how the files matching GLOB were modified (repeatable).")
    var modification: [String] = []

    @Option(help: "'MATCH: REASON': do not carry the inherited notice containing MATCH (repeatable).")
    var dropNotice: [String] = []

    func validate() throws {
        for value in parameters where !value.contains("=") || value.hasPrefix("=") {
            throw ValidationError("--param takes KEY=VALUE, not '\(value)'")
        }
        for value in modification + dropNotice where splitRule(value) == nil {
            throw ValidationError("'\(value)' is not 'PATTERN: TEXT' (a colon and a space separate them)")
        }
        if parent.isEmpty, teacher.isEmpty, spec == nil,
            relation != nil || method != nil || !parameters.isEmpty || !dataset.isEmpty || tool != nil
                || !modification.isEmpty || !dropNotice.isEmpty
        {
            throw ValidationError("--relation, --method, --param, --dataset, --tool, --modification and --drop-notice describe a derivative: give --parent")
        }
    }

    /// What the options and the spec say: the derivation (`nil` for a model with no parents)
    /// and the spec's name and version for the model; parents' signatures are checked with
    /// `trust`'s keys.
    func resolve(trust: TrustOptions) throws -> (request: DerivationRequest?, name: String?, version: String?) {
        var spec: DerivationSpec?
        var specFolder = ""
        if let path = self.spec {
            let text = try readText(path)
            do {
                spec = try DerivationSpec.parse(text)
            } catch {
                throw CommandFailure("\(path): \(error.description)", status: .dataError)
            }
            specFolder = parentPath(path)
        }
        var parents = (spec?.parents ?? []).map {
            ParentSource(path: $0.path.hasPrefix("/") || specFolder.isEmpty ? $0.path : joinPath(specFolder, $0.path),
                         role: $0.role ?? .base)
        }
        parents += parent.map { ParentSource(path: $0, role: .base) } + teacher.map { ParentSource(path: $0, role: .teacher) }
        guard !parents.isEmpty else {
            if let path = self.spec, spec?.relation != nil || spec?.method != nil {
                throw CommandFailure("\(path): a derivation needs at least one parent", status: .dataError)
            }
            return (nil, spec?.name, spec?.version)
        }
        guard let relation = relation ?? spec?.relation else {
            throw ValidationError("a derivative needs --relation (\(Relation.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var parameters = spec?.parameters ?? [:]
        for value in self.parameters {
            let parts = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            parameters[String(parts[0])] = String(parts[1])
        }
        let derivation = Derivation(
            method: method ?? spec?.method, parameters: parameters,
            datasets: (spec?.datasets ?? []) + dataset.map(Dataset.init(parsing:)),
            tool: tool.map(Tool.init(parsing:)) ?? spec?.tool)
        let rules = modification.compactMap(splitRule).map { ModificationRule(glob: Glob($0.0), description: $0.1) }
            + (spec?.modifications ?? []).map { ModificationRule(glob: Glob($0.files), description: $0.description) }
        let drops = dropNotice.compactMap(splitRule).map { NoticeDrop(match: $0.0, reason: $0.1) }
            + (spec?.dropNotices ?? []).map { NoticeDrop(match: $0.match, reason: $0.reason) }
        let request = DerivationRequest(
            parents: parents, relation: relation, derivation: derivation, modifications: rules, drops: drops,
            trustedKeys: try trust.load())
        return (request, spec?.name, spec?.version)
    }
}

/// One line per parent on stderr: its name, manifest digest and how far it is trusted.
func reportParents(_ parents: [LoadedParent], keysGiven: Bool) {
    for parent in parents {
        let who: TerminalText = "parent \(parent.reference.name) (manifest \(short(parent.reference.manifestDigest.hex))…)"
        if parent.reference.trusted {
            Console.note(who + ": signed by a trusted key")
        } else if !keysGiven {
            Console.note(who + ": no trusted keys given; recorded as untrusted")
        } else {
            Console.note(who + ": signed by an unknown key; recorded as untrusted")
        }
    }
}

/// The parents as the JSON reports list them.
func parentRows(_ parents: [LoadedParent], evidence: [TensorEvidence?] = []) -> [SignReport.Parent] {
    parents.enumerated().map { index, parent in
        SignReport.Parent(name: parent.reference.name, manifestDigest: parent.reference.manifestDigest.hex,
                          relation: parent.reference.relation.rawValue, role: parent.reference.role.rawValue,
                          trusted: parent.reference.trusted, evidence: index < evidence.count ? evidence[index] : nil)
    }
}

/// `PATTERN: TEXT` split at the first colon followed by a space.
func splitRule(_ value: String) -> (String, String)? {
    guard let range = value.range(of: ": ") else { return nil }
    let pattern = String(value[..<range.lowerBound])
    let text = String(value[range.upperBound...]).trimmingCharacters(in: .whitespaces)
    guard !pattern.isEmpty, !text.isEmpty else { return nil }
    return (pattern, text)
}
