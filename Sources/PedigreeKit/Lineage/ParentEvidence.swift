import PedigreeCrypto

/// Why tensor evidence stopped a signing or could not be computed.
public enum EvidenceError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding, MultilineDiagnostic {
    /// The weights contradict the claimed relation to these parents (name, evidence), and the
    /// claim was not forced.
    case contradicted([ContradictedClaim])
    /// A parent folder's weights file is not the file the parent's manifest signed.
    case parentFileDiffers(folder: String, file: String)
    /// A weights file (the parent's, or the adapter's config) could not be read.
    case weights(TensorFileError)

    /// One contradicted claim: the parent's name and the evidence against it.
    public struct ContradictedClaim: Equatable, Sendable {
        public var parent: String
        public var evidence: TensorEvidence
    }

    public var description: String {
        switch self {
        case let .contradicted(claims):
            return claims.map { claim in
                "the weights contradict the claim '\(claim.evidence.relation.rawValue) of \(printable(claim.parent))': "
                    + claim.evidence.reasons.map(printable).joined(separator: "; ")
            }.joined(separator: "\n") + "\nnothing is signed (--force-relation signs it anyway, recorded as contradicted)"
        case let .parentFileDiffers(folder, file):
            return "\(printable(folder)): '\(printable(file))' is not the file the parent's manifest signed; "
                + "its weights cannot stand for the parent"
        case let .weights(error): return error.description
        }
    }

    /// 1 for a contradicted claim (a check failed), 66 for an unreadable file, 65 otherwise.
    public var exitStatus: ExitStatus {
        switch self {
        case .contradicted: return .failure
        case .parentFileDiffers: return .dataError
        case let .weights(error): return error.exitStatus
        }
    }
}

/// Computes, checks and re-checks the tensor evidence a derivative signs for each parent
/// (`lineage.parents[].evidence`).
///
/// The parent's tensors come from its folder when the parent was named by its folder and the
/// folder holds the weights files its manifest signed (values compared), else from its
/// manifest's tensor table (`sign --tensors`; digests, dtypes and shapes compared); with
/// neither there is no evidence. The child's tensors come from the read that hashed them.
public enum ParentEvidence {
    /// Whether any parent has tensors to compare with: its folder at hand, or a tensor table.
    public static func available(_ parents: [LoadedParent]) -> Bool {
        parents.contains { isFolder($0.source.path) || !($0.chain.manifest.predicate?.tensors ?? []).isEmpty }
    }

    /// The relations the weights can show: evidence is computed only for these (a distilled,
    /// merged or pruned model, or `other`, is not derived tensor by tensor from one parent).
    public static func isShownByWeights(_ relation: Relation) -> Bool {
        switch relation {
        case .finetune, .adapter, .quantization, .continuedPretraining, .conversion: return true
        case .distillation, .merge, .pruning, .other: return false
        }
    }

    /// The evidence for each parent, in order — `nil` where there is none: the relation is not
    /// one the weights can show, the parent offers no tensors, or a side's weights cannot be
    /// read as tensors (then `notComputed` says why; nothing was compared, so nothing is signed).
    ///
    /// - Parameters:
    ///   - child: the derivative's tensors, read with its digests; `nil` when it has no weights
    ///     files or (then `childError`) when they could not be read.
    ///   - childFolder: where `adapter_config.json` is read for an adapter claim.
    /// - Throws: `EvidenceError` when a parent folder's weights are not those its manifest
    ///   signed, or a file cannot be read during the value comparison.
    public static func assess(
        relation: Relation, parents: [LoadedParent], child: TensorInventory?, childError: TensorFileError?, childFolder: String
    ) throws(EvidenceError) -> (evidence: [TensorEvidence?], notComputed: [String]) {
        guard isShownByWeights(relation), let claimed = EvidenceRelation(relation) else { return (parents.map { _ in nil }, []) }
        if child == nil, let childError {
            return (parents.map { _ in nil }, ["no evidence: the derivative's tensors could not be read: \(childError.description)"])
        }
        var out: [TensorEvidence?] = []
        var notComputed: [String] = []
        for parent in parents {
            do throws(EvidenceError) {
                guard let parentTensors = try inventory(of: parent.chain.manifest, folder: parent.source.path) else {
                    out.append(nil)
                    continue
                }
                out.append(try assess(relation: claimed, parent: parentTensors, child: child, childError: childError, childFolder: childFolder))
            } catch {
                // Weights that cannot be read as tensors leave nothing to compare; only weights
                // other than those the parent signed refuse the signing.
                guard case .weights(let failure) = error else { throw error }
                out.append(nil)
                notComputed.append("no evidence for '\(printable(parent.reference.name))': its tensors could not be read: \(failure.description)")
            }
        }
        return (out, notComputed)
    }

