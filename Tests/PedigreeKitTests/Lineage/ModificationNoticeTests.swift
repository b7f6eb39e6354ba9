import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// Which changed files a derivation's method text is stamped on (§3.1(3), §4(b)).
@Suite struct ModificationNoticeTests {
    @Test func theMethodIsNeverStampedOnLicenseOrNoticeFiles() throws {
        let model = try SignedFolder(files: ["model.safetensors": "w", "LICENSE": "terms v1\n", "NOTICE": "Copyright Acme\n"])
        try model.copy(to: "child", changes: [
            "model.safetensors": "w4", "LICENSE": "terms v1, reflowed\n", "NOTICE": "Copyright Acme\n\nMore\n",
            "COPYING": "other terms\n", "MODIFICATIONS.md": "# Modifications\n",
        ])
        let derivation = DerivationRequest(
            parents: [ParentSource(path: model.base)], relation: .quantization, derivation: Derivation(method: "GPTQ 4-bit"))
        var predicate = try ModelSigner().describe(SignRequest(
            folder: model.root.url("child"), name: "acme/child", createdAt: "1970-01-01T00:00:00Z"))
        #expect(predicate.resources.filter { $0.role == .license }.map(\.name.string) == ["COPYING", "LICENSE"])
        _ = try Deriver.apply(derivation, parents: try Deriver.loadParents(derivation), to: &predicate)
        #expect(predicate.filesNeedingModificationNotice() == ["model.safetensors"])
        #expect(predicate.modifications == [Modification(files: ["model.safetensors"], description: "Quantized from acme/base: GPTQ 4-bit")])
        // A rule that names a license file explicitly does not stamp it either.
        var explicit = derivation
        explicit.modifications = [ModificationRule(glob: Glob("*"), description: "re-quantized")]
        var again = try ModelSigner().describe(SignRequest(
            folder: model.root.url("child"), name: "acme/child", createdAt: "1970-01-01T00:00:00Z"))
        _ = try Deriver.apply(explicit, parents: try Deriver.loadParents(explicit), to: &again)
        #expect(again.modifications.flatMap(\.files) == ["model.safetensors"])
    }
}
