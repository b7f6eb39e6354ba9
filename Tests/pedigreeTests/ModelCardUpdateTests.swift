import Foundation
import PedigreeKit
import Testing
import TestSupport

/// `export --format model-card --update README.md` merges pedigree's front matter in place.
@Suite struct ModelCardUpdateTests {
    @Test func theFrontMatterIsMergedKeepingTheUsersKeysAndText() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "q4", modified: ["model.safetensors"])
        try work.folder.write("q4/README.md", """
            ---
            license: mit
            pipeline_tag: text-generation
            tags:
            - quantized
            - gptq
            base_model: someone/else
            widget:
              - text: "Hello"
            ---

            # tiny-q4

            Our words, kept as written.
            """)
        try work.keygen("quant")
        #expect(try work.run(["sign", "q4", "--key", "quant.key", "--name", "acme/tiny-q4", "--parent", "base",
                              "--relation", "quantization", "--method", "GPTQ 4-bit", "--write-notices"]).status == 0)
        let updated = try work.run(["export", "q4", "--format", "model-card", "--update", "q4/README.md"])
        #expect(updated.status == 0, "\(updated)")
        #expect(updated.stderr == "updated q4/README.md: front matter merged (other keys and the text kept); it is a signed file, so sign the model again\n")
        let readme = String(decoding: try work.read("q4/README.md"), as: UTF8.self)
        #expect(readme == """
            ---
            pipeline_tag: text-generation
            tags:
            - quantized
            - gptq
            widget:
              - text: "Hello"
            license: other
            license_name: openatom-model-license-1.0
            license_link: LICENSE
            base_model:
            - acme/base
            base_model_relation: quantized
            ---

            # tiny-q4

            Our words, kept as written.
            """)
        #expect(!readme.contains("sha256"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.folder.url("q4")).allSatisfy { !$0.hasPrefix(".") })
        // Again: nothing to change.
        let again = try work.run(["export", "q4", "--format", "model-card", "--update", "q4/README.md"])
        #expect(again.stderr == "q4/README.md: front matter already says what the manifest says; not changed\n")
        // Signed again, check finds card and manifest in agreement.
        #expect(try work.run(["sign", "q4", "--key", "quant.key", "--name", "acme/tiny-q4", "--parent", "base",
                              "--relation", "quantization", "--method", "GPTQ 4-bit", "--write-notices", "--force"]).status == 0)
        let check = try work.run(["check", "q4"])
        #expect(check.status == 0, "\(check)")
        #expect(!check.stderr.contains("front matter"))
    }

    @Test func aReadmeWithoutFrontMatterGetsOneAndBadInputChangesNothing() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--license", "MIT"]).status == 0)
        try work.folder.write("card.md", "# Just text\n")
        #expect(try work.run(["export", "model", "--format", "model-card", "--update", "card.md"]).status == 0)
        #expect(String(decoding: try work.read("card.md"), as: UTF8.self) == "---\nlicense: mit\n---\n\n# Just text\n")

        let wrongFormat = try work.run(["export", "model", "--format", "cyclonedx", "--update", "card.md"])
        #expect(wrongFormat.status == 64)
        #expect(wrongFormat.stderr.contains("--update merges a model card's front matter: it goes with --format model-card"))
        let missing = try work.run(["export", "model", "--format", "model-card", "--update", "absent.md"])
        #expect(missing.status == 66)
        #expect(missing.stderr == "pedigree: absent.md: No such file or directory\n")
        #expect(!work.exists("absent.md"))
        let bad = "---\nlicense: [unclosed\n---\nbody\n"
        try work.folder.write("bad.md", bad)
        let refused = try work.run(["export", "model", "--format", "model-card", "--update", "bad.md"])
        #expect(refused.status == 65)
        #expect(refused.stderr == "pedigree: bad.md: its front matter is not a YAML mapping; not changed\n")
        #expect(String(decoding: try work.read("bad.md"), as: UTF8.self) == bad)
    }
}