    /// Records `evidence` on the lineage's parents, refusing a contradicted claim unless `force`.
    public static func attach(_ evidence: [TensorEvidence?], to predicate: inout ModelPredicate, force: Bool) throws(EvidenceError) {
        guard var lineage = predicate.lineage else { return }
        var parents = Array(lineage.parents)
        var contradicted: [EvidenceError.ContradictedClaim] = []
        for index in parents.indices where index < evidence.count {
            let changes = lineage.changes.first { $0.parent == parents[index].manifestDigest }
            parents[index].evidence = evidence[index].map { allowingForOtherFiles($0, changes: changes) }
            if let found = parents[index].evidence, found.grade == .contradicted {
                contradicted.append(.init(parent: parents[index].name, evidence: found))
            }
        }
        if !contradicted.isEmpty, !force { throw .contradicted(contradicted) }
        if let nonEmpty = NonEmptyArray(parents) { lineage.parents = nonEmpty }
        predicate.lineage = lineage
    }

    /// Recomputes the evidence `manifest` signed for the parent whose folder is `parentFolder`
    /// (its manifest found there as `verify` finds one), against the weights in `childFolder`.
    ///
    /// - Returns: one phrase per field that differs from what was signed, naming the parent and
    ///   the field; empty when the recomputed evidence is what was signed.
    public static func recheck(manifest: SignedManifest, childFolder: String, parentFolder: String) throws(EvidenceError) -> [String] {
        let parentChain: ModelChain
        let parentPath = ModelChain.manifestFile(for: parentFolder)
        do throws(ManifestError) {
            parentChain = try ModelChain.load(parentPath)
        } catch {
            return ["--evidence \(printable(parentFolder)): \(printable(parentPath)) cannot be read: \(error)"]
        }
        let parentManifest = parentChain.manifest
        guard let lineage = manifest.predicate?.lineage,
            let reference = lineage.parents.first(where: { $0.manifestDigest == parentManifest.manifestDigest })
        else {
            return ["--evidence \(printable(parentFolder)): its manifest (\(short(parentManifest.manifestDigest.hex))…) is not a parent of this model"]
        }
        let who = "evidence for parent '\(printable(reference.name))'"
        guard let signed = reference.evidence else { return ["\(who): the manifest carries none"] }
        guard let claimed = EvidenceRelation(reference.relation) else { return ["\(who): the relation '\(reference.relation.rawValue)' has no evidence"] }
        let weights = manifest.entries.map(\.name.string).filter(isWeightsFile)
        let child: TensorInventory?
        var childError: TensorFileError?
        do throws(TensorFileError) {
            child = weights.isEmpty ? nil : try TensorInventory.read(folder: childFolder, files: weights)
        } catch {
            child = nil
            childError = error
        }
        if let childError { return ["\(who): the tensors of this folder could not be read: \(childError.description)"] }
        guard let parentTensors = try inventory(of: parentManifest, folder: parentFolder) else {
            return ["\(who): \(printable(parentFolder)) has neither the weights its manifest signed nor a tensor table"]
        }
        guard let recomputed = try assess(relation: claimed, parent: parentTensors, child: child, childError: nil, childFolder: childFolder) else {
            return ["\(who): the folder has no weights files to compare"]
        }
        let changes = lineage.changes.first { $0.parent == reference.manifestDigest }
        return differences(signed: signed, recomputed: allowingForOtherFiles(recomputed, changes: changes)).map { "\(who): \($0)" }
    }

    /// The fields of `signed` that `recomputed` does not have, each as "FIELD is A in the
    /// manifest, B recomputed".
    public static func differences(signed: TensorEvidence, recomputed: TensorEvidence) -> [String] {
        var out: [String] = []
        func compare<T: Equatable>(_ field: String, _ a: T, _ b: T, _ show: (T) -> String) {
            if a != b { out.append("\(field) is \(show(a)) in the manifest, \(show(b)) recomputed") }
        }
        func optional(_ value: Double?) -> String { value.map { "\($0)" } ?? "absent" }
        compare("relation", signed.relation, recomputed.relation) { "'\($0.rawValue)'" }
        compare("grade", signed.grade, recomputed.grade) { "'\($0.rawValue)'" }
        compare("basis", signed.basis, recomputed.basis) { "'\($0.rawValue)'" }
        let a = signed.counts, b = recomputed.counts
        let counts: [(String, Int, Int)] = [
            ("parentTensors", a.parentTensors, b.parentTensors), ("childTensors", a.childTensors, b.childTensors),
            ("identical", a.identical, b.identical), ("renamed", a.renamed, b.renamed), ("dtypeChanged", a.dtypeChanged, b.dtypeChanged),
            ("shapeChanged", a.shapeChanged, b.shapeChanged), ("changed", a.changed, b.changed), ("added", a.added, b.added),
            ("removed", a.removed, b.removed), ("exact", a.exact, b.exact), ("castExact", a.castExact, b.castExact),
            ("quantizedConsistent", a.quantizedConsistent, b.quantizedConsistent), ("differs", a.differs, b.differs),
            ("notCompared", a.notCompared, b.notCompared),
        ]
        for (name, x, y) in counts { compare("counts.\(name)", x, y) { "\($0)" } }
        compare("delta.tensors", signed.delta?.tensors, recomputed.delta?.tensors) { $0.map { "\($0)" } ?? "absent" }
        compare("delta.relativeL2", signed.delta?.relativeL2, recomputed.delta?.relativeL2, optional)
        compare("delta.cosine", signed.delta?.cosine, recomputed.delta?.cosine, optional)
        compare("adapter", signed.adapter, recomputed.adapter) { $0.map { "\($0.fitting) of \($0.modules) modules fitting, ranks \($0.ranks)" } ?? "absent" }
        if signed.reasons != recomputed.reasons, out.isEmpty {
            out.append("reasons are \(signed.reasons.map { "'\(printable($0))'" }.joined(separator: "; ")) in the manifest, "
                + "\(recomputed.reasons.map { "'\(printable($0))'" }.joined(separator: "; ")) recomputed")
        }
        return out
    }

