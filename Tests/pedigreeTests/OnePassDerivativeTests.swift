import Foundation
import PedigreeCrypto
import PedigreeKit
import Testing
import TestSupport

/// Publishing a derivative with one `sign` (issue 8 item 3).
@Suite struct OnePassDerivativeTests {
    static let quantize = ["--name", "acme/tiny-q4", "--parent", "base", "--relation", "quantization",
                           "--method", "GPTQ 4-bit, group size 128", "--trusted-key", "base.pub"]

    @Test func aQuantizationIsPublishedWithOneSignAndPassesCheck() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "q4", modified: ["model.safetensors"])
        try work.keygen("quant")
        let signed = try work.run(["sign", "q4", "--key", "quant.key", "--write-notices"] + Self.quantize)
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stderr == """
            parent acme/base (manifest \(try manifestDigest(work, "base/pedigree.json").prefix(12))…): signed by a trusted key
            wrote q4/NOTICE (2 notices)
            wrote q4/MODIFICATIONS.md (1 modified or added file)
            no evidence: the derivative's tensors could not be read: model.safetensors: data: the tensors cover 1024 of the 1025 data bytes; the rest belongs to no tensor

            """, "\(signed.stderr)")
        #expect(signed.stdout.contains("  quantization of acme/base: 7 unchanged, 1 modified, 1 added\n"), "\(signed)")
        // The files it wrote are inside the signature.
        let names = ((try work.statement("q4/pedigree.json")["predicate"] as! [String: Any])["resources"] as! [[String: Any]])
            .map { $0["name"] as! String }
        #expect(names.contains("NOTICE") && names.contains("MODIFICATIONS.md"))
        let modifications = String(decoding: try work.read("q4/MODIFICATIONS.md"), as: UTF8.self)
        #expect(modifications.contains("- `model.safetensors` (modified): Quantized from acme/base: GPTQ 4-bit, group size 128\n"))
        #expect(!modifications.contains("`NOTICE`") && !modifications.contains("`LICENSE`"))
        let check = try work.run(["check", "q4"])
        #expect(check.status == 0, "\(check)")
        #expect(!check.stdout.contains("FAIL"))
        #expect(check.stdout.contains("PASS      OpenAtom-1.0 §3.1(3) notices of modification: 1 changed file against 1 parent, named in MODIFICATIONS.md"))
        #expect(try work.run(["verify", "q4", "--trusted-key", "quant.pub"]).status == 0)
    }

    @Test func withoutNoticesSignNamesWhatCheckWouldFailAndTheFix() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "q4", modified: ["model.safetensors"])
        try work.folder.write("q4/NOTICE", "Our own notice only.\n")
        try work.keygen("quant")
        let signed = try work.run(["sign", "q4", "--key", "quant.key"] + Self.quantize)
        #expect(signed.status == 0, "\(signed)")
        #expect(signed.stderr.contains("""
            pedigree: warning: pedigree check would fail OpenAtom-1.0 §3.1(2) notices retained:
            """))
        #expect(signed.stderr.contains("  fix: sign again with --write-notices, which writes NOTICE from the ancestors' notices\n"))
        #expect(signed.stderr.contains("""
            pedigree: warning: pedigree check would fail OpenAtom-1.0 §3.1(3) notices of modification:
              - model.safetensors: changed, and no notice file that ships names it with how it was modified
              fix: sign again with --write-notices (and --method TEXT or --modification 'GLOB: TEXT' for files it cannot describe)

            """))
        let check = try work.run(["check", "q4"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("FAIL      OpenAtom-1.0 §3.1(2)"))
        #expect(check.stdout.contains("FAIL      OpenAtom-1.0 §3.1(3)"))

        // The JSON report lists them and validates.
        let json = try work.run(["sign", "q4", "--key", "quant.key", "--force", "--json"] + Self.quantize)
        #expect(json.status == 0)
        try work.folder.write("sign.json", json.stdout)
        let schema = try TestTools.validate("validate-report.py", [work.folder.url("sign.json")])
        #expect(schema.status == 0 && schema.stdout.isEmpty, "\(schema)")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect((report["checkWouldFail"] as! [[String: Any]]).map { $0["clause"] as! String }
            == ["OpenAtom-1.0 §3.1(2)", "OpenAtom-1.0 §3.1(3)"])
    }

    @Test func aFailedSigningPutsTheNoticeFilesBack() throws {
        let work = try Workspace()
        try work.signedBase()
        try work.copyModel("base", to: "q4", modified: ["model.safetensors"])
        try work.keygen("quant")
        let notice = try work.read("q4/NOTICE")
        let failed = try work.run(["sign", "q4", "--key", "quant.key", "--write-notices", "-o", "absent/q4.json"] + Self.quantize)
        #expect(failed.status == 73, "\(failed)")
        #expect(failed.stderr.hasSuffix("pedigree: absent/q4.json: No such file or directory\n"), "\(failed)")
        #expect(try work.read("q4/NOTICE") == notice)
        #expect(!work.exists("q4/MODIFICATIONS.md"))
        #expect(!work.exists("absent"))
        // Nothing to write notices for.
        let plain = try work.run(["sign", "base", "--key", "quant.key", "--write-notices", "--force"])
        #expect(plain.status == 64)
        #expect(plain.stderr == "pedigree: --write-notices writes the notices of a derivative: give --parent (or --spec)\n")
        let appending = try work.run(["sign", "base", "--key", "quant.key", "--write-notices", "--append"])
        #expect(appending.status == 64)
        #expect(appending.stderr.contains("--write-notices writes a derivative's notices before signing it; --append signs an existing manifest"))
    }

    func manifestDigest(_ work: Workspace, _ relative: String) throws -> String {
        let bundle = try work.bundle(relative)
        return bundle.dsseEnvelope.payload.isEmpty ? "" : PedigreeCrypto.SHA256.hash(bundle.dsseEnvelope.payload).hex
    }
}
