import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import TestSupport
import Testing

@Suite struct CycloneDXExportTests {
    @Test func aThreeGenerationChainIsAValidMLBOM() throws {
        let chain = try ExportFixtures.threeGenerations()
        let bytes = try CycloneDXExport.document(ModelChain(bundle: chain.quantized.bundle))
        let result = try ExportFixtures.validate("validate-cyclonedx.py", bytes)
        #expect(result.status == 0, "\(result)")

        let bom = try ExportFixtures.object(bytes)
        #expect(bom.string("bomFormat") == "CycloneDX")
        #expect(bom.string("specVersion") == "1.6")
        let metadata = bom.object("metadata")
        #expect(metadata.string("timestamp") == "2024-07-01T08:00:00Z")
        let model = metadata.object("component")
        #expect(model.string("type") == "machine-learning-model")
        #expect(model.string("name") == "quant/base-7b-sft-q4")
        #expect(model.objects("hashes").first?.string("content") == chain.quantized.rootDigest.hex)
        #expect(model.objects("hashes").first?.string("alg") == "SHA-256")
        // A LicenseRef is a licence name: the schema forbids it as an id. Declared by the
        // manifest, and concluded: the one license check evaluates across the chain.
        let licenses = model.objects("licenses").map { $0.object("license") }
        #expect(licenses.map { $0.string("name") } == [ExportFixtures.openAtom, ExportFixtures.openAtom])
        #expect(licenses.map { $0.string("acknowledgement") } == ["declared", "concluded"])
        #expect(licenses.allSatisfy { $0["id"] == nil && $0.string("url") == "https://openatom.org" })
        #expect(model.properties("concludedLicense") == [ExportFixtures.openAtom])
        #expect(model.properties("concludedLicenseNote").first?.hasPrefix("The licenses whose distribution conditions") == true)
        #expect(model.string("copyright") == "Copyright 2024 Base Labs")
        #expect(model.properties("manifestDigest") == [chain.quantized.manifestDigest.hex])
        #expect(model.properties("relation") == ["quantization"])

        let pedigree = model.object("pedigree")
        #expect(pedigree.string("notes") == "Quantized from tuner/base-7b-sft: GGUF Q4_K_M (modified: model-q4.gguf)")
        let ancestors = pedigree.objects("ancestors")
        #expect(ancestors.map { $0.string("name") } == ["tuner/base-7b-sft", "acme/base-7b"])
        #expect(ancestors.map { $0.objects("hashes").first?.string("content") }
                == [chain.finetune.rootDigest.hex, chain.base.rootDigest.hex])
        #expect(ancestors.map { $0.properties("manifestDigest") }
                == [[chain.finetune.manifestDigest.hex], [chain.base.manifestDigest.hex]])
        #expect(ancestors.map { $0.properties("relation") } == [["quantization"], ["finetune"]])
        #expect(ancestors.map { $0.properties("child") }
                == [[chain.quantized.manifestDigest.hex], [chain.finetune.manifestDigest.hex]])
        #expect(ancestors.map { $0.properties("format") } == [["pedigree"], ["pedigree"]])
        #expect(ancestors[0].properties("change:removed") == ["model.safetensors"])
        #expect(ancestors[1].string("version") == "1.0")

        let files = bom.objects("components").filter { $0.string("type") == "file" }
        let resources = chain.quantized.predicate.resources
        #expect(files.map { $0.string("name") } == resources.map(\.name.string))
        #expect(files.map { $0.objects("hashes").first?.string("content") } == resources.map(\.digest.hex))
        #expect(files.map { $0.properties("role") } == resources.map { [$0.role.rawValue] })
    }

    @Test func theFineTuneCarriesItsDerivationAndNotices() throws {
        let chain = try ExportFixtures.threeGenerations()
        let bytes = try CycloneDXExport.document(ModelChain(bundle: chain.finetune.bundle))
        let result = try ExportFixtures.validate("validate-cyclonedx.py", bytes)
        #expect(result.status == 0, "\(result)")

        let bom = try ExportFixtures.object(bytes)
        let model = bom.object("metadata").object("component")
        #expect(model.properties("method") == ["LoRA r=16, merged"])
        #expect(model.properties("parameter:epochs") == ["3"])
        #expect(model.properties("parameter:learning_rate") == ["2e-4"])
        #expect(model.properties("tool") == ["peft"])
        #expect(model.properties("distribution") == ["files"])
        let retained = try model.properties("notice:retained").map { try ExportFixtures.object(Array($0.utf8)) }
        #expect(retained.map { $0.string("text") } == ["Copyright 2024 Base Labs"])
        #expect(retained.first?.object("origin").string("manifestDigest") == chain.base.manifestDigest.hex)
        #expect(model.properties("notice:added").count == 1)
        #expect(model.properties("notice:dropped").first?.contains("no longer shipped") == true)

        let datasets = bom.objects("components").filter { $0.string("type") == "data" }
        #expect(datasets.map { $0.string("name") } == ["acme/instructions", "internal-eval"])
        #expect(datasets[0].objects("hashes").first?.string("content") == ExportFixtures.digest("instructions"))
        let references = model.object("modelCard").object("modelParameters").objects("datasets").map { $0.string("ref") }
        #expect(references == datasets.map { $0.string("bom-ref") })
    }

    @Test func theOutputIsDeterministic() throws {
        let chain = try ModelChain(bundle: ExportFixtures.threeGenerations().quantized.bundle)
        let first = try CycloneDXExport.document(chain)
        #expect(try CycloneDXExport.document(chain) == first)
        let serial = try #require(ExportFixtures.object(first).string("serialNumber"))
        #expect(serial.range(of: #"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#,
                             options: .regularExpression) != nil)

        let given = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
        let chosen = try CycloneDXExport.document(chain, serialNumber: given)
        #expect(try ExportFixtures.object(chosen).string("serialNumber") == given)
        #expect(throws: ExportError.self) { try CycloneDXExport.document(chain, serialNumber: "3E671687") }
    }

    @Test func theValidatorRejectsABrokenBOM() throws {
        let chain = try ModelChain(bundle: ExportFixtures.threeGenerations().quantized.bundle)
        let text = String(decoding: try CycloneDXExport.document(chain), as: UTF8.self)
        // A LicenseRef as a licence id, which the schema's SPDX enumeration forbids.
        let badLicense = text.replacingOccurrences(of: "\"name\": \"LicenseRef-", with: "\"id\": \"LicenseRef-")
        #expect(badLicense != text)
        let licenseResult = try ExportFixtures.validate("validate-cyclonedx.py", Array(badLicense.utf8))
        #expect(licenseResult.status == 1, "\(licenseResult)")
        #expect(licenseResult.stdout.contains("schema"))
        // Two components with one bom-ref: valid for the schema, caught by the validator.
        let duplicate = text.replacingOccurrences(of: "\"bom-ref\": \"file:NOTICE\"", with: "\"bom-ref\": \"file:LICENSE\"")
        #expect(duplicate != text)
        let duplicateResult = try ExportFixtures.validate("validate-cyclonedx.py", Array(duplicate.utf8))
        #expect(duplicateResult.status == 1, "\(duplicateResult)")
        #expect(duplicateResult.stdout.contains("not unique"))
    }
}

