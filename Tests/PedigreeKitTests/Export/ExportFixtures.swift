import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

/// Chains of signed manifests built in memory, for the exporters.
enum ExportFixtures {
    static let openAtom = "LicenseRef-OpenAtom-Model-License-1.0"

    /// A stand-in file digest, as hex.
    static func digest(_ seed: String) -> String { sha(seed).hex }

    /// A stand-in file digest.
    static func sha(_ seed: String) -> SHA256Digest { SHA256.hash(Array(seed.utf8)) }

    /// A resource named `name` whose digest stands in for `seed`.
    static func file(_ name: String, _ seed: String, size: Int64, role: Role) throws -> Resource {
        Resource(name: try ResourceName(name), digest: sha(seed), size: size, role: role)
    }

    /// `parents` as a lineage's non-empty list.
    static func parents(_ parents: ParentReference...) throws -> NonEmptyArray<ParentReference> {
        try #require(NonEmptyArray(parents))
    }

    /// A base model, its fine-tune and the fine-tune's quantization, each signed by its own key.
    struct ThreeGenerations {
        var base: SignResult
        var finetune: SignResult
        var quantized: SignResult
    }

    static func predicate(
        name: String, version: String?, resources: [Resource], license: String = openAtom,
        notices: Notices, lineage: Lineage? = nil, modifications: [Modification] = [], createdAt: String
    ) -> ModelPredicate {
        ModelPredicate(
            model: ModelInfo(name: name, version: version), resources: resources,
            serialization: Serialization(allowSymlinks: false, ignorePaths: [".git", "pedigree.json"]),
            license: LicenseInfo(
                id: license, name: LicenseCatalog.license(named: license)?.name,
                files: resources.filter { $0.role == .license }.map { FileReference(name: $0.name, digest: $0.digest) }),
            notices: notices, lineage: lineage, modifications: modifications, distribution: .files,
            generator: Generator(), createdAt: createdAt)
    }

    /// How `child` names `parent`.
    static func reference(_ parent: SignResult, _ relation: Relation, role: ParentRole = .base) -> ParentReference {
        ParentReference(
            name: parent.predicate.model.name, manifestDigest: parent.manifestDigest,
            rootDigest: parent.rootDigest, relation: relation, role: role, signers: [parent.keyID], trusted: true,
            format: .pedigree)
    }

    /// What a child's bundle embeds for `parent`: its envelope, then its own ancestors.
    static func ancestors(_ parent: SignResult) -> [AncestorEntry] {
        [AncestorEntry(dsseEnvelope: parent.bundle.dsseEnvelope)] + parent.bundle.ancestors
    }

