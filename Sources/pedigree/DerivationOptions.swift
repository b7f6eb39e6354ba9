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

    @Option(help: "A public key to check the parents' signatures with (repeatable).")
    var trustedKey: [String] = []

    @Option(help: "A folder of public keys to check the parents' signatures with.")
    var trustedKeys: String?

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
    /// and the spec's name and version for the model.
    func resolve() throws -> (request: DerivationRequest?, name: String?, version: String?) {
        var spec = DerivationSpec()
        var specFolder = ""
        if let path = self.spec {
            do {
                spec = try DerivationSpec.parse(try readText(path))
            } catch let error as SpecError {
                throw fail("\(path): \(error)", code: Exit.dataError)
            }
            specFolder = parentPath(path)
        }
        var parents = (spec.parents ?? []).map {
            ParentSource(path: $0.path.hasPrefix("/") || specFolder.isEmpty ? $0.path : joinPath(specFolder, $0.path),
                         role: $0.role ?? .base)
        }
        parents += parent.map { ParentSource(path: $0, role: .base) } + teacher.map { ParentSource(path: $0, role: .teacher) }
        guard !parents.isEmpty else {
            if let path = self.spec, spec.relation != nil || spec.method != nil {
                throw fail("\(path): a derivation needs at least one parent", code: Exit.dataError)
            }
            return (nil, spec.name, spec.version)
        }
        guard let relation = relation ?? spec.relation else {
            throw fail("a derivative needs --relation (\(Relation.allCases.map(\.rawValue).joined(separator: ", ")))", code: 64)
        }
        var parameters = spec.parameters ?? [:]
        for value in self.parameters {
            let parts = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            parameters[String(parts[0])] = String(parts[1])
        }
        let derivation = Derivation(
            method: method ?? spec.method, parameters: parameters,
            datasets: (spec.datasets ?? []) + dataset.map(Dataset.init(parsing:)),
            tool: tool.map(Tool.init(parsing:)) ?? spec.tool)
        let rules = modification.compactMap(splitRule).map { ModificationRule(glob: Glob($0.0), description: $0.1) }
            + (spec.modifications ?? []).map { ModificationRule(glob: Glob($0.files), description: $0.description) }
        let drops = dropNotice.compactMap(splitRule).map { NoticeDrop(match: $0.0, reason: $0.1) }
            + (spec.dropNotices ?? []).map { NoticeDrop(match: $0.match, reason: $0.reason) }
        let request = DerivationRequest(
            parents: parents, relation: relation, derivation: derivation, modifications: rules, drops: drops,
            trustedKeys: try loadTrustedKeys(files: trustedKey, folder: trustedKeys))
        return (request, spec.name, spec.version)
    }

    /// Reads the parents and fills in the derivative's lineage, notices and modification
    /// notices; tells on stderr how far each parent is trusted.
    func derive(_ request: DerivationRequest, into predicate: inout ModelPredicate, quiet: Bool) throws -> [AncestorEntry] {
        do {
            let parents = try Deriver.loadParents(request)
            if !quiet {
                for parent in parents {
                    let who = "parent \(parent.reference.name) (manifest \(short(parent.reference.manifestDigest.hex))…)"
                    if parent.reference.trusted {
                        Console.note("\(who): signed by a trusted key")
                    } else if request.trustedKeys.isEmpty {
                        Console.note("\(who): no trusted keys given; recorded as untrusted")
                    } else {
                        Console.note("\(who): signed by an unknown key; recorded as untrusted")
                    }
                }
            }
            return try Deriver.apply(request, parents: parents, to: &predicate)
        } catch {
            throw fail(error.description, code: error.exitStatus.rawValue)
        }
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
