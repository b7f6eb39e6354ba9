/// What a file is to the model, in the terms of the OpenAtom Model License §1.2–§1.5:
/// the Model's parameters (weights, checkpoints, optimizer state), Complementary Material
/// (code, configuration, tokenizer, documentation), Data, and the license and notices.
public enum Role: String, Codable, CaseIterable, Sendable {
    case weights
    case checkpoint
    case optimizerState = "optimizer-state"
    case config
    case tokenizer
    case code
    case documentation
    case data
    case license
    case notice
    case other
}

/// Assigns roles by well-known names and extensions, after the user's overrides.
public struct RoleClassifier: Sendable {
    /// `(pattern, role)` pairs from `--role GLOB=ROLE`; the first that matches wins.
    public var overrides: [(Glob, Role)]

    public init(overrides: [(Glob, Role)] = []) {
        self.overrides = overrides
    }

    /// The role of the file at `path` (relative to the model folder).
    public func role(of path: String) -> Role {
        for (glob, role) in overrides where glob.matches(path) { return role }
        return Self.builtInRole(of: path)
    }

    private static let tokenizerNames: Set<String> = [
        "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "vocab.txt", "merges.txt",
        "special_tokens_map.json", "added_tokens.json", "spiece.model", "sentencepiece.bpe.model",
        "sentencepiece.model", "chat_template.jinja", "chat_template.json",
    ]
    private static let weightExtensions: Set<String> = [
        "safetensors", "gguf", "ggml", "onnx", "pt", "pth", "bin", "h5", "keras", "msgpack", "tflite",
        "mlmodel", "pb", "pdparams", "npz", "nemo", "engine", "plan", "llamafile",
    ]
    private static let codeExtensions: Set<String> = [
        "py", "sh", "ipynb", "js", "ts", "c", "cc", "cpp", "cu", "h", "hpp", "rs", "go", "swift", "java",
        "jl", "r", "lua", "pyi",
    ]
    private static let dataExtensions: Set<String> = [
        "parquet", "jsonl", "csv", "tsv", "arrow", "tfrecord", "feather", "avro", "orc",
    ]
    private static let documentationExtensions: Set<String> = ["md", "rst", "txt", "pdf", "html", "htm", "adoc"]
    private static let configExtensions: Set<String> = ["json", "yaml", "yml", "toml", "ini", "cfg", "conf"]

    static func builtInRole(of path: String) -> Role {
        let components = path.split(separator: "/").map(String.init)
        let name = components.last ?? path
        let lower = name.lowercased()
        // The stem is what comes before the first dot, the extension what follows the last
        // (empty for `...` or `model.`).
        let stem = lower.split(separator: ".", maxSplits: 1).first.map(String.init) ?? lower
        let ext = lower.lastIndex(of: ".").map { String(lower[lower.index(after: $0)...]) } ?? ""
        let folders = components.dropLast().map { $0.lowercased() }

        if ["license", "licence", "copying", "license-model", "license_model"].contains(stem)
            || lower.hasPrefix("license") || lower.hasPrefix("licence") || lower.hasPrefix("copying")
        {
            return .license
        }
        if ["notice", "modifications", "attribution", "attributions", "third_party_notices", "third-party-notices"]
            .contains(stem) || lower.hasPrefix("notice")
        {
            return .notice
        }
        let isOptimizer = lower.hasPrefix("optimizer") || lower.hasSuffix("optim_states.pt")
            || lower.contains("optimizer_state") || lower == "scheduler.pt"
        if isOptimizer { return .optimizerState }
        let inCheckpoint = folders.contains { $0.hasPrefix("checkpoint-") || $0 == "checkpoints" || $0.hasPrefix("global_step") }
        if inCheckpoint || ext == "ckpt" { return .checkpoint }
        if tokenizerNames.contains(lower) || ext == "tiktoken" { return .tokenizer }
        if lower == "requirements.txt" || lower == "dockerfile" || lower == "makefile" || codeExtensions.contains(ext) {
            return .code
        }
        if lower == "training_args.bin" { return .config }
        if weightExtensions.contains(ext) { return .weights }
        if lower.hasPrefix("readme") || lower.hasPrefix("model_card") || lower.hasPrefix("modelcard")
            || folders.first == "docs" || documentationExtensions.contains(ext)
        {
            return .documentation
        }
        if folders.first == "data" || folders.first == "datasets" || dataExtensions.contains(ext) { return .data }
        if configExtensions.contains(ext) { return .config }
        return .other
    }
}
