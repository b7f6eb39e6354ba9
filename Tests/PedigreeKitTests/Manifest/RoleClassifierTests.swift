@testable import PedigreeKit
import Testing

@Suite struct RoleClassifierByteAndCharacterPaths {
    /// Paths that exercise every rule, in upper and lower case, with odd dots and slashes.
    static let paths: [String] = {
        let names = [
            "LICENSE", "License.md", "licence-model.txt", "COPYING", "license_model", "NOTICE", "notice.txt",
            "Modifications", "third-party-notices", "optimizer.pt", "Optimizer_State.bin", "global_optim_states.pt",
            "scheduler.pt", "SCHEDULER.PT", "model.ckpt", "tokenizer.json", "Vocab.txt", "cl100k.tiktoken",
            "requirements.txt", "Dockerfile", "MAKEFILE", "run.py", "kernel.CU", "training_args.bin",
            "model.safetensors", "pytorch_model.BIN", "README", "readme.md", "Model_Card.md", "modelcard",
            "notes.txt", "train.parquet", "rows.JSONL", "config.json", "settings.YAML", "weird", "...", ".",
            ".hidden", "model.", "a.b.c.onnx", "x\r\n.py", "", "/", "//", "a b.md",
        ]
        let folders = [
            "", "sub/", "docs/", "DOCS/", "Data/", "datasets/x/", "checkpoint-500/", "Checkpoints/", "global_step10/",
            "a//b/", "/abs/", "x/checkpoint-1/y/", "data/docs/", "docs/data/",
        ]
        var paths: [String] = []
        for folder in folders {
            for name in names {
                paths.append(folder + name)
                paths.append(folder + name + "/")
            }
        }
        return paths
    }()

    @Test func theBytePathAgreesWithTheCharacterPathOnEveryASCIIPath() {
        for path in Self.paths {
            #expect(RoleClassifier.builtInRole(of: path) == RoleClassifier.builtInRoleByCharacters(of: path), "\(path.debugDescription)")
        }
    }

    @Test func aPathBeyondASCIIGoesTheCharacterWay() {
        #expect(RoleClassifier.builtInRole(of: "Lizenz/LİCENSE") == RoleClassifier.builtInRoleByCharacters(of: "Lizenz/LİCENSE"))
        #expect(RoleClassifier.builtInRole(of: "docs/café.md") == .documentation)
        #expect(RoleClassifier.builtInRole(of: "checkpoint-1/é.bin") == .checkpoint)
    }

    @Test func someKnownAnswers() {
        #expect(RoleClassifier.builtInRole(of: "LICENSE") == .license)
        #expect(RoleClassifier.builtInRole(of: "Checkpoints/model.safetensors") == .checkpoint)
        #expect(RoleClassifier.builtInRole(of: "DOCS/guide") == .documentation)
        #expect(RoleClassifier.builtInRole(of: "shards/d0001/f000123.bin") == .weights)
        #expect(RoleClassifier.builtInRole(of: "Data/x") == .data)
    }

    /// `optimizer_state` anywhere in the name, found on the name's bytes (both paths share the search).
    @Test func optimizerStateAnywhereInTheName() {
        for path in ["rank0_Optimizer_State.pt", "x/xoptimizer_state", "OPTIMIZER_STATE", "é/a_optimizer_state_é.bin"] {
            #expect(RoleClassifier.builtInRole(of: path) == .optimizerState, "\(path)")
        }
        for path in ["a_optimizer_stat.bin", "optimizer_state/model.bin", "a_optimizer_stat_é.bin"] {
            #expect(RoleClassifier.builtInRole(of: path) == .weights, "\(path)")
        }
    }
}
