@testable import PedigreeKit
import Testing

@Suite struct Globs {
    @Test(arguments: [
        ("*.bin", "a.bin", true), ("*.bin", "sub/a.bin", false), ("**/*.bin", "sub/a.bin", true),
        ("**/*.bin", "a.bin", true), ("sub/**", "sub/x/y", true), ("sub/**", "subx/y", false),
        ("a?c", "abc", true), ("a?c", "a/c", false), ("[ab]x", "bx", true), ("[!ab]x", "bx", false),
        ("[a-c]x", "cx", true), ("[a-c]x", "dx", false), ("\\*", "*", true), ("\\*", "a", false),
        ("checkpoint-*/optimizer.pt", "checkpoint-10/optimizer.pt", true), ("*", "a/b", false),
        (".git", ".git", true), ("[", "[", true), ("**", "", true),
    ])
    func matches(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(Glob(pattern).matches(path) == expected)
    }

    /// The walk's ignore test (literal patterns grouped by length, the rest as globs) says what
    /// asking each glob in turn says.
    @Test func anIgnoreSetAgreesWithItsGlobs() {
        let patterns = ModelFolder.defaultIgnores + ["*.bin", "a/b", "a/c", "ab", "[ab]", "x\\*", "", "日本", "**/tmp"]
        let globs = patterns.map(Glob.init)
        let set = IgnoreSet(globs)
        let paths = patterns + ["", "a", "b", "a/b/c", ".git/x", ".gitx", "sub/.git", "x.bin", "d/x.bin", "a/d", "x*", "xy",
                                "pedigree.jso", "pedigree.json2", "tmp", "q/tmp", "日本/語", "model.sig"]
        for path in paths {
            #expect(set.contains(path) == globs.contains { $0.matches(path) }, "\(path)")
        }
        #expect(IgnoreSet([]).contains("") == false)
    }

    @Test func aFolderPatternCoversItsContents() {
        #expect(Glob(".git").matchesPathOrParent(".git/objects/ab/cd"))
        #expect(Glob(".cache/huggingface").matchesPathOrParent(".cache/huggingface/download/x.lock"))
        #expect(!Glob(".git").matchesPathOrParent("sub/.git/config"))
        #expect(!Glob(".git").matchesPathOrParent(".github/workflows/ci.yml"))
    }

    @Test func escapeMakesAnyNameLiteral() {
        // The last two: a special character followed by a combining mark is one Character,
        // and was left unescaped before the fuzzer found it.
        for name in ["a*b", "[x]", "q?", "back\\slash", "plain", "a\\\u{598}1", "[\u{301}]"] {
            #expect(Glob(Glob.escape(name)).matches(name))
        }
        #expect(!Glob(Glob.escape("a*b")).matches("axxb"))
    }
}

@Suite struct RelativePaths {
    @Test(arguments: [
        ("../../etc/passwd", "leaves the folder ('..')"), ("/etc/passwd", "is an absolute path"),
        ("a\\b", "contains a backslash"), ("a\u{0}b", "contains a NUL byte"), ("", "is empty"),
        ("a//b", "has an empty path component"), ("a/", "has an empty path component"),
        ("./a", "has a '.' component"), ("a/../../b", "leaves the folder ('..')"),
        // Several problems: a NUL, then a backslash, anywhere, before the first bad component.
        ("../a\\b", "contains a backslash"), ("a/./b\u{0}", "contains a NUL byte"), ("x\\/\u{0}", "contains a NUL byte"),
        ("a/./..", "has a '.' component"), ("a/..//", "leaves the folder ('..')"), ("a/b/.", "has a '.' component"),
        ("/..", "is an absolute path"), ("..", "leaves the folder ('..')"), (".", "has a '.' component"),
    ])
    func unsafeNamesAreNamed(_ name: String, _ problem: String) {
        #expect(RelativePath.problem(with: name) == problem)
    }

