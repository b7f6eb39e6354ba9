import PedigreeCrypto

/// A model's chain as a CycloneDX 1.6 ML-BOM (JSON, https://cyclonedx.org/docs/1.6/json/).
///
/// - `metadata.component` is the model (`machine-learning-model`): name, version, its root
///   digest as a SHA-256 hash, its licenses, its copyright notices, and in `pedigree` its
///   ancestors (each with its root digest and licenses) and its modification notices (§3.1(3))
///   as `notes`.
/// - Licenses carry their `acknowledgement`: `declared` for the license the signed manifest
///   declares, `concluded` for each license `pedigree check` evaluates for the model
///   (`LicenseConclusion`), all of which apply. CycloneDX takes either such a list or a single
///   expression, so a declared compound expression stands alone and the conclusion is then only
///   in the properties `pedigree:concludedLicense` (an SPDX expression, or `NOASSERTION`) and
///   `pedigree:concludedLicenseNote` (why), which every model component carries.
/// - `components` are its files (`file`, named by path, with their SHA-256 and role) and the
///   datasets of its derivation (`data`, referenced from `modelCard`).
/// - What CycloneDX has no field for is kept in `properties` named `pedigree:…`; structured
///   values (notices) are compact JSON.
///
/// The output is deterministic: keys are sorted, the serial number is derived from the
/// manifest digests, and the only time is the manifest's own `createdAt`.
public enum CycloneDXExport {
    /// The CycloneDX specification version written.
    public static let specVersion = "1.6"

    /// The BOM of `chain` as indented JSON.
    ///
    /// - Parameter serialNumber: a `urn:uuid:` for the BOM; by default one derived from the
    ///   manifest digests of the model and its ancestors.
    /// - Throws: `ExportError` for a serial number that is not a lowercase `urn:uuid:`.
    public static func document(_ chain: ModelChain, serialNumber: String? = nil) throws -> [UInt8] {
        let lineage = ExportLineage(chain)
        let serial = serialNumber ?? defaultSerialNumber(lineage)
        guard isUUIDURN(serial) else {
            throw ExportError("serial number '\(serial)' is not a lowercase urn:uuid")
        }
        let predicate = lineage.model.predicate

        var model = component(lineage.model, lineage: lineage)
        var pedigree = ExportObject()
        pedigree.set("ancestors", lineage.ancestors.map { ancestor in component(ancestor, lineage: lineage).value })
        pedigree.set("notes", ExportSupport.modificationNotes(predicate).joined(separator: "\n"))
        if !pedigree.members.isEmpty { model["pedigree"] = pedigree.value }

        let files = (lineage.model.manifest?.entries ?? []).map(fileComponent)
        let datasets = (predicate?.lineage?.derivation.datasets ?? []).enumerated().map { index, dataset in
            datasetComponent(dataset, number: index + 1)
        }
        if !datasets.isEmpty {
            model["modelCard"] = [
                "modelParameters": ["datasets": .array(datasets.map { ["ref": $0.ref] })]
            ]
        }
        model.set("properties", modelProperties(lineage))

        var metadata = ExportObject()
        metadata.set("timestamp", predicate.flatMap { ExportSupport.utcTimestamp($0.createdAt) })
        metadata["tools"] = [
            "components": [
                ["type": "application", "name": .string(PedigreeInfo.name), "version": .string(PedigreeInfo.version)]
            ]
        ]
        metadata["component"] = model.value

        var bom = ExportObject([
            "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
            "bomFormat": "CycloneDX",
            "specVersion": .string(specVersion),
            "serialNumber": .string(serial),
            "version": .int(1),
            "metadata": metadata.value,
        ])
        bom.set("components", files.map(\.value) + datasets.map(\.value))
        let dependsOn = files.map(\.ref) + datasets.map(\.ref)
        if !dependsOn.isEmpty {
            bom["dependencies"] = [["ref": .string(modelRef(lineage.model)), "dependsOn": .array(dependsOn)]]
        }
        return try bom.value.encoded()
    }

    /// `urn:uuid:` of the model's manifest digest and those of the ancestors exported with it.
    static func defaultSerialNumber(_ lineage: ExportLineage) -> String {
        let digests = [lineage.model.manifestDigest] + lineage.ancestors.map(\.manifestDigest)
        return ExportSupport.uuidURN("\(ExportSupport.namespace)/cyclonedx/" + digests.joined(separator: "/"))
    }