@Suite struct SPDXExportTests {
    /// The elements of a document by spdxId, and its relationships.
    struct Graph {
        var elements: [String: [String: Any]] = [:]
        var relationships: [[String: Any]] = []
        var creationInfo: [String: Any] = [:]

        init(_ bytes: [UInt8]) throws {
            let document = try ExportFixtures.object(bytes)
            for element in document.objects("@graph") {
                if element.string("type") == "CreationInfo" { creationInfo = element }
                if element.string("type") == "Relationship" { relationships.append(element) }
                if let id = element.string("spdxId") { elements[id] = element }
            }
        }

        func targets(_ from: String, _ type: String) -> [String] {
            relationships(from, type).flatMap { $0.strings("to") }
        }

        func relationships(_ from: String, _ type: String) -> [[String: Any]] {
            relationships.filter { $0.string("from") == from && $0.string("relationshipType") == type }
        }

        /// The one relationship of `type` from `from`, with the expression it points at
        /// (`NoAssertionLicense` for the individual).
        func license(_ from: String, _ type: String) throws -> (expression: String, comment: String) {
            let found = relationships(from, type)
            try #require(found.count == 1, "\(found.count) \(type) relationships from \(from)")
            let target = try #require(found[0].strings("to").first)
            let individuals = ["expandedlicensing_NoAssertionLicense": "NoAssertionLicense", "expandedlicensing_NoneLicense": "NoneLicense"]
            let expression = try individuals[target] ?? #require(elements[target]?.string("simplelicensing_licenseExpression"))
            return (expression, found[0].string("comment") ?? "")
        }

        func packages(named name: String) -> [String] {
            elements.filter { $0.value.string("type") == "ai_AIPackage" && $0.value.string("name") == name }.map(\.key)
        }
    }

