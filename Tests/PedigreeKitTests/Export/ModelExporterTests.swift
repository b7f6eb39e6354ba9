import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

@Suite("Preparing exports")
struct ModelExporterTests {
    @Test func omsChecksTheFolderAndTheKeyFirst() throws {
        let model = try SignedFolder(files: ["model.safetensors": "w"])
        let ed25519 = try PrivateKey.generate(.ed25519)
        let refused = #expect(throws: ExportFailure.self) {
            try ModelExporter.document(ExportRequest(model: model.base, format: .oms, signingKey: ("ed.key", ed25519)))
        }
        #expect(refused == .keyNotECDSA(key: "ed.key", algorithm: "Ed25519"))
        #expect(refused?.exitStatus == .dataError)
        try model.root.write("base/model.safetensors", "changed")
        let ecdsa = try PrivateKey.generate(.ecdsaP256)
        let differs = #expect(throws: ExportFailure.self) {
            try ModelExporter.document(ExportRequest(model: model.base, format: .oms, signingKey: ("ec.key", ecdsa)))
        }
        #expect(differs?.exitStatus == .failure)
        #expect(differs?.description.hasSuffix("not exported:\n  model.safetensors: MODIFIED") == true)
        #expect(!FileManager.default.fileExists(atPath: model.root.url("base/model.sig")))
        try model.root.write("base/model.safetensors", "w")
        let document = try ModelExporter.document(ExportRequest(model: model.base, format: .oms, signingKey: ("ec.key", ecdsa)))
        #expect(document.destination == model.root.url("base/model.sig"))
        try ModelExporter.write(document, overwrite: false)
        #expect(throws: ExportFailure.self) { try ModelExporter.write(document, overwrite: false) }
    }

    @Test func aModelCardGoesToStandardOutputUnlessAFileIsNamed() throws {
        let model = try SignedFolder(files: ["model.safetensors": "w"], name: "acme <b>base</b>")
        let document = try ModelExporter.document(ExportRequest(model: model.root.url("base/pedigree.json"), format: .modelCard))
        #expect(document.destination == nil)
        let text = String(decoding: document.bytes, as: UTF8.self)
        #expect(text.hasPrefix("---\nlicense: mit\n---\n"))
        #expect(text.contains("model `acme <b>base</b>`"))
    }
}