    static func threeGenerations() throws -> ThreeGenerations {
        let signer = ModelSigner()
        let baseResources = [
            try file("LICENSE", "license", size: 11_000, role: .license),
            try file("NOTICE", "notice", size: 120, role: .notice),
            try file("config.json", "config", size: 700, role: .config),
            try file("model.safetensors", "base weights", size: 1 << 20, role: .weights),
            try file("tokenizer.json", "tokenizer", size: 2_000, role: .tokenizer),
        ]
        let baseNotices = Notices(added: [
            Notice(kind: .copyright, text: "Copyright 2024 Base Labs"),
            Notice(kind: .attribution, text: "Tokenizer vocabulary by Example Labs."),
        ])
        let base = try signer.sign(
            predicate(name: "acme/base-7b", version: "1.0", resources: baseResources, notices: baseNotices,
                      createdAt: "2024-05-01T10:00:00Z"),
            key: PrivateKey.generate(.ed25519))

        let baseOrigin = NoticeOrigin(model: "acme/base-7b", manifestDigest: base.manifestDigest)
        let finetuneResources = baseResources.map { resource in
            resource.name.string == "model.safetensors"
                ? Resource(name: resource.name, digest: sha("tuned weights"), size: resource.size, role: .weights)
                : resource
        } + [try file("adapter_config.json", "adapter", size: 300, role: .config)]
        let copyright = RetainedNotice(baseNotices.added[0], origin: baseOrigin)
        let finetuneNotices = Notices(
            retained: [copyright],
            added: [Notice(kind: .attribution, text: "Fine-tuned by Tuner Co. on instruction data.")],
            dropped: [DroppedNotice(RetainedNotice(baseNotices.added[1], origin: baseOrigin),
                                    reason: "the vocabulary is no longer shipped")],
            additionalTerms: "The fine-tuning changes are also available under CC-BY-4.0.")
        let finetuneLineage = Lineage(
            parents: try parents(reference(base, .finetune)),
            derivation: Derivation(
                method: "LoRA r=16, merged", parameters: ["learning_rate": "2e-4", "epochs": "3"],
                datasets: [Dataset(name: "acme/instructions", digest: "sha256:" + digest("instructions")),
                           Dataset(name: "internal-eval")],
                tool: Tool(name: "peft", version: "0.11.1")),
            changes: [FileChanges(
                parent: base.manifestDigest, unchanged: ["LICENSE", "NOTICE", "config.json", "tokenizer.json"],
                modified: ["model.safetensors"], added: ["adapter_config.json"])])
        let finetune = try signer.sign(
            predicate(
                name: "tuner/base-7b-sft", version: "0.2", resources: finetuneResources, notices: finetuneNotices,
                lineage: finetuneLineage,
                modifications: [Modification(files: ["model.safetensors"],
                                             description: "Fine-tuned from acme/base-7b: LoRA r=16, merged")],
                createdAt: "2024-06-01T12:30:00Z"),
            key: PrivateKey.generate(.ed25519), ancestors: ancestors(base))

        let quantizedResources = finetuneResources.filter { $0.name.string != "model.safetensors" }
            + [try file("model-q4.gguf", "q4 weights", size: 1 << 18, role: .weights)]
        let quantizedLineage = Lineage(
            parents: try parents(reference(finetune, .quantization)),
            derivation: Derivation(method: "GGUF Q4_K_M", tool: Tool(name: "llama.cpp", version: "b3000")),
            changes: [FileChanges(
                parent: finetune.manifestDigest, added: ["model-q4.gguf"], removed: ["model.safetensors"])])
        let quantized = try signer.sign(
            predicate(
                name: "quant/base-7b-sft-q4", version: nil, resources: quantizedResources,
                notices: Notices(retained: [copyright] + finetuneNotices.added.map {
                    RetainedNotice($0, origin: NoticeOrigin(model: "tuner/base-7b-sft",
                                                            manifestDigest: finetune.manifestDigest))
                }),
                lineage: quantizedLineage,
                modifications: [Modification(files: ["model-q4.gguf"],
                                             description: "Quantized from tuner/base-7b-sft: GGUF Q4_K_M")],
                createdAt: "2024-07-01T08:00:00Z"),
            key: PrivateKey.generate(.ed25519), ancestors: ancestors(finetune))
        return ThreeGenerations(base: base, finetune: finetune, quantized: quantized)
    }

    /// An envelope as `model_signing` writes one: an OMS v1.0 predicate signed with ECDSA P-256.
    static func omsEnvelope(name: String) throws -> Envelope {
        let files = [(try ResourceName("model.safetensors"), sha("oms weights")), (try ResourceName("config.json"), sha("oms config"))]
        let root = RootDigest.compute(files.map { ($0.0.string, $0.1) })
        let payload = try StatementCodec.encodeOMS(
            name: name, root: root, serialization: Serialization(allowSymlinks: false, ignorePaths: []),
            entries: files.map { (name: $0.0, digest: $0.1) })
        return try Envelope.sign(payload: payload, payloadType: MediaTypes.inToto, key: PrivateKey.generate(.ecdsaP256))
    }

    /// A merge of a pedigree-signed model (Apache-2.0) and an OMS-signed one.
    static func mergeWithOMSParent() throws -> (merged: SignResult, pedigreeParent: SignResult, omsParent: SignedManifest) {
        let signer = ModelSigner()
        let left = try signer.sign(
            predicate(
                name: "left/model", version: "2.0",
                resources: [try file("model.safetensors", "left", size: 10, role: .weights)],
                license: "apache-2.0", notices: Notices(added: [Notice(kind: .copyright, text: "Copyright Left Inc.")]),
                createdAt: "2024-01-01T00:00:00Z"),
            key: PrivateKey.generate(.ed25519))
        let omsEnvelope = try omsEnvelope(name: "right-model")
        let right = try SignedManifest(envelope: omsEnvelope)
        let rightReference = ParentReference(
            name: right.name, manifestDigest: right.manifestDigest, rootDigest: right.rootDigest,
            relation: .merge, role: .base, signers: [omsEnvelope.signatures[0].keyid], trusted: true, format: .oms)
        let merged = try signer.sign(
            predicate(
                name: "merged/model", version: "1.0",
                resources: [try file("model.safetensors", "merged", size: 10, role: .weights)],
                license: "Apache-2.0",
                notices: Notices(retained: [RetainedNotice(
                    Notice(kind: .copyright, text: "Copyright Left Inc."),
                    origin: NoticeOrigin(model: "left/model", manifestDigest: left.manifestDigest))]),
                lineage: Lineage(
                    parents: try parents(reference(left, .merge), rightReference),
                    derivation: Derivation(method: "SLERP t=0.5", parameters: ["t": "0.5"]),
                    changes: []),
                modifications: [Modification(files: ["model.safetensors"], description: "Merged with SLERP")],
                createdAt: "2024-08-01T00:00:00Z"),
            key: PrivateKey.generate(.ed25519),
            ancestors: ancestors(left) + [AncestorEntry(dsseEnvelope: omsEnvelope)])
        return (merged, left, right)
    }