    @Test func aThreeGenerationChainIsValidSPDX() throws {
        let chain = try ExportFixtures.threeGenerations()
        let bytes = try SPDXExport.document(ModelChain(bundle: chain.quantized.bundle))
        let result = try ExportFixtures.validate("validate-spdx.py", bytes)
        #expect(result.status == 0, "\(result)")
        #expect(try SPDXExport.document(ModelChain(bundle: chain.quantized.bundle)) == bytes)

        let document = try ExportFixtures.object(bytes)
        #expect(document.string("@context") == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld")
        let graph = try Graph(bytes)
        #expect(graph.creationInfo.string("created") == "2024-07-01T08:00:00Z")
        #expect(graph.creationInfo.string("specVersion") == "3.0.1")
        let base = "https://pedigree.dev/spdx/\(chain.quantized.manifestDigest.hex)/"
        #expect(graph.elements.keys.allSatisfy { $0.hasPrefix(base) })

        let model = try #require(graph.packages(named: "quant/base-7b-sft-q4").first)
        let finetune = try #require(graph.packages(named: "tuner/base-7b-sft").first)
        let ancestor = try #require(graph.packages(named: "acme/base-7b").first)
        #expect(graph.targets(model, "descendantOf") == [finetune])
        #expect(graph.targets(finetune, "descendantOf") == [ancestor])
        #expect(graph.targets(ancestor, "descendantOf").isEmpty)
        for (id, result) in [(model, chain.quantized), (finetune, chain.finetune), (ancestor, chain.base)] {
            let hash = try #require(graph.elements[id]?.objects("verifiedUsing").first)
            #expect(hash.string("algorithm") == "sha256")
            #expect(hash.string("hashValue") == result.rootDigest.hex)
            let identifier = graph.elements[id]?.objects("externalIdentifier").first?.string("identifier")
            #expect(identifier == "sha256:" + result.manifestDigest.hex)
        }

        let files = graph.targets(model, "contains").compactMap { graph.elements[$0] }
        let resources = chain.quantized.predicate.resources
        #expect(files.map { $0.string("name") } == resources.map(\.name.string))
        #expect(files.map { $0.objects("verifiedUsing").first?.string("hashValue") } == resources.map(\.digest.hex))

        // Each package: one declared and one concluded license, the same OpenAtom expression
        // element throughout, with where each comes from.
        for (id, names) in [(model, "this model, tuner/base-7b-sft, acme/base-7b"), (finetune, "this model, acme/base-7b"),
                            (ancestor, "this model")] {
            let declared = try graph.license(id, "hasDeclaredLicense")
            let concluded = try graph.license(id, "hasConcludedLicense")
            #expect(declared.expression == ExportFixtures.openAtom)
            #expect(declared.comment.hasPrefix("Declared in the signed manifest; its text ships as LICENSE (sha256:"))
            #expect(concluded.expression == ExportFixtures.openAtom)
            #expect(concluded.comment.contains("`pedigree check` evaluates for this model: \(ExportFixtures.openAtom) (declared by \(names))."))
        }
        #expect(graph.targets(ancestor, "hasDeclaredLicense") == graph.targets(model, "hasConcludedLicense"))
        let expression = try #require(graph.elements[graph.targets(model, "hasDeclaredLicense")[0]])
        #expect(expression["simplelicensing_customIdToUri"] == nil)
        #expect(expression.string("comment") == "\(ExportFixtures.openAtom): the OpenAtom Model License 1.0, published at https://openatom.org.")
        // Every file has its concluded license too: none, said so.
        for file in graph.targets(model, "contains") {
            let concluded = try graph.license(file, "hasConcludedLicense")
            #expect(concluded.expression == "NoAssertionLicense")
            #expect(concluded.comment == "pedigree concludes the licenses of a model, not of each of its files.")
        }

        // What the AI profile requires of every AI package.
        let spdxDocument = try #require(graph.elements.values.first { $0.string("type") == "SpdxDocument" })
        #expect(spdxDocument.strings("profileConformance") == ["core", "software", "ai", "simpleLicensing"])
        for (id, result, version) in [(model, chain.quantized, "NOASSERTION"), (finetune, chain.finetune, "0.2"),
                                      (ancestor, chain.base, "1.0")] {
            let package = try #require(graph.elements[id])
            #expect(package.string("type") == "ai_AIPackage")
            #expect(package.string("releaseTime") == ExportSupport.utcTimestamp(result.predicate.createdAt))
            #expect(package.string("software_packageVersion") == version)
            #expect(package.string("software_downloadLocation") == "NOASSERTION")
            #expect(package.string("software_primaryPurpose") == "model")
            let supplier = try #require(graph.elements[package.string("suppliedBy") ?? ""])
            #expect(supplier.string("type") == "Agent")
            #expect(supplier.string("name") == "holder of signing key \(result.keyID)")
        }

        let package = try #require(graph.elements[model])
        #expect(package.strings("software_attributionText")
                == ["Copyright 2024 Base Labs", "Fine-tuned by Tuner Co. on instruction data."])
        #expect(package.string("software_copyrightText") == "Copyright 2024 Base Labs")
        let statements = graph.elements.values.filter { $0.string("type") == "Annotation" }.compactMap { $0.string("statement") }
        #expect(statements.contains("Modification notice: Quantized from tuner/base-7b-sft: GGUF Q4_K_M (modified: model-q4.gguf)"))
    }

    @Test func theFineTuneNamesItsDatasetsAndTool() throws {
        let chain = try ExportFixtures.threeGenerations()
        let bytes = try SPDXExport.document(ModelChain(bundle: chain.finetune.bundle))
        let result = try ExportFixtures.validate("validate-spdx.py", bytes)
        #expect(result.status == 0, "\(result)")

        let graph = try Graph(bytes)
        let model = try #require(graph.packages(named: "tuner/base-7b-sft").first)
        let datasets = graph.targets(model, "trainedOn").compactMap { graph.elements[$0] }
        #expect(datasets.map { $0.string("name") } == ["acme/instructions", "internal-eval"])
        #expect(datasets[0].objects("verifiedUsing").first?.string("hashValue") == ExportFixtures.digest("instructions"))
        // The manifest knows too little of a dataset for the Dataset profile: a plain data package.
        #expect(datasets.map { $0.string("type") } == ["software_Package", "software_Package"])
        #expect(datasets.map { $0.string("software_primaryPurpose") } == ["data", "data"])
        for id in graph.targets(model, "trainedOn") {
            #expect(try graph.license(id, "hasDeclaredLicense").expression == "NoAssertionLicense")
            #expect(try graph.license(id, "hasConcludedLicense").comment == "The derivation names this dataset, not its license.")
        }
        let document = try #require(graph.elements.values.first { $0.string("type") == "SpdxDocument" })
        #expect(!document.strings("profileConformance").contains("dataset"))
        let tool = try #require(graph.relationships.first { $0.string("relationshipType") == "generates" })
        #expect(graph.elements[tool.string("from") ?? ""]?.string("name") == "peft 0.11.1")
        let package = try #require(graph.elements[model])
        #expect(package.string("ai_informationAboutTraining") == "LoRA r=16, merged")
        #expect(package.objects("ai_hyperparameter").map { $0.string("key") } == ["epochs", "learning_rate"])
        let statements = graph.elements.values.filter { $0.string("type") == "Annotation" }.compactMap { $0.string("statement") }
        #expect(statements.contains { $0.hasPrefix("Inherited attribution notice not carried") })
    }

    @Test func theValidatorRejectsABrokenDocument() throws {
        let chain = try ModelChain(bundle: ExportFixtures.threeGenerations().quantized.bundle)
        let text = String(decoding: try SPDXExport.document(chain), as: UTF8.self)
        // The SPDX 2 spelling of a relationship type.
        let spdx2 = text.replacingOccurrences(of: "\"descendantOf\"", with: "\"DESCENDANT_OF\"")
        #expect(spdx2 != text)
        let typeResult = try ExportFixtures.validate("validate-spdx.py", Array(spdx2.utf8))
        #expect(typeResult.status == 1, "\(typeResult)")
        #expect(typeResult.stdout.contains("DESCENDANT_OF"))
        // Relationships to an element the document does not define: the ancestors are left out.
        var document = try ExportFixtures.object(Array(text.utf8))
        document["@graph"] = document.objects("@graph").filter { !($0.string("spdxId") ?? "").contains("/ancestor/") }
        let dangling = try JSONSerialization.data(withJSONObject: document)
        let danglingResult = try ExportFixtures.validate("validate-spdx.py", Array(dangling))
        #expect(danglingResult.status == 1, "\(danglingResult)")
        #expect(danglingResult.stdout.contains("not defined"))
    }
}

