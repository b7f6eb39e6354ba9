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
        // A LicenseRef is a licence name: the schema forbids it as an id.
        let license = try #require(model.objects("licenses").first).object("license")
        #expect(license.string("name") == ExportFixtures.openAtom)
        #expect(license["id"] == nil)
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
        let badLicense = text.replacingOccurrences(of: "\"name\" : \"LicenseRef-", with: "\"id\" : \"LicenseRef-")
        #expect(badLicense != text)
        let licenseResult = try ExportFixtures.validate("validate-cyclonedx.py", Array(badLicense.utf8))
        #expect(licenseResult.status == 1, "\(licenseResult)")
        #expect(licenseResult.stdout.contains("schema"))
        // Two components with one bom-ref: valid for the schema, caught by the validator.
        let duplicate = text.replacingOccurrences(of: "\"bom-ref\" : \"file:NOTICE\"", with: "\"bom-ref\" : \"file:LICENSE\"")
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
            relationships.filter { $0.string("from") == from && $0.string("relationshipType") == type }
                .flatMap { $0.strings("to") }
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

        let licenses = graph.targets(model, "hasDeclaredLicense").compactMap { graph.elements[$0] }
        #expect(licenses.map { $0.string("simplelicensing_licenseExpression") } == [ExportFixtures.openAtom])
        #expect(graph.targets(ancestor, "hasDeclaredLicense") == graph.targets(model, "hasDeclaredLicense"))

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
        #expect(CycloneDXExport.licenses(LicenseInfo(id: "acme_terms", name: nil, files: [])).count == 1)
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