    @Test(arguments: ["a", "a/b/c", "..a", "a..", ".hidden", "sp ace", "ünï", "a.b/c..d", "...", "a/.../b", "日本/語"])
    func safeNamesPass(_ name: String) {
        #expect(RelativePath.problem(with: name) == nil)
    }

    @Test func sortsLikeModelSigning() {
        // model_signing 1.1 sorts by path components: A, README.md, a/b, a-b, a.b, b.
        let names = ["b", "a.b", "a-b", "a/b", "README.md", "A"]
        #expect(names.sorted(by: RelativePath.precedes) == ["A", "README.md", "a/b", "a-b", "a.b", "b"])
    }

    @Test func aPatternOfHostileLengthMatchesInLinearTime() {
        // 200,000 stars against long names: an automaton, not a recursion.
        let glob = Glob(String(repeating: "*", count: 200_000) + "x")
        let name = String(repeating: "a", count: 4000)
        #expect(!glob.matches(name))
        #expect(glob.matches(name + "x"))
        let globstars = Glob(String(repeating: "**/", count: 50_000) + "x")
        #expect(globstars.matches("a/b/c/x"))
        #expect(!globstars.matches("a/b/c/y"))
    }
}

@Suite struct Roles {
    @Test(arguments: [
        ("model.safetensors", Role.weights), ("model-00001-of-00002.safetensors", .weights),
        ("pytorch_model.bin", .weights), ("llama-7b.Q4_K_M.gguf", .weights), ("model.onnx", .weights),
        ("checkpoint-500/model.safetensors", .checkpoint), ("checkpoint-500/trainer_state.json", .checkpoint),
        ("final.ckpt", .checkpoint), ("optimizer.pt", .optimizerState), ("checkpoint-500/optimizer.pt", .optimizerState),
        ("global_step100/zero_pp_rank_0_mp_rank_00_optim_states.pt", .optimizerState),
        ("config.json", .config), ("generation_config.json", .config), ("adapter_config.json", .config),
        ("training_args.bin", .config), ("tokenizer.json", .tokenizer), ("tokenizer_config.json", .tokenizer),
        ("tokenizer.model", .tokenizer), ("merges.txt", .tokenizer), ("vocab.json", .tokenizer),
        ("modeling_tiny.py", .code), ("scripts/train.sh", .code), ("requirements.txt", .code),
        ("README.md", .documentation), ("docs/guide.pdf", .documentation), ("data/train.parquet", .data),
        ("eval.jsonl", .data), ("LICENSE", .license), ("LICENSE.txt", .license), ("COPYING", .license),
        ("NOTICE", .notice), ("MODIFICATIONS.md", .notice), ("figure.png", .other),
        ("...", .other), ("sub/..", .other), ("model.", .other), (".bin", .weights), ("a..b", .other),
    ])
    func builtInRoles(_ path: String, _ role: Role) {
        #expect(RoleClassifier().role(of: path) == role)
    }

    /// The classifier was rewritten to allocate less; it must classify every path as the
    /// original, kept here as the reference, did — odd paths included.
    @Test func theAllocationFreeClassifierAgreesWithTheOriginal() {
        let names = [
            "", "/", "///", "a//b", "a/b/", "/x", "...", ".bashrc", "a..b", "..x.y", "model.", "Model.SafeTensors",
            "LICENSE", "licence-MIT.md", "Copying", "license_model", "notice.txt", "third-party-notices",
            "optimizer.pt", "my_optimizer_state.bin", "Scheduler.pt", "x_optim_states.pt", "tokenizer.json", "a.tiktoken",
            "requirements.txt", "Dockerfile", "MAKEFILE", "run.py", "training_args.bin", "w.gguf", "README", "model_card.md",
            "guide.rst", "train.parquet", "c.yaml", "figure.png", "e\u{301}.bin", "x.\u{301}json", "日本.txt", "ÉTÉ.MD",
        ]
        let folders = ["", "docs/", "Docs/", "data/", "DataSets/", "checkpoint-5/", "a/Checkpoints/", "x/global_step9/",
                       "sub/../", "a//", "/\u{301}/", "docs/x/"]
        for folder in folders {
            for name in names {
                let path = folder + name
                #expect(RoleClassifier.builtInRole(of: path) == referenceRole(of: path), "\(path)")
            }
        }
    }