@Suite struct SLSAExportTests {
    @Test func theFineTunesProvenanceNamesItsParentAndDatasets() throws {
        let chain = try ExportFixtures.threeGenerations()
        let modelChain = try ModelChain(bundle: chain.finetune.bundle)
        let bytes = try SLSAExport.statement(modelChain)
        #expect(try SLSAExport.statement(modelChain) == bytes)
        let result = try ExportFixtures.validateSLSA(bytes)
        #expect(result.status == 0, "\(result)")

        let statement = try ExportFixtures.object(bytes)
        #expect(statement.string("_type") == "https://in-toto.io/Statement/v1")
        #expect(statement.string("predicateType") == "https://slsa.dev/provenance/v1")
        let subject = try #require(statement.objects("subject").first)
        #expect(subject.string("name") == "tuner/base-7b-sft")
        #expect(subject.object("digest").string("sha256") == chain.finetune.rootDigest.hex)

        let definition = statement.object("predicate").object("buildDefinition")
        #expect(definition.string("buildType") == "https://pedigree.dev/derivation/v1")
        let external = definition.object("externalParameters")
        #expect(external.string("relation") == "finetune")
        #expect(external.string("method") == "LoRA r=16, merged")
        #expect(external.object("parameters") as? [String: String] == ["learning_rate": "2e-4", "epochs": "3"])

        let dependencies = definition.objects("resolvedDependencies")
        #expect(dependencies.map { $0.string("name") } == ["acme/base-7b", "acme/instructions"])
        #expect(dependencies[0].object("digest").string("sha256") == chain.base.rootDigest.hex)
        let annotations = dependencies[0].object("annotations")
        #expect(annotations.string("manifestDigest") == chain.base.manifestDigest.hex)
        #expect(annotations.string("relation") == "finetune")
        #expect(annotations.string("role") == "base")
        #expect(dependencies[1].object("digest").string("sha256") == ExportFixtures.digest("instructions"))

        let run = statement.object("predicate").object("runDetails")
        #expect(run.object("builder").string("id") == "https://pedigree.dev/tool/peft")
        #expect(run.object("builder").object("version").string("peft") == "0.11.1")
        #expect(run.object("metadata").string("finishedOn") == "2024-06-01T12:30:00Z")
        #expect(run.object("metadata").string("invocationId") == chain.finetune.manifestDigest.hex)
    }

    @Test func theCheckRejectsMisspelledProvenance() throws {
        let chain = try ModelChain(bundle: ExportFixtures.threeGenerations().quantized.bundle)
        let text = String(decoding: try SLSAExport.statement(chain), as: UTF8.self)
        #expect(try ExportFixtures.validateSLSA(Array(text.utf8)).status == 0)
        let misspelled = text.replacingOccurrences(of: "\"resolvedDependencies\"", with: "\"resolvedDeps\"")
        #expect(misspelled != text)
        let result = try ExportFixtures.validateSLSA(Array(misspelled.utf8))
        #expect(result.status != 0, "\(result)")
        #expect(result.stdout.contains("resolvedDeps"))
    }
}