    /// A base model under Apache-2.0 and its fine-tune under the OpenAtom license.
    static func apacheBaseWithOpenAtomChild() throws -> (base: SignResult, child: SignResult) {
        let signer = ModelSigner()
        let base = try signer.sign(
            predicate(
                name: "apache/base", version: "3.1",
                resources: [try file("LICENSE", "apache text", size: 11_358, role: .license),
                            try file("model.safetensors", "apache weights", size: 10, role: .weights)],
                license: "Apache-2.0", notices: Notices(), createdAt: "2024-02-01T00:00:00Z"),
            key: PrivateKey.generate(.ed25519))
        let child = try signer.sign(
            predicate(
                name: "openatom/child", version: "1.0",
                resources: [try file("LICENSE", "openatom text", size: 24_316, role: .license),
                            try file("model.safetensors", "child weights", size: 10, role: .weights)],
                notices: Notices(),
                lineage: Lineage(parents: try parents(reference(base, .finetune)), derivation: Derivation(method: "full fine-tune"),
                                 changes: []),
                modifications: [Modification(files: ["model.safetensors"], description: "Fine-tuned")],
                createdAt: "2024-03-01T00:00:00Z"),
            key: PrivateKey.generate(.ed25519), ancestors: ancestors(base))
        return (base, child)
    }

    /// A model under a license pedigree does not evaluate (MIT), with no version.
    static func unknownLicense() throws -> SignResult {
        try ModelSigner().sign(
            predicate(
                name: "mit/model", version: nil,
                resources: [try file("model.safetensors", "mit weights", size: 10, role: .weights)],
                license: "MIT", notices: Notices(), createdAt: "2024-04-01T00:00:00Z"),
            key: PrivateKey.generate(.ed25519))
    }

    /// Writes `bytes` to a temporary file and runs `Scripts/<script>` on it, with `arguments` first.
    static func validate(_ script: String, _ bytes: [UInt8], _ arguments: [String] = []) throws -> ProcessResult {
        let folder = try TemporaryFolder()
        let path = try folder.write("document.json", Data(bytes))
        return try LocalTools.script(script, arguments + [path])
    }

    /// Checks an SPDX document against the official schema and shapes and the profile rules,
    /// with the bindings' reading besides: `Scripts/validate-spdx.py --reference`.
    static func validateSPDXAllWays(_ bytes: [UInt8], checks: [String] = []) throws -> ProcessResult {
        let reference = try LocalTools.spdxReference
        return try validate("validate-spdx.py", bytes, ["--reference", reference] + checks.flatMap { ["--check", $0] })
    }

    /// Checks SLSA provenance with `Scripts/validate-slsa.py` (the in-toto attestation
    /// framework's own Python bindings).
    static func validateSLSA(_ bytes: [UInt8]) throws -> ProcessResult { try validate("validate-slsa.py", bytes) }

    /// The bytes as a JSON object.
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw ToolError(message: "not a JSON object")
        }
        return object
    }
}

/// Reads into parsed JSON without a cast at every step.
extension Dictionary where Key == String, Value == Any {
    func object(_ key: String) -> [String: Any] { self[key] as? [String: Any] ?? [:] }
    func objects(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
    func string(_ key: String) -> String? { self[key] as? String }
    func strings(_ key: String) -> [String] { self[key] as? [String] ?? [] }

    /// The values of the CycloneDX properties named `pedigree:<name>`.
    func properties(_ name: String) -> [String] {
        objects("properties").filter { $0.string("name") == "pedigree:" + name }.compactMap { $0.string("value") }
    }
}
