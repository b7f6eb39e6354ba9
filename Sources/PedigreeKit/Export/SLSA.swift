import PedigreeCrypto

/// A model's derivation as SLSA Provenance v1: an unsigned in-toto Statement v1 whose
/// predicate follows https://slsa.dev/spec/v1.0/provenance (`buildDefinition` with
/// `buildType`, `externalParameters`, `resolvedDependencies`; `runDetails` with `builder` and
/// `metadata`), its descriptors the in-toto ResourceDescriptor
/// (https://github.com/in-toto/attestation/blob/main/spec/v1/resource_descriptor.md).
///
/// - `subject`: the model, by name and root digest.
/// - `externalParameters`: the relation to the (first) parent, the method, the parameters
///   and the names of the datasets.
/// - `resolvedDependencies`: each parent by root digest, annotated with its manifest digest,
///   relation, role, format and signers; then each dataset pinned by a digest (or a URI).
/// - `runDetails`: the derivation's tool as the builder (pedigree when none is named), the
///   manifest digest as the invocation id, `createdAt` as `finishedOn`, and the signed
///   manifest itself as a byproduct.
public enum SLSAExport {
    /// The predicate type of SLSA Provenance v1.
    public static let predicateType = "https://slsa.dev/provenance/v1"
    /// The build type that says how to read this provenance: a pedigree derivation.
    public static let buildType = "https://pedigree.dev/derivation/v1"

    /// The provenance of `chain`'s model as an indented, unsigned in-toto Statement.
    public static func statement(_ chain: ModelChain) throws -> [UInt8] {
        let lineage = ExportLineage(chain)
        let model = lineage.model
        let predicate = model.predicate
        let derivation = predicate?.lineage?.derivation
        let parents = lineage.parentEdges(of: model.manifestDigest)

        var external = ExportObject()
        external.set("relation", parents.first?.reference.relation.rawValue)
        external.set("method", derivation?.method)
        // Named without a signed manifest: a parameter someone stated, not a resolved dependency.
        external.set("unverifiedBaseModels", (predicate?.unverifiedReferences ?? []).map { reference -> ExportValue in
            var object = ExportObject(["name": .string(reference.name), "source": .string(reference.source)])
            object.set("relation", reference.relation)
            return object.value
        })
        if let derivation {
            external["parameters"] = .object(derivation.parameters.mapValues { .string($0) })
            external.set("datasets", derivation.datasets.map { .string($0.name) })
        }

        var dependencies: [ExportValue] = parents.map { edge in
            let reference = edge.reference
            let ancestor = lineage.ancestors.first { $0.manifestDigest == edge.parent }
            let keys = ancestor?.manifest?.envelope.signatures.map(\.keyid).filter { !$0.isEmpty } ?? reference.signers
            return [
                "name": .string(reference.name),
                "digest": ["sha256": .string(reference.rootDigest.hex)],
                "annotations": [
                    "kind": "parent",
                    "manifestDigest": .string(edge.parent),
                    "relation": .string(reference.relation.rawValue),
                    "role": .string(reference.role.rawValue),
                    "format": .string(reference.format.rawValue),
                    "signers": .array(keys.map { .string($0) }),
                    "embedded": .bool(ancestor?.manifest != nil),
                ],
            ]
        }
        for dataset in derivation?.datasets ?? [] {
            var descriptor = ExportObject(["name": .string(dataset.name), "annotations": ["kind": "dataset"]])
            if let digest = ExportSupport.digestSet(dataset.digest) {
                descriptor["digest"] = [digest.algorithm: .string(digest.value)]
            } else if dataset.name.contains("://") {
                descriptor["uri"] = .string(dataset.name)
            } else {
                continue  // neither digest nor URI: named in externalParameters only
            }
            dependencies.append(descriptor.value)
        }

        var buildDefinition = ExportObject([
            "buildType": .string(buildType),
            "externalParameters": external.value,
        ])
        buildDefinition.set("resolvedDependencies", dependencies)

        let tool = derivation?.tool ?? Tool(name: PedigreeInfo.name, version: PedigreeInfo.version)
        var builder = ExportObject(["id": .string(builderID(tool.name))])
        if let version = tool.version { builder["version"] = [tool.name: .string(version)] }
        var metadata = ExportObject(["invocationId": .string(model.manifestDigest)])
        metadata.set("finishedOn", predicate.flatMap { ExportSupport.utcTimestamp($0.createdAt) })

        let statement: ExportValue = [
            "_type": .string(MediaTypes.statementV1),
            "subject": [["name": .string(model.name), "digest": ["sha256": .string(model.rootDigest)]]],
            "predicateType": .string(predicateType),
            "predicate": [
                "buildDefinition": buildDefinition.value,
                "runDetails": [
                    "builder": builder.value,
                    "metadata": metadata.value,
                    "byproducts": [
                        [
                            "name": "pedigree manifest",
                            "digest": ["sha256": .string(model.manifestDigest)],
                            "mediaType": .string(MediaTypes.inToto),
                        ]
                    ],
                ],
            ],
        ]
        return try statement.encoded()
    }

    /// The builder id for a tool: its name when that is already a URI, else a pedigree URI.
    static func builderID(_ name: String) -> String {
        name.contains("://") ? name : "\(ExportSupport.namespace)/tool/" + ExportSupport.percentEncoded(name, keepSlash: false)
    }
}