@Suite struct ExportedMergesAndOMSModels {
    @Test func aMergeOfAPedigreeAndAnOMSParentExportsBothParents() throws {
        let fixture = try ExportFixtures.mergeWithOMSParent()
        let chain = try ModelChain(bundle: fixture.merged.bundle)

        let bom = try CycloneDXExport.document(chain)
        let bomResult = try ExportFixtures.validate("validate-cyclonedx.py", bom)
        #expect(bomResult.status == 0, "\(bomResult)")
        let model = try ExportFixtures.object(bom).object("metadata").object("component")
        #expect(model.objects("licenses").first?.object("license").string("id") == "Apache-2.0")
        // The OMS parent records no license: nothing is concluded, and the BOM says why.
        #expect(model.objects("licenses").count == 1)
        #expect(model.properties("concludedLicense") == ["NOASSERTION"])
        #expect(model.properties("concludedLicenseNote").first?.contains("right-model was signed by model_signing") == true)
        let ancestors = model.object("pedigree").objects("ancestors")
        #expect(ancestors.map { $0.string("name") } == ["left/model", "right-model"])
        #expect(ancestors.map { $0.properties("format") } == [["pedigree"], ["oms"]])
        #expect(ancestors[1].objects("hashes").first?.string("content") == fixture.omsParent.rootDigest.hex)
        #expect(ancestors[0].objects("licenses").first?.object("license").string("id") == "Apache-2.0")
        #expect(model.properties("relation") == ["merge", "merge"])

        let spdx = try SPDXExport.document(chain)
        let spdxResult = try ExportFixtures.validate("validate-spdx.py", spdx)
        #expect(spdxResult.status == 0, "\(spdxResult)")
        let graph = try SPDXExportTests.Graph(spdx)
        let merged = try #require(graph.packages(named: "merged/model").first)
        let parents = graph.targets(merged, "descendantOf").compactMap { graph.elements[$0]?.string("name") }
        #expect(parents == ["left/model", "right-model"])

        let provenanceBytes = try SLSAExport.statement(chain)
        let provenanceResult = try ExportFixtures.validateSLSA(provenanceBytes)
        #expect(provenanceResult.status == 0, "\(provenanceResult)")
        let provenance = try ExportFixtures.object(provenanceBytes)
        let dependencies = provenance.object("predicate").object("buildDefinition").objects("resolvedDependencies")
        #expect(dependencies.map { $0.object("digest").string("sha256") }
                == [fixture.pedigreeParent.rootDigest.hex, fixture.omsParent.rootDigest.hex])
        #expect(dependencies.map { $0.object("annotations").string("format") } == ["pedigree", "oms"])
    }

    @Test func anOMSManifestAloneExportsItsFiles() throws {
        let envelope = try ExportFixtures.omsEnvelope(name: "oms-only")
        let chain = try ModelChain(bundle: ManifestBundle(kind: .sigstore, dsseEnvelope: envelope))

        let bom = try CycloneDXExport.document(chain)
        let bomResult = try ExportFixtures.validate("validate-cyclonedx.py", bom)
        #expect(bomResult.status == 0, "\(bomResult)")
        let parsed = try ExportFixtures.object(bom)
        #expect(parsed.object("metadata")["timestamp"] == nil)
        #expect(parsed.objects("components").map { $0.string("name") } == ["model.safetensors", "config.json"])

        let spdx = try SPDXExport.document(chain)
        let spdxResult = try ExportFixtures.validate("validate-spdx.py", spdx)
        #expect(spdxResult.status == 0, "\(spdxResult)")

        let provenanceBytes = try SLSAExport.statement(chain)
        let provenanceResult = try ExportFixtures.validateSLSA(provenanceBytes)
        #expect(provenanceResult.status == 0, "\(provenanceResult)")
        let provenance = try ExportFixtures.object(provenanceBytes)
        #expect(provenance.object("predicate").object("runDetails").object("builder").string("id")
                == "https://pedigree.dev/tool/pedigree")
    }
}

@Suite struct ExportedChainsWithAMissingParent {
    /// A fine-tune whose bundle lost its parent's manifest: the parent is still exported, from
    /// the reference, and marked as not embedded.
    @Test func theParentIsExportedFromItsReference() throws {
        let generations = try ExportFixtures.threeGenerations()
        var bundle = generations.finetune.bundle
        bundle.ancestors = []
        let chain = try ModelChain(bundle: bundle)

        let bom = try CycloneDXExport.document(chain)
        let bomResult = try ExportFixtures.validate("validate-cyclonedx.py", bom)
        #expect(bomResult.status == 0, "\(bomResult)")
        let ancestor = try #require(
            ExportFixtures.object(bom).object("metadata").object("component").object("pedigree").objects("ancestors").first)
        #expect(ancestor.string("name") == "acme/base-7b")
        #expect(ancestor.objects("hashes").first?.string("content") == generations.base.rootDigest.hex)
        #expect(ancestor.properties("embedded") == ["false"])
        #expect(ancestor.properties("format") == ["unknown"])

        let spdx = try SPDXExport.document(chain)
        let spdxResult = try ExportFixtures.validate("validate-spdx.py", spdx)
        #expect(spdxResult.status == 0, "\(spdxResult)")
        let graph = try SPDXExportTests.Graph(spdx)
        let model = try #require(graph.packages(named: "tuner/base-7b-sft").first)
        #expect(graph.targets(model, "descendantOf").compactMap { graph.elements[$0]?.string("name") } == ["acme/base-7b"])

        let provenance = try SLSAExport.statement(chain)
        let provenanceResult = try ExportFixtures.validateSLSA(provenance)
        #expect(provenanceResult.status == 0, "\(provenanceResult)")
        let dependency = try #require(ExportFixtures.object(provenance).object("predicate").object("buildDefinition")
            .objects("resolvedDependencies").first)
        #expect(dependency.object("annotations")["embedded"] as? Bool == false)
    }
}

@Suite struct ExportSupportTests {
    @Test func licensesAreSortedIntoListedReferencedAndNamed() {
        #expect(ExportLicense("apache-2.0") == .listed("Apache-2.0"))
        #expect(ExportLicense("licenseref-x") == .reference("LicenseRef-x"))
        #expect(ExportLicense("LicenseRef-Acme terms").spdxExpression == "LicenseRef-Acme-terms")
        #expect(ExportLicense("MIT OR Apache-2.0") == .expression("MIT OR Apache-2.0"))
        #expect(ExportLicense("NOASSERTION") == .undeclared)
        #expect(ExportLicense("Acme Model Terms") == .unlisted("Acme Model Terms"))
        #expect(ExportLicense("Acme Model Terms").spdxExpression == "LicenseRef-Acme-Model-Terms")
        #expect(ExportLicense("acme_terms").spdxExpression == "LicenseRef-acme-terms")
        #expect(ExportLicense("NONE") == .noLicense)
        #expect(ExportLicense("NONE").spdxExpression == nil)
    }

