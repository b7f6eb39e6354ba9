/// A derivation described in a file (`--spec FILE`, YAML or JSON), for pipelines that script
/// their releases. Every field is optional; command-line options add to or override it.
///
/// ```yaml
/// name: acme/small-distilled
/// parents:
///   - path: ../base-7b            # a folder or a manifest; relative to this file
///   - path: ../teacher-70b/pedigree.json
///     role: teacher
/// relation: distillation
/// method: "Logit distillation, T=2"
/// parameters: { epochs: 3, lr: 2e-5 }
/// datasets:
///   - name: open-instruct
///     digest: sha256:0123…
/// tool: { name: axolotl, version: 0.4.0 }   # or "axolotl@0.4.0"
/// modifications:
///   - files: "*.safetensors"
///     description: "Weights replaced by the distilled student's."
/// dropNotices:
///   - match: "Portions by Old Corp"
///     reason: "the code it covered was removed"
/// ```
///
/// Read strictly: a key given twice, a key pedigree does not know (a typo would otherwise
/// be dropped without a word), a value of the wrong kind, a relation or role that does not
/// exist: each is an error naming the field.
public struct DerivationSpec: Equatable, Sendable {
    public struct Parent: Equatable, Sendable {
        public var path: String
        public var role: ParentRole?
    }

    public struct ModificationEntry: Equatable, Sendable {
        public var files: String
        public var description: String
    }

    public struct Drop: Equatable, Sendable {
        public var match: String
        public var reason: String
    }

    /// The derivative's name and version, as `--name` and `--version` give them.
    public var name: String?
    public var version: String?
    public var parents: [Parent]?
    public var relation: Relation?
    public var method: String?
    /// Parameter values as written (`3`, `2e-5`, `true`).
    public var parameters: [String: String]?
    public var datasets: [Dataset]?
    public var tool: Tool?
    public var modifications: [ModificationEntry]?
    public var dropNotices: [Drop]?

    /// A spec that says nothing.
    public init() {}

    /// Parses a spec written in YAML or JSON (JSON is YAML).
    ///
    /// - Throws: `SpecError` with the parser's message and position, or the field that is wrong.
    public static func parse(_ text: String) throws(SpecError) -> DerivationSpec {
        let value: JSONValue
        do {
            value = try YAMLReader.parse(text)
        } catch {
            throw SpecError(message: "not valid YAML or JSON: \(error.message)")
        }
        do {
            return try decode(JSONField(value))
        } catch {
            throw SpecError(message: error.description)
        }
    }

    private static let fields: Set<String> = [
        "name", "version", "parents", "relation", "method", "parameters", "datasets", "tool", "modifications", "dropNotices",
    ]

    private static func decode(_ field: JSONField) throws(FieldError) -> DerivationSpec {
        let top = try field.object()
        try top.rejectUnknownKeys(fields)
        var spec = DerivationSpec()
        spec.name = try top.optional("name")?.string()
        spec.version = try top.optional("version")?.string()
        spec.parents = try top.optional("parents")?.array { item throws(FieldError) in
            let parent = try item.object()
            try parent.rejectUnknownKeys(["path", "role"])
            return Parent(path: try parent.required("path").string(), role: try parent.optional("role")?.enum(ParentRole.self))
        }
        spec.relation = try top.optional("relation")?.enum(Relation.self)
        spec.method = try top.optional("method")?.string()
        if let parameters = try top.optional("parameters")?.object() {
            var values: [String: String] = [:]
            for member in parameters.object.members {
                values[member.key] = try JSONField(member.value, path: parameters.child(member.key)).string()
            }
            spec.parameters = values
        }
        spec.datasets = try top.optional("datasets")?.array { item throws(FieldError) in
            let dataset = try item.object()
            try dataset.rejectUnknownKeys(["name", "digest"])
            return Dataset(name: try dataset.required("name").string(), digest: try dataset.optional("digest")?.string())
        }
        if let tool = top.optional("tool") {
            if case .string(let text) = tool.value {
                spec.tool = Tool(parsing: text)
            } else {
                let fields = try tool.object()
                try fields.rejectUnknownKeys(["name", "version"])
                spec.tool = Tool(name: try fields.required("name").string(), version: try fields.optional("version")?.string())
            }
        }
        spec.modifications = try top.optional("modifications")?.array { item throws(FieldError) in
            let entry = try item.object()
            try entry.rejectUnknownKeys(["files", "description"])
            return ModificationEntry(files: try entry.required("files").string(), description: try entry.required("description").string())
        }
        spec.dropNotices = try top.optional("dropNotices")?.array { item throws(FieldError) in
            let entry = try item.object()
            try entry.rejectUnknownKeys(["match", "reason"])
            return Drop(match: try entry.required("match").string(), reason: try entry.required("reason").string())
        }
        return spec
    }
}

/// A derivation spec that cannot be used.
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    public var message: String
    public var description: String { message }
    public var exitStatus: ExitStatus { .dataError }
}

extension Tool {
    /// `name@version`, or a bare name.
    public init(parsing text: String) {
        if let at = text.lastIndex(of: "@"), at != text.startIndex {
            self.init(name: String(text[..<at]), version: String(text[text.index(after: at)...]))
        } else {
            self.init(name: text)
        }
    }
}

extension Dataset {
    /// `name` or `name@digest`.
    public init(parsing text: String) {
        if let at = text.lastIndex(of: "@"), at != text.startIndex {
            self.init(name: String(text[..<at]), digest: String(text[text.index(after: at)...]))
        } else {
            self.init(name: text)
        }
    }
}
