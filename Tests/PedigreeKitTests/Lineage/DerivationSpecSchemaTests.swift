import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

/// `Schemas/derivation-spec.v1.schema.json` says what `DerivationSpec.parse` accepts: the
/// examples pass both, and what the parser refuses the schema refuses too (Python jsonschema
/// through `Scripts/validate-spec.py`).
@Suite struct DerivationSpecSchemaTests {
    static let examples = packageRoot + "/Examples/specs"

    @Test func theExampleSpecsParseAndValidate() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples).sorted().map { Self.examples + "/" + $0 }
        #expect(files.count == 3)
        for file in files {
            let spec = try DerivationSpec.parse(String(contentsOfFile: file, encoding: .utf8))
            #expect(spec.relation != nil && spec.parents?.isEmpty == false, "\(file)")
        }
        let result = try TestTools.validate("validate-spec.py", files)
        #expect(result.status == 0 && result.stdout.isEmpty, "\(result)")
        let distillation = try DerivationSpec.parse(String(contentsOfFile: Self.examples + "/distillation.yaml", encoding: .utf8))
        #expect(distillation.parents?.map(\.role) == [nil, .teacher])
        #expect(distillation.parameters == ["epochs": "3", "lr": "2e-5", "temperature": "2"])
    }

    @Test(arguments: [
        "relation: finetune\nmethd: typo\n",
        "relation: rebased\n",
        "parents:\n  - role: teacher\n",
        "parents:\n  - path: a\n    role: student\n",
        "modifications:\n  - files: '*'\n",
        "tool: { name: x, release: 1 }\n",
        "datasets:\n  - digest: sha256:00\n",
        "parameters:\n  lr: [1, 2]\n",
    ])
    func whatTheParserRefusesTheSchemaRefuses(_ text: String) throws {
        #expect(throws: SpecError.self) { try DerivationSpec.parse(text) }
        let folder = try TemporaryFolder()
        let path = try folder.write("spec.yaml", text)
        let result = try TestTools.validate("validate-spec.py", [path])
        #expect(result.status == 1 && !result.stdout.isEmpty, "\(result)")
    }

    @Test func theSchemaNamesEveryRelationAndRole() throws {
        let schema = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Schemas/derivation-spec.v1.schema.json"))) as! [String: Any]
        let properties = schema["properties"] as! [String: Any]
        #expect((properties["relation"] as! [String: Any])["enum"] as? [String] == Relation.allCases.map(\.rawValue))
        let parent = ((properties["parents"] as! [String: Any])["items"] as! [String: Any])["properties"] as! [String: Any]
        #expect((parent["role"] as! [String: Any])["enum"] as? [String] == ParentRole.allCases.map(\.rawValue))
    }
}