    @Test func timestampsBecomeUTCWithWholeSeconds() {
        #expect(ExportSupport.utcTimestamp("2024-07-01T08:00:00Z") == "2024-07-01T08:00:00Z")
        #expect(ExportSupport.utcTimestamp("2024-07-01T10:00:00.250+02:00") == "2024-07-01T08:00:00Z")
        #expect(ExportSupport.utcTimestamp("2024-07-01") == nil)
        #expect(ExportSupport.utcTimestamp("yesterday") == nil)
    }

    @Test func serialNumbersAreNameBasedUUIDs() {
        let first = ExportSupport.uuidURN("https://pedigree.dev/cyclonedx/a")
        #expect(first == ExportSupport.uuidURN("https://pedigree.dev/cyclonedx/a"))
        #expect(first != ExportSupport.uuidURN("https://pedigree.dev/cyclonedx/b"))
        #expect(Array(first)[23] == "8")
    }

    @Test func datasetDigestsAreReadWithTheirAlgorithm() {
        let hex = ExportFixtures.digest("x")
        #expect(ExportSupport.digestSet(hex)?.algorithm == "sha256")
        #expect(ExportSupport.digestSet("sha256:" + hex.uppercased())?.value == hex)
        #expect(ExportSupport.digestSet("md5:abc")?.algorithm == "md5")
        #expect(ExportSupport.digestSet("v1.2") == nil)
    }
}

