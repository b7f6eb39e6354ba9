import Yams

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
public struct DerivationSpec: Decodable, Equatable, Sendable {
    public struct Parent: Decodable, Equatable, Sendable {
        public var path: String
        public var role: String?
    }

    public struct ModificationEntry: Decodable, Equatable, Sendable {
        public var files: String
        public var description: String
    }

    public struct Drop: Decodable, Equatable, Sendable {
        public var match: String
        public var reason: String
    }

    /// The derivative's name and version, as `--name` and `--version` give them.
    public var name: String?
    public var version: String?
    public var parents: [Parent]?
    public var relation: Relation?
    public var method: String?
    public var parameters: [String: Scalar]?
    public var datasets: [Dataset]?
    public var tool: ToolSpec?
    public var modifications: [ModificationEntry]?
    public var dropNotices: [Drop]?

    /// A YAML scalar of any type, kept as text (`3`, `2e-5`, `true`).
    public struct Scalar: Decodable, Equatable, Sendable {
        public var text: String
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                text = string
            } else if let int = try? container.decode(Int.self) {
                text = String(int)
            } else if let double = try? container.decode(Double.self) {
                text = String(double)
            } else if let bool = try? container.decode(Bool.self) {
                text = String(bool)
            } else {
                throw DecodingError.typeMismatch(
                    String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string, number or boolean"))
            }
        }
    }

    /// `{name, version}` or `name@version`.
    public struct ToolSpec: Decodable, Equatable, Sendable {
        public var tool: Tool
        public init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                tool = Tool(parsing: text)
            } else {
                tool = try Tool(from: decoder)
            }
        }
    }

    /// Parses a spec written in YAML or JSON (JSON is YAML).
    ///
    /// - Throws: `SpecError` with the parser's message and position, or the field that is wrong.
    public static func parse(_ text: String) throws(SpecError) -> DerivationSpec {
        do {
            return try YAMLDecoder().decode(DerivationSpec.self, from: text)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw SpecError(message: "not valid YAML or JSON: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)")
            }
            throw SpecError(message: JSONProblem(describing: error).message)
        } catch let error as YamlError {
            throw SpecError(message: "not valid YAML or JSON: \(error)")
        } catch {
            throw SpecError(message: "not valid YAML or JSON: \(error)")
        }
    }
}

/// A derivation spec that cannot be used.
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
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