    private static func isUUIDURN(_ text: String) -> Bool {
        let prefix = "urn:uuid:"
        guard text.hasPrefix(prefix) else { return false }
        let uuid = Array(text.utf8.dropFirst(prefix.utf8.count))
        guard uuid.count == 36 else { return false }
        for (index, c) in uuid.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard c == UInt8(ascii: "-") else { return false }
            } else {
                let isHex = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
                guard isHex else { return false }
            }
        }
        return true
    }

    private static func modelRef(_ node: ExportLineage.Node) -> String {
        (node.depth == 0 ? "model:" : "ancestor:") + ExportSupport.percentEncoded(node.manifestDigest)
    }

    /// A model or an ancestor as a `machine-learning-model` component.
    private static func component(_ node: ExportLineage.Node, lineage: ExportLineage) -> ExportObject {
        var object = ExportObject([
            "type": "machine-learning-model",
            "bom-ref": .string(modelRef(node)),
            "name": .string(node.name),
        ])
        object.set("version", node.predicate?.model.version)
        object.set("hashes", sha256Hashes(node.rootDigest))
        object.set("licenses", licenses(lineage.licensing(of: node)))
        object.set("copyright", ExportSupport.copyrightText(node.predicate))
        if node.depth > 0 { object.set("properties", ancestorProperties(node, lineage: lineage)) }
        return object
    }

    private static func sha256Hashes(_ hex: String) -> [ExportValue] {
        guard let digest = SHA256Digest(hex: hex) else { return [] }
        return [["alg": "SHA-256", "content": .string(digest.hex)]]
    }

    /// A model's licenses as CycloneDX takes them: the declared one, then each concluded one.
    ///
    /// A listed SPDX id is a `license.id`; anything else (a `LicenseRef-…` included, which the
    /// schema does not allow as an id) a `license.name`. A declared compound expression is the
    /// one `expression` the schema then allows, with no concluded entries beside it.
    static func licenses(_ licensing: ExportLicensing) -> [ExportValue] {
        if case let .expression(expression) = licensing.declared {
            return [["expression": .string(expression), "acknowledgement": "declared"]]
        }
        var out: [ExportValue] = []
        if let declared = license(licensing.declared, acknowledgement: "declared") { out.append(declared) }
        if case let .licenses(concluded) = licensing.concluded {
            out += concluded.compactMap { license(ExportLicense($0.license.id), acknowledgement: "concluded") }
        }
        return out
    }

    private static func license(_ license: ExportLicense, acknowledgement: ExportValue) -> ExportValue? {
        switch license {
        case let .listed(id):
            return ["license": ["id": .string(id), "acknowledgement": acknowledgement]]
        case let .reference(name), let .unlisted(name):
            var object = ExportObject(["name": .string(name), "acknowledgement": acknowledgement])
            object.set("url", LicenseCatalog.license(named: name)?.url)
            return ["license": object.value]
        case .expression, .undeclared, .noLicense:
            return nil
        }
    }

    /// The conclusion as properties, which say what the license list cannot: `NOASSERTION`, and why.
    private static func conclusionProperties(_ licensing: ExportLicensing) -> [ExportValue] {
        [property("concludedLicense", licensing.concluded.spdxExpression ?? SPDXExport.noAssertion),
         property("concludedLicenseNote", licensing.concludedNote)]
    }

    private static func property(_ name: String, _ value: String) -> ExportValue {
        ["name": .string("pedigree:" + name), "value": .string(value)]
    }

    private static func signers(_ node: ExportLineage.Node, references: [ParentReference]) -> [String] {
        if let manifest = node.manifest {
            return manifest.envelope.signatures.map(\.keyid).filter { !$0.isEmpty }
        }
        var seen: Set<String> = []
        return references.flatMap(\.signers).filter { seen.insert($0).inserted }
    }

    private static func modelProperties(_ lineage: ExportLineage) -> [ExportValue] {
        let node = lineage.model
        var out = [property("manifestDigest", node.manifestDigest), property("format", node.format)]
        out += signers(node, references: []).map { property("signer", $0) }
        out += conclusionProperties(lineage.licensing(of: node))
        guard let predicate = node.predicate else { return out }
        out.append(property("generator", "\(predicate.generator.name) \(predicate.generator.version)"))
        out.append(property("distribution", predicate.distribution.rawValue))
        if let license = predicate.license {
            out.append(property("license", license.id))
            out += license.files.map { property("licenseFile", $0.name.string) }
        }
        out += lineage.parentEdges(of: node.manifestDigest).map { property("relation", $0.reference.relation.rawValue) }
        // A base model known only by name: never an ancestor component, which a digest links.
        out += predicate.unverifiedReferences.map { reference in
            property("unverifiedBaseModel", reference.name + " (" + (reference.relation.map { $0 + ", " } ?? "")
                     + "named in " + reference.source + "; no signed manifest)")
        }
        if let derivation = predicate.lineage?.derivation {
            if let method = derivation.method { out.append(property("method", method)) }
            out += derivation.parameters.sorted { $0.key < $1.key }.map { property("parameter:" + $0.key, $0.value) }
            if let tool = derivation.tool {
                out.append(property("tool", tool.name))
                if let version = tool.version { out.append(property("toolVersion", version)) }
            }
        }
        let notices = predicate.notices
        out += notices.retained.compactMap { try? property("notice:retained", ExportSupport.compactJSON($0)) }
        out += notices.added.compactMap { try? property("notice:added", ExportSupport.compactJSON($0)) }
        out += notices.dropped.compactMap { try? property("notice:dropped", ExportSupport.compactJSON($0)) }
        if let terms = notices.additionalTerms { out.append(property("additionalTerms", terms)) }
        return out
    }

    /// The tensor evidence a child signed for this parent: `pedigree:evidence:grade`, `:basis`,
    /// `:reason` (one per reason, data from the weights), and the whole object as compact JSON
    /// in `pedigree:evidence` (schema `tensor-evidence.v1`).
    private static func evidenceProperties(_ evidence: TensorEvidence?) -> [ExportValue] {
        guard let evidence else { return [] }
        var out = [property("evidence:grade", evidence.grade.rawValue), property("evidence:basis", evidence.basis.rawValue)]
        out += evidence.reasons.map { property("evidence:reason", $0) }
        if let json = try? JSON.compact(evidence) { out.append(property("evidence", String(decoding: json, as: UTF8.self))) }
        return out
    }

    /// An ancestor's identity and, for each child that names it, how that child derives from it.
    private static func ancestorProperties(_ node: ExportLineage.Node, lineage: ExportLineage) -> [ExportValue] {
        let edges = lineage.childEdges(of: node.manifestDigest)
        var out = [
            property("manifestDigest", node.manifestDigest), property("format", node.format),
            property("depth", String(node.depth)),
        ]
        if node.manifest == nil { out.append(property("embedded", "false")) }
        out += signers(node, references: edges.map(\.reference)).map { property("signer", $0) }
        out += conclusionProperties(lineage.licensing(of: node))
        let children = [lineage.model] + lineage.ancestors
        for edge in edges {
            out.append(property("child", edge.child))
            out.append(property("relation", edge.reference.relation.rawValue))
            out.append(property("role", edge.reference.role.rawValue))
            out += evidenceProperties(edge.reference.evidence)
            let child = children.first { $0.manifestDigest == edge.child }
            guard let changes = child?.predicate?.lineage?.changes.first(where: { $0.parent == edge.reference.manifestDigest })
            else { continue }
            out += changes.modified.map { property("change:modified", $0) }
            out += changes.added.map { property("change:added", $0) }
            out += changes.removed.map { property("change:removed", $0) }
            out += changes.renamed.map { property("change:renamed", "\($0.from) -> \($0.to)") }
        }
        return out
    }

    private static func fileComponent(_ entry: ManifestEntry) -> (ref: ExportValue, value: ExportValue) {
        let ref = "file:" + ExportSupport.percentEncoded(entry.name.string)
        var object = ExportObject([
            "type": "file",
            "bom-ref": .string(ref),
            "name": .string(entry.name.string),
            "hashes": .array(sha256Hashes(entry.digest.hex)),
        ])
        var properties: [ExportValue] = []
        if let role = entry.role { properties.append(property("role", role.rawValue)) }
        if let size = entry.size { properties.append(property("size", String(size))) }
        object.set("properties", properties)
        return (.string(ref), object.value)
    }

    private static func datasetComponent(_ dataset: Dataset, number: Int) -> (ref: ExportValue, value: ExportValue) {
        let ref = "dataset:\(number)"
        var object = ExportObject([
            "type": "data",
            "bom-ref": .string(ref),
            "name": .string(dataset.name),
            "data": [["type": "dataset", "name": .string(dataset.name)]],
        ])
        if let digest = ExportSupport.digestSet(dataset.digest), digest.algorithm == "sha256" {
            object.set("hashes", sha256Hashes(digest.value))
        } else if let digest = dataset.digest, !digest.isEmpty {
            object.set("properties", [property("digest", digest)])
        }
        return (.string(ref), object.value)
    }
}

/// An export could not be made from the values given.
public struct ExportError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(_ message: String) { self.message = message }
}
