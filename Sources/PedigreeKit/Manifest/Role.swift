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

    private static let licenseStems: Set<String> = ["license", "licence", "copying", "license-model", "license_model"]
    private static let noticeStems: Set<String> = [
        "notice", "modifications", "attribution", "attributions", "third_party_notices", "third-party-notices",
    ]

    /// Called for every file of every sign, so it allocates little: the name and its stem are
    /// found by scanning, folders are lowercased one at a time and only when a rule needs them,
    /// and the name lists are sets built once. It works on characters, as `split` did, and
    /// skips empty components (`a//b`, a trailing `/`) as `split(separator: "/")` would.
    static func builtInRole(of path: String) -> Role {
        var trimmed = path[...]
        while trimmed.last == "/" { trimmed = trimmed.dropLast() }
        let lastSlash = trimmed.lastIndex(of: "/")
        let name = trimmed.isEmpty ? path : String(trimmed[(lastSlash.map { trimmed.index(after: $0) } ?? trimmed.startIndex)...])
        let folderPart = trimmed[..<(lastSlash ?? trimmed.startIndex)]
        let lower = name.lowercased()
        // The stem is the first run of characters other than dots (the whole name when it is
        // all dots), the extension what follows the last dot (empty for `...` or `model.`).
        let stem: String
        if let first = lower.firstIndex(where: { $0 != "." }) {
            stem = String(lower[first..<(lower[first...].firstIndex(of: ".") ?? lower.endIndex)])
        } else {
            stem = lower
        }
        let ext = lower.lastIndex(of: ".").map { String(lower[lower.index(after: $0)...]) } ?? ""
        if licenseStems.contains(stem)
            || lower.hasPrefix("license") || lower.hasPrefix("licence") || lower.hasPrefix("copying")
        {
            return .license
        }
        if noticeStems.contains(stem) || lower.hasPrefix("notice") {
            return .notice
        }
        let isOptimizer = lower.hasPrefix("optimizer") || lower.hasSuffix("optim_states.pt")
            || containsBytes(lower, "optimizer_state") || lower == "scheduler.pt"
        if isOptimizer { return .optimizerState }
        var firstFolder: String?
        var inCheckpoint = false
        // The folders one by one, as `split(separator: "/")` gives them, without an array.
        var rest = folderPart
        while !rest.isEmpty {
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            if end > rest.startIndex {
                let folder = rest[..<end].lowercased()
                if firstFolder == nil { firstFolder = folder }
                if folder.hasPrefix("checkpoint-") || folder == "checkpoints" || folder.hasPrefix("global_step") {
                    inCheckpoint = true
                    break
                }
            }
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
        if inCheckpoint || ext == "ckpt" { return .checkpoint }
        if tokenizerNames.contains(lower) || ext == "tiktoken" { return .tokenizer }
        if lower == "requirements.txt" || lower == "dockerfile" || lower == "makefile" || codeExtensions.contains(ext) {
            return .code
        }
        if lower == "training_args.bin" { return .config }
        if weightExtensions.contains(ext) { return .weights }
        if lower.hasPrefix("readme") || lower.hasPrefix("model_card") || lower.hasPrefix("modelcard")
            || firstFolder == "docs" || documentationExtensions.contains(ext)
        {
            return .documentation
        }
        if firstFolder == "data" || firstFolder == "datasets" || dataExtensions.contains(ext) { return .data }
        if configExtensions.contains(ext) { return .config }
        return .other
    }

    /// Whether `text` contains `part`, compared as bytes (`String.contains` goes through Foundation).
    private static func containsBytes(_ text: String, _ part: StaticString) -> Bool {
        let needle = UnsafeRawBufferPointer(start: part.utf8Start, count: part.utf8CodeUnitCount)
        let bytes = Array(text.utf8)
        guard needle.count <= bytes.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