    /// A "copy" verdict softened when files pedigree does not read as tensors changed too.
    ///
    /// Every safetensors/GGUF tensor identical to the parent's contradicts a fine-tune or a
    /// quantization only if those are the model's weights: when other files were modified or
    /// added (`pytorch_model.bin`, …), the change may be in them, and the claim is
    /// `unverifiable` instead, with the reason.
    static func allowingForOtherFiles(_ evidence: TensorEvidence, changes: FileChanges?) -> TensorEvidence {
        let counts = evidence.counts
        guard evidence.grade == .contradicted, counts.childTensors > 0, counts.identical + counts.renamed == counts.childTensors,
            counts.childTensors == counts.parentTensors, let changes
        else { return evidence }
        let others = (changes.modified + changes.added).filter { !isWeightsFile($0) }
        guard !others.isEmpty else { return evidence }
        var softened = evidence
        softened.grade = .unverifiable
        let named = others.prefix(3).map { "'\(printable($0))'" }.joined(separator: ", ") + (others.count > 3 ? ", …" : "")
        softened.reasons.insert(
            "every safetensors/GGUF tensor is identical to the parent's, but other files changed (\(named)): "
                + "the change may be in weights pedigree does not read", at: 0)
        return softened
    }

    // MARK: parts

    static func isWeightsFile(_ name: String) -> Bool {
        name.hasSuffix(".safetensors") || name.hasSuffix(".gguf") || name.hasSuffix(".safetensors.index.json")
    }

    /// The tensors of a parent: its folder's weights files, when `folder` is a folder, checked
    /// against the digests its manifest signed; else its manifest's tensor table; else `nil`.
    static func inventory(of manifest: SignedManifest, folder: String) throws(EvidenceError) -> TensorInventory? {
        let weights = manifest.entries.filter { isWeightsFile($0.name.string) }
        if isFolder(folder), !weights.isEmpty {
            let inventory: TensorInventory
            do throws(TensorFileError) {
                inventory = try TensorInventory.read(folder: folder, files: weights.map(\.name.string))
            } catch {
                throw .weights(error)
            }
            for entry in weights {
                if let file = inventory.file(entry.name.string), file.digest?.digest != entry.digest {
                    throw .parentFileDiffers(folder: folder, file: entry.name.string)
                }
            }
            return inventory
        }
        return tableInventory(of: manifest)
    }

    /// The tensors a manifest's tensor table records (digests, no values); `nil` without a table.
    static func tableInventory(of manifest: SignedManifest) -> TensorInventory? {
        guard let table = manifest.predicate?.tensors, !table.isEmpty else { return nil }
        var files: [WeightFileSummary] = []
        for name in table.map(\.file) where !files.contains(where: { $0.path == name }) {
            let entry = manifest.entries.first { $0.name.string == name }
            files.append(WeightFileSummary(
                path: name, format: name.hasSuffix(".gguf") ? .gguf : .safetensors,
                digest: entry.map { FileDigest(digest: $0.digest, size: $0.size ?? 0) }))
        }
        return TensorInventory(records: table, files: files, folder: nil)
    }

    static func assess(
        relation: EvidenceRelation, parent: TensorInventory, child: TensorInventory?, childError: TensorFileError?, childFolder: String
    ) throws(EvidenceError) -> TensorEvidence? {
        guard let child else {
            _ = childError
            return nil
        }
        var config: AdapterConfig?
        let configPath = childFolder + "/adapter_config.json"
        if relation == .adapter, exists(configPath) {
            do throws(TensorFileError) {
                config = try AdapterConfig.read(path: configPath, displayName: "adapter_config.json")
            } catch {
                throw .weights(error)
            }
        }
        do throws(TensorFileError) {
            return try TensorEvidenceGrader.assess(relation: relation, parent: parent, child: child, adapterConfig: config).evidence
        } catch {
            throw .weights(error)
        }
    }
}
