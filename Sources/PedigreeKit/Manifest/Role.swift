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

    /// The name lists, lowercase ASCII: as static strings for the byte path, which compares them
    /// byte for byte (no hashing), and as sets for the character path.
    private static let tokenizerNameList: [StaticString] = [
        "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "vocab.txt", "merges.txt",
        "special_tokens_map.json", "added_tokens.json", "spiece.model", "sentencepiece.bpe.model",
        "sentencepiece.model", "chat_template.jinja", "chat_template.json",
    ]
    private static let weightExtensionList: [StaticString] = [
        "safetensors", "gguf", "ggml", "onnx", "pt", "pth", "bin", "h5", "keras", "msgpack", "tflite",
        "mlmodel", "pb", "pdparams", "npz", "nemo", "engine", "plan", "llamafile",
    ]
    private static let codeExtensionList: [StaticString] = [
        "py", "sh", "ipynb", "js", "ts", "c", "cc", "cpp", "cu", "h", "hpp", "rs", "go", "swift", "java",
        "jl", "r", "lua", "pyi",
    ]
    private static let dataExtensionList: [StaticString] = [
        "parquet", "jsonl", "csv", "tsv", "arrow", "tfrecord", "feather", "avro", "orc",
    ]
    private static let documentationExtensionList: [StaticString] = ["md", "rst", "txt", "pdf", "html", "htm", "adoc"]
    private static let configExtensionList: [StaticString] = ["json", "yaml", "yml", "toml", "ini", "cfg", "conf"]
    private static let licenseStemList: [StaticString] = ["license", "licence", "copying", "license-model", "license_model"]
    private static let noticeStemList: [StaticString] = [
        "notice", "modifications", "attribution", "attributions", "third_party_notices", "third-party-notices",
    ]

    private static let tokenizerNames = Set(tokenizerNameList.map(\.description))
    private static let weightExtensions = Set(weightExtensionList.map(\.description))
    private static let codeExtensions = Set(codeExtensionList.map(\.description))
    private static let dataExtensions = Set(dataExtensionList.map(\.description))
    private static let documentationExtensions = Set(documentationExtensionList.map(\.description))
    private static let configExtensions = Set(configExtensionList.map(\.description))
    private static let licenseStems = Set(licenseStemList.map(\.description))
    private static let noticeStems = Set(noticeStemList.map(\.description))

    /// Called for every file of every sign, so it allocates little: the name and its stem are
    /// found by scanning, folders are lowercased one at a time and only when a rule needs them,
    /// and the name lists are built once (compared byte for byte on an ASCII path, looked up in
    /// sets otherwise). It works on characters, as `split` did, and
    /// skips empty components (`a//b`, a trailing `/`) as `split(separator: "/")` would.
    static func builtInRole(of path: String) -> Role {
        var utf8 = path
        if let role = utf8.withUTF8({ bytes in bytes.allSatisfy { $0 < 0x80 } ? asciiRole(bytes) : nil }) { return role }
        return builtInRoleByCharacters(of: path)
    }

    /// `builtInRoleByCharacters(of:)` for an ASCII path, on its bytes: the same answer for every
    /// ASCII path, since for ASCII a character is a byte (or CR LF, which holds neither `.` nor
    /// `/`), lowercasing is per byte, and two ASCII strings are equal only when their bytes are.
    /// It makes no array and no string: the name lists are compared byte for byte.
    private static func asciiRole(_ path: UnsafeBufferPointer<UInt8>) -> Role {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var end = path.count
        while end > 0 && path[end - 1] == slash { end -= 1 }
        var nameStart = 0
        if end == 0 {
            end = path.count  // all slashes (or empty): the name is the whole path, as the character path has it
        } else {
            var index = end
            while index > 0 && path[index - 1] != slash { index -= 1 }
            nameStart = index
        }
        let folderEnd = end == path.count && nameStart == 0 ? 0 : max(0, nameStart - 1)
        // The name, lowercased, on the stack.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, end - nameStart)) { buffer -> Role in
            let count = end - nameStart
            for offset in 0..<count { buffer[offset] = lowercasedASCII(path[nameStart + offset]) }
            let lowerBytes = UnsafeBufferPointer(rebasing: buffer[0..<count])
            let stem: UnsafeBufferPointer<UInt8>
            if let first = lowerBytes.firstIndex(where: { $0 != dot }) {
                let stop = lowerBytes[first...].firstIndex(of: dot) ?? count
                stem = UnsafeBufferPointer(rebasing: lowerBytes[first..<stop])
            } else {
                stem = lowerBytes
            }
            let ext = lowerBytes.lastIndex(of: dot).map { UnsafeBufferPointer(rebasing: lowerBytes[($0 + 1)...]) }
                ?? UnsafeBufferPointer(rebasing: lowerBytes[count...])
            if isOneOf(stem, licenseStemList)
                || starts(lowerBytes, "license") || starts(lowerBytes, "licence") || starts(lowerBytes, "copying")
            {
                return .license
            }
            if isOneOf(stem, noticeStemList) || starts(lowerBytes, "notice") { return .notice }
            let isOptimizer = starts(lowerBytes, "optimizer") || ends(lowerBytes, "optim_states.pt")
                || contains(lowerBytes, "optimizer_state") || isWord(lowerBytes, "scheduler.pt")
            if isOptimizer { return .optimizerState }
            // The folders one by one, lowercased as they are compared; empty ones skipped.
            var firstFolder: Range<Int>?
            var inCheckpoint = false
            var start = 0
            while start < folderEnd {
                var stop = start
                while stop < folderEnd && path[stop] != slash { stop += 1 }
                if stop > start {
                    let folder = UnsafeBufferPointer(rebasing: path[start..<stop])
                    if firstFolder == nil { firstFolder = start..<stop }
                    if starts(folder, "checkpoint-", lowercasing: true) || equals(folder, "checkpoints")
                        || starts(folder, "global_step", lowercasing: true)
                    {
                        inCheckpoint = true
                        break
                    }
                }
                start = stop + 1
            }
            if inCheckpoint || isWord(ext, "ckpt") { return .checkpoint }
            if isOneOf(lowerBytes, tokenizerNameList) || isWord(ext, "tiktoken") { return .tokenizer }
            if isWord(lowerBytes, "requirements.txt") || isWord(lowerBytes, "dockerfile") || isWord(lowerBytes, "makefile")
                || isOneOf(ext, codeExtensionList)
            {
                return .code
            }
            if isWord(lowerBytes, "training_args.bin") { return .config }
            if isOneOf(ext, weightExtensionList) { return .weights }
            let first = firstFolder.map { UnsafeBufferPointer(rebasing: path[$0]) }
            if starts(lowerBytes, "readme") || starts(lowerBytes, "model_card") || starts(lowerBytes, "modelcard")
                || first.map({ equals($0, "docs") }) == true || isOneOf(ext, documentationExtensionList)
            {
                return .documentation
            }
            if first.map({ equals($0, "data") || equals($0, "datasets") }) == true || isOneOf(ext, dataExtensionList) {
                return .data
            }
            if isOneOf(ext, configExtensionList) { return .config }
            return .other
        }
    }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// Whether `bytes` begin with `prefix` (lowercase ASCII), lowercasing `bytes` if asked.
    private static func starts(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: StaticString, lowercasing: Bool = false) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let wanted = prefix.utf8Start
        for index in 0..<count where (lowercasing ? lowercasedASCII(bytes[index]) : bytes[index]) != wanted[index] { return false }
        return true
    }

    /// Whether `bytes` end with `suffix` (lowercase ASCII).
    private static func ends(_ bytes: UnsafeBufferPointer<UInt8>, _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        return starts(UnsafeBufferPointer(rebasing: bytes[(bytes.count - count)...]), suffix)
    }

    /// Whether `bytes` (already lowercase) are `word`.
    private static func isWord(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        bytes.count == word.utf8CodeUnitCount && starts(bytes, word)
    }

    /// Whether `bytes` (already lowercase) are one of `words`: a length check, then the bytes.
    private static func isOneOf(_ bytes: UnsafeBufferPointer<UInt8>, _ words: [StaticString]) -> Bool {
        words.contains { isWord(bytes, $0) }
    }

    /// Whether `bytes`, lowercased, are `word` (lowercase ASCII).
    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        bytes.count == word.utf8CodeUnitCount && starts(bytes, word, lowercasing: true)
    }

    static func builtInRoleByCharacters(of path: String) -> Role {
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
        var text = text
        return text.withUTF8 { contains($0, part) }
    }

    /// Whether `bytes` contain `part`, compared byte for byte, without copying either.
    private static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ part: StaticString) -> Bool {
        let count = part.utf8CodeUnitCount
        guard count <= bytes.count else { return false }
        for start in 0...(bytes.count - count) where starts(UnsafeBufferPointer(rebasing: bytes[start...]), part) {
            return true
        }
        return false
    }
}