    @Test func overridesComeFirst() {
        let classifier = RoleClassifier(overrides: [(Glob("**/*.bin"), .data), (Glob("*.bin"), .other)])
        #expect(classifier.role(of: "x/pytorch_model.bin") == .data)
        #expect(classifier.role(of: "pytorch_model.bin") == .data)
        #expect(classifier.role(of: "model.safetensors") == .weights)
    }
}

@Suite struct ResourceNames {
    @Test func theValidatorIsTheOneRelativePathsUse() {
        for name in ["../x", "/abs", "a\\b", "", "a//b", "./a"] {
            #expect(throws: ResourceNameError(name: name, problem: RelativePath.problem(with: name) ?? "")) {
                try ResourceName(name)
            }
        }
        #expect((try? ResourceName("a/b.bin"))?.string == "a/b.bin")
    }

    @Test func namesCompareAsBytes() throws {
        let composed = try ResourceName("caf\u{E9}")
        let decomposed = try ResourceName("cafe\u{301}")
        #expect(composed.string == decomposed.string, "Swift strings call them equal")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(try ResourceName("a/b") < ResourceName("a-b"), "model_signing's component order")
    }
}

/// The built-in classifier as it was first written (allocating freely): the reference the
/// rewritten one is compared with.
private func referenceRole(of path: String) -> Role {
    let components = path.split(separator: "/").map(String.init)
    let name = components.last ?? path
    let lower = name.lowercased()
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
        || lower.utf8.count >= 15 && (0...(lower.utf8.count - 15)).contains { Array(lower.utf8).dropFirst($0).starts(with: "optimizer_state".utf8) }
        || lower == "scheduler.pt"
    if isOptimizer { return .optimizerState }
    let inCheckpoint = folders.contains { $0.hasPrefix("checkpoint-") || $0 == "checkpoints" || $0.hasPrefix("global_step") }
    if inCheckpoint || ext == "ckpt" { return .checkpoint }
    let tokenizerNames: Set<String> = [
        "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "vocab.txt", "merges.txt",
        "special_tokens_map.json", "added_tokens.json", "spiece.model", "sentencepiece.bpe.model",
        "sentencepiece.model", "chat_template.jinja", "chat_template.json",
    ]
    if tokenizerNames.contains(lower) || ext == "tiktoken" { return .tokenizer }
    let code: Set<String> = ["py", "sh", "ipynb", "js", "ts", "c", "cc", "cpp", "cu", "h", "hpp", "rs", "go", "swift", "java", "jl", "r", "lua", "pyi"]
    if lower == "requirements.txt" || lower == "dockerfile" || lower == "makefile" || code.contains(ext) { return .code }
    if lower == "training_args.bin" { return .config }
    let weights: Set<String> = [
        "safetensors", "gguf", "ggml", "onnx", "pt", "pth", "bin", "h5", "keras", "msgpack", "tflite",
        "mlmodel", "pb", "pdparams", "npz", "nemo", "engine", "plan", "llamafile",
    ]
    if weights.contains(ext) { return .weights }
    if lower.hasPrefix("readme") || lower.hasPrefix("model_card") || lower.hasPrefix("modelcard")
        || folders.first == "docs" || ["md", "rst", "txt", "pdf", "html", "htm", "adoc"].contains(ext)
    {
        return .documentation
    }
    if folders.first == "data" || folders.first == "datasets"
        || ["parquet", "jsonl", "csv", "tsv", "arrow", "tfrecord", "feather", "avro", "orc"].contains(ext)
    {
        return .data
    }
    if ["json", "yaml", "yml", "toml", "ini", "cfg", "conf"].contains(ext) { return .config }
    return .other
}