@Suite struct SPDXLicenseConclusionTests {
    @Test func theConclusionFollowsTheChain() throws {
        let fixture = try ExportFixtures.apacheBaseWithOpenAtomChild()
        let chain = try ModelChain(bundle: fixture.child.bundle)
        #expect(LicenseConclusion(for: chain.manifest, in: chain) == .licenses([
            .init(license: LicenseCatalog.openAtom, declaredBy: ["this model"]),
            .init(license: LicenseCatalog.apache2, declaredBy: ["apache/base"]),
        ]))
        let base = try #require(chain.ancestors.first)
        #expect(LicenseConclusion(for: base, in: chain).spdxExpression == "Apache-2.0")

        let merge = try ModelChain(bundle: ExportFixtures.mergeWithOMSParent().merged.bundle)
        #expect(LicenseConclusion(for: merge.manifest, in: merge)
                == .undetermined(["right-model was signed by model_signing, whose manifests record no license"]))
        let unknown = try ModelChain(bundle: ExportFixtures.unknownLicense().bundle)
        #expect(LicenseConclusion(for: unknown.manifest, in: unknown).spdxExpression == nil)
    }

    @Test func theConclusionGathersTheLicensesTheChainPassesOn() throws {
        let fixture = try ExportFixtures.apacheBaseWithOpenAtomChild()
        let bytes = try SPDXExport.document(ModelChain(bundle: fixture.child.bundle))
        let result = try ExportFixtures.validate("validate-spdx.py", bytes)
        #expect(result.status == 0, "\(result)")

        let graph = try SPDXExportTests.Graph(bytes)
        let child = try #require(graph.packages(named: "openatom/child").first)
        let base = try #require(graph.packages(named: "apache/base").first)
        #expect(try graph.license(child, "hasDeclaredLicense").expression == ExportFixtures.openAtom)
        let concluded = try graph.license(child, "hasConcludedLicense")
        #expect(concluded.expression == "\(ExportFixtures.openAtom) AND Apache-2.0")
        #expect(concluded.comment.hasSuffix("\(ExportFixtures.openAtom) (declared by this model); Apache-2.0 (declared by apache/base)."))
        #expect(try graph.license(base, "hasDeclaredLicense").expression == "Apache-2.0")
        #expect(try graph.license(base, "hasConcludedLicense").expression == "Apache-2.0")

        // CycloneDX: the declared license, then each concluded one.
        let bom = try CycloneDXExport.document(ModelChain(bundle: fixture.child.bundle))
        let bomResult = try ExportFixtures.validate("validate-cyclonedx.py", bom)
        #expect(bomResult.status == 0, "\(bomResult)")
        let model = try ExportFixtures.object(bom).object("metadata").object("component")
        let licenses = model.objects("licenses").map { $0.object("license") }
        #expect(licenses.map { $0.string("id") ?? $0.string("name") }
                == [ExportFixtures.openAtom, ExportFixtures.openAtom, "Apache-2.0"])
        #expect(licenses.map { $0.string("acknowledgement") } == ["declared", "concluded", "concluded"])
        #expect(model.properties("concludedLicense") == ["\(ExportFixtures.openAtom) AND Apache-2.0"])
        let ancestor = try #require(model.object("pedigree").objects("ancestors").first)
        #expect(ancestor.objects("licenses").map { $0.object("license").string("acknowledgement") } == ["declared", "concluded"])
        #expect(ancestor.properties("concludedLicense") == ["Apache-2.0"])
    }

    @Test func aLicensePedigreeDoesNotEvaluateIsNoAssertion() throws {
        let signed = try ExportFixtures.unknownLicense()
        let bytes = try SPDXExport.document(ModelChain(bundle: signed.bundle))
        let result = try ExportFixtures.validate("validate-spdx.py", bytes)
        #expect(result.status == 0, "\(result)")
        let graph = try SPDXExportTests.Graph(bytes)
        let model = try #require(graph.packages(named: "mit/model").first)
        #expect(try graph.license(model, "hasDeclaredLicense").expression == "MIT")
        let concluded = try graph.license(model, "hasConcludedLicense")
        #expect(concluded.expression == "NoAssertionLicense")
        #expect(concluded.comment.contains("MIT, declared by this model, is not a license pedigree evaluates"))
        #expect(graph.elements[model]?.string("software_packageVersion") == "NOASSERTION")

        // A manifest that declares NONE: the SPDX individual for "no license applies".
        let none = try ModelSigner().sign(
            ExportFixtures.predicate(
                name: "none/model", version: "1", resources: [try ExportFixtures.file("w", "w", size: 1, role: .weights)],
                license: "NONE", notices: Notices(), createdAt: "2024-04-01T00:00:00Z"),
            key: PrivateKey.generate(.ed25519))
        let noneBytes = try SPDXExport.document(ModelChain(bundle: none.bundle))
        #expect(try ExportFixtures.validate("validate-spdx.py", noneBytes).status == 0)
        let noneGraph = try SPDXExportTests.Graph(noneBytes)
        let noneModel = try #require(noneGraph.packages(named: "none/model").first)
        #expect(try noneGraph.license(noneModel, "hasDeclaredLicense")
                == ("NoneLicense", "The signed manifest declares NONE: no license applies."))
        #expect(try noneGraph.license(noneModel, "hasConcludedLicense").expression == "NoAssertionLicense")

        let bom = try CycloneDXExport.document(ModelChain(bundle: signed.bundle))
        #expect(try ExportFixtures.validate("validate-cyclonedx.py", bom).status == 0)
        let component = try ExportFixtures.object(bom).object("metadata").object("component")
        #expect(component.objects("licenses").map { $0.object("license").string("acknowledgement") } == ["declared"])
        #expect(component.properties("concludedLicense") == ["NOASSERTION"])
        #expect(component.properties("concludedLicenseNote").first?.contains("is not a license pedigree evaluates") == true)
    }

    @Test func aParentWithoutALicenseOrATimeIsAPlainPackageAndBlocksTheConclusion() throws {
        let fixture = try ExportFixtures.mergeWithOMSParent()
        let bytes = try SPDXExport.document(ModelChain(bundle: fixture.merged.bundle))
        let graph = try SPDXExportTests.Graph(bytes)
        let merged = try #require(graph.packages(named: "merged/model").first)
        let concluded = try graph.license(merged, "hasConcludedLicense")
        #expect(concluded.expression == "NoAssertionLicense")
        #expect(concluded.comment.contains("right-model was signed by model_signing, whose manifests record no license"))
        #expect(try graph.license(merged, "hasDeclaredLicense").expression == "Apache-2.0")
        let right = try #require(graph.elements.first { $0.value.string("name") == "right-model" })
        #expect(right.value.string("type") == "software_Package")
        #expect(right.value.string("software_primaryPurpose") == "model")
        #expect(right.value.string("comment")?.contains("an OMS manifest records no time") == true)
        #expect(try graph.license(right.key, "hasDeclaredLicense").comment == "An OMS manifest (written by model_signing) records no license.")

        // A parent known only by its reference: the same, for the same reason.
        var bundle = try ExportFixtures.threeGenerations().finetune.bundle
        bundle.ancestors = []
        let missing = try SPDXExportTests.Graph(SPDXExport.document(ModelChain(bundle: bundle)))
        let model = try #require(missing.packages(named: "tuner/base-7b-sft").first)
        #expect(try missing.license(model, "hasConcludedLicense").comment.contains("the manifest of acme/base-7b, a parent of this model, is not embedded"))
        let parent = try #require(missing.elements.first { $0.value.string("name") == "acme/base-7b" })
        #expect(parent.value.string("type") == "software_Package")
        #expect(try missing.license(parent.key, "hasConcludedLicense").expression == "NoAssertionLicense")
    }
}

/// The exports measured by the standards' own machine-readable models and by the rules the
/// SPDX specification states only in prose.
@Suite struct SPDXConformanceTests {
    /// Every chain shape the fixtures build.
    enum Fixture: String, CaseIterable {
        case threeGenerations, fineTune, mergeWithOMSParent, omsAlone, missingParent, apacheBaseWithOpenAtomChild, unknownLicense

        func chain() throws -> ModelChain {
            switch self {
            case .threeGenerations: return try ModelChain(bundle: ExportFixtures.threeGenerations().quantized.bundle)
            case .fineTune: return try ModelChain(bundle: ExportFixtures.threeGenerations().finetune.bundle)
            case .mergeWithOMSParent: return try ModelChain(bundle: ExportFixtures.mergeWithOMSParent().merged.bundle)
            case .omsAlone:
                let envelope = try ExportFixtures.omsEnvelope(name: "oms-only")
                return try ModelChain(bundle: ManifestBundle(kind: .sigstore, dsseEnvelope: envelope))
            case .missingParent:
                var bundle = try ExportFixtures.threeGenerations().finetune.bundle
                bundle.ancestors = []
                return try ModelChain(bundle: bundle)
            case .apacheBaseWithOpenAtomChild: return try ModelChain(bundle: ExportFixtures.apacheBaseWithOpenAtomChild().child.bundle)
            case .unknownLicense: return try ModelChain(bundle: ExportFixtures.unknownLicense().bundle)
            }
        }
    }

    /// Every chain shape, in one run of the validator (the official schema takes jsonschema
    /// seconds per document; loading the shapes, another few per process).
    @Test(.needsSPDXSpec)
    func everyChainValidatesAgainstTheSchemaTheShapesAndTheProfileRules() throws {
        let folder = try TemporaryFolder()
        let paths = try Fixture.allCases.map { fixture in
            try folder.write("\(fixture.rawValue).spdx.json", Data(SPDXExport.document(fixture.chain())))
        }
        let reference = try LocalTools.spdxReference
        let result = try LocalTools.script("validate-spdx.py", ["--reference", reference] + paths)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.isEmpty)
    }

    /// The three-generation document with each AI-profile and licensing rule broken in turn.
    static func brokenDocument() throws -> (bytes: [UInt8], rules: [String]) {
        let chain = try ModelChain(bundle: ExportFixtures.threeGenerations().quantized.bundle)
        var document = try ExportFixtures.object(SPDXExport.document(chain))
        var graph = document.objects("@graph")
        let base = "https://pedigree.dev/spdx/" + chain.manifest.manifestDigest.hex + "/"
        let ancestorID = try #require(graph.first { $0.string("name") == "acme/base-7b" }?.string("spdxId"))
        let fineTuneID = try #require(graph.first { $0.string("name") == "tuner/base-7b-sft" }?.string("spdxId"))
        // ai-1, licensing-1: the model loses its concluded license (and the document its id).
        let dropped = graph.filter { $0.string("from") == base + "model" && $0.string("relationshipType") == "hasConcludedLicense" }
            .compactMap { $0.string("spdxId") }
        graph.removeAll { dropped.contains($0.string("spdxId") ?? "") }
        for index in graph.indices where graph[index].string("type") == "SpdxDocument" {
            graph[index]["element"] = graph[index].strings("element").filter { !dropped.contains($0) }
        }
        // ai-2: the base model declares two.
        var second = try #require(graph.first { $0.string("from") == ancestorID && $0.string("relationshipType") == "hasDeclaredLicense" })
        second["spdxId"] = base + "relationship/extra"
        graph.append(second)
        // licensing-2: the fine-tune's conclusion differs from its declaration and says nothing.
        let declaredOther: [String: Any] = [
            "type": "simplelicensing_LicenseExpression", "spdxId": base + "license/other", "creationInfo": "_:creationinfo",
            "simplelicensing_licenseExpression": "Apache-2.0",
        ]
        graph.append(declaredOther)
        for index in graph.indices where graph[index].string("from") == fineTuneID
            && graph[index].string("relationshipType") == "hasConcludedLicense"
        {
            graph[index]["to"] = [base + "license/other"]
            graph[index]["comment"] = nil
        }
        for index in graph.indices {
            // ai-3: no release time for the base model.
            if graph[index].string("spdxId") == ancestorID { graph[index]["releaseTime"] = nil }
            // licensing-5: a LicenseRef mapped to a web page rather than to a license text.
            if graph[index].string("type") == "simplelicensing_LicenseExpression", graph[index].string("spdxId") != base + "license/other" {
                graph[index]["simplelicensing_customIdToUri"] = [
                    ["type": "DictionaryEntry", "key": ExportFixtures.openAtom, "value": "https://openatom.org"]
                ]
            }
        }
        document["@graph"] = graph
        return (Array(try JSONSerialization.data(withJSONObject: document)), ["ai-1", "ai-2", "ai-3", "licensing-1", "licensing-2", "licensing-5"])
    }

    @Test func theProfileRulesCatchEachBreach() throws {
        let broken = try Self.brokenDocument()
        let result = try ExportFixtures.validate("validate-spdx.py", broken.bytes, ["--check", "profiles"])
        #expect(result.status == 1, "\(result)")
        for rule in broken.rules {
            #expect(result.stdout.contains("profiles: \(rule): "), "\(rule) not reported:\n\(result.stdout)")
        }
    }

    /// What the profile rules catch, the schema and the shapes let through: they are the third
    /// check, not a repetition of the first two.
    @Test(.needsSPDXSpec)
    func theSchemaAndTheShapesDoNotCatchThem() throws {
        let broken = try Self.brokenDocument()
        let result = try ExportFixtures.validateSPDXAllWays(broken.bytes, checks: ["schema", "shapes"])
        #expect(result.status == 0, "\(result)")
    }

    /// The schema and the shapes do run: each rejects what it encodes.
    @Test(.needsSPDXSpec)
    func theSchemaAndTheShapesRejectWhatTheyEncode() throws {
        let chain = try ModelChain(bundle: ExportFixtures.threeGenerations().quantized.bundle)
        var document = try ExportFixtures.object(SPDXExport.document(chain))
        var graph = document.objects("@graph")
        let index = try #require(graph.firstIndex { $0.string("relationshipType") == "descendantOf" })
        graph[index]["from"] = nil  // a relationship from nothing
        let release = try #require(graph.firstIndex { $0.string("type") == "ai_AIPackage" })
        graph[release]["releaseTime"] = "2024-07-01"  // not a date-time
        document["@graph"] = graph
        let bytes = Array(try JSONSerialization.data(withJSONObject: document))
        for check in ["schema", "shapes"] {
            let result = try ExportFixtures.validateSPDXAllWays(bytes, checks: [check])
            #expect(result.status == 1, "\(check): \(result)")
            #expect(result.stdout.contains("\(check): "))
            #expect(result.stdout.contains("from") && result.stdout.contains("releaseTime"), "\(check): \(result.stdout)")
        }
    }
}
