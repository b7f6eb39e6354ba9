import Foundation

/// The relation a derivative claims to a parent, as the evidence grader reads it.
///
/// The manifest's `Relation` plus `conversion` (the same values in another container or layout,
/// e.g. safetensors to GGUF F32/F16), which `Relation` gains when the predicate schema does;
/// the raw values are the manifest's.
public enum EvidenceRelation: String, Codable, Sendable, CaseIterable {
    case finetune
    case adapter
    case quantization
    case distillation
    case merge
    case continuedPretraining = "continued-pretraining"
    case pruning
    case conversion
    case other

    /// The relation of a manifest's `Relation`.
    public init?(_ relation: Relation) {
        self.init(rawValue: relation.rawValue)
    }
}

/// How far the weights bear out a claimed relation.
public enum EvidenceGrade: String, Codable, Sendable, CaseIterable {
    /// The weights show it (every changed tensor explained by the relation).
    case supported
    /// Nothing in the weights contradicts it.
    case consistent
    /// The weights contradict it.
    case contradicted
    /// The weights cannot tell (the relation leaves no tensor-level trace, or nothing to compare).
    case unverifiable
}

/// What the evidence rests on.
public enum EvidenceBasis: String, Codable, Sendable, CaseIterable {
    /// Tensor values were read and compared.
    case values
    /// Only tensor digests, dtypes and shapes were compared (a parent known by its manifest).
    case digests
    /// Nothing was compared.
    case none
}

/// The thresholds of the grades that are policy rather than arithmetic.
public struct EvidencePolicy: Equatable, Sendable {
    /// The largest overall relative L2 change (‖child − parent‖ / ‖parent‖ over the compared
    /// tensors) a fine-tune is `consistent` with.
    public var finetuneMaxRelativeL2 = 0.5
    /// Below this overall cosine similarity the weights are unrelated: a fine-tune claim is
    /// `contradicted`.
    public var unrelatedBelowCosine = 0.5
    /// How many tensor names a reason lists before "and N more".
    public var examples = 3

    public init() {}
}

/// Counts of a comparison, as signed.
public struct EvidenceCounts: Codable, Equatable, Sendable {
    public var parentTensors = 0
    public var childTensors = 0
    public var identical = 0
    public var renamed = 0
    public var dtypeChanged = 0
    public var shapeChanged = 0
    public var changed = 0
    public var added = 0
    public var removed = 0
    /// Value verdicts of the dtype-changed and changed tensors.
    public var exact = 0
    public var castExact = 0
    public var quantizedConsistent = 0
    public var differs = 0
    public var notCompared = 0

    public init() {}
}

/// The change of the compared values, rounded to 6 significant digits so the summary is the
/// same bytes on every machine.
public struct EvidenceDelta: Codable, Equatable, Sendable {
    /// Tensors whose values were compared.
    public var tensors: Int
    /// ‖child − parent‖ / ‖parent‖ over them.
    public var relativeL2: Double?
    /// Cosine similarity over them.
    public var cosine: Double?
}

/// The adapter check, as signed.
public struct EvidenceAdapter: Codable, Equatable, Sendable {
    public var modules: Int
    public var fitting: Int
    /// The ranks found, ascending.
    public var ranks: [Int]
    public var replacedBaseTensors: Int
}

/// The tensor evidence for one parent of a derivative: the claimed relation, its grade, why,
/// and the counts it rests on. Encodable as the predicate's `lineage.parents[].evidence` object
/// (schema `Schemas/tensor-evidence.v1.schema.json`); the same inputs give the same value, and
/// its JSON (keys sorted) the same bytes.
public struct TensorEvidence: Codable, Equatable, Sendable {
    public var relation: EvidenceRelation
    public var grade: EvidenceGrade
    /// Sentences saying why, most decisive first.
    public var reasons: [String]
    public var basis: EvidenceBasis
    public var counts: EvidenceCounts
    public var delta: EvidenceDelta?
    public var adapter: EvidenceAdapter?
}

/// Grades a claimed relation from a tensor comparison (and, for an adapter, the adapter check):
/// pure and deterministic.
///
/// - `quantization`: `supported` when shapes are kept, at least one tensor changed dtype, every
///   dtype-changed tensor is cast-exact or quantized-consistent, every other tensor identical
///   (or exact after a layout map), nothing added or removed. `contradicted` when a shape
///   changed, or no dtype changed (identical data: a copy; other data: not a quantization).
///   Otherwise `consistent` (values not compared, types not decoded, values outside the
///   reference quantizer's bound — another quantizer, such as one with an importance matrix,
///   may produce those — or tensors added or removed).
/// - `conversion`: `supported` when every child tensor is found identical, exact or cast-exact in
///   the parent and no parent tensor is missing. `contradicted` when a shape changed, or values
///   were quantized or changed. Otherwise `consistent`.
/// - `finetune`, `continued-pretraining`: `contradicted` when shapes changed, tensors were added
///   or removed, or nothing changed at all; `consistent` with the same architecture and an
///   overall relative L2 change at most `finetuneMaxRelativeL2` (or values not compared);
///   `contradicted` below `unrelatedBelowCosine` (unrelated weights); `unverifiable` between.
/// - `adapter`: `supported` when every LoRA pair fits a targeted base tensor with the configured
///   rank and the adapter leaves every base tensor it carries unchanged; `contradicted` when there
///   is no LoRA pair or a pair fits no base tensor; `consistent` otherwise.
/// - `distillation`, `merge`, `pruning`, `other`: `unverifiable`; no comparison: `unverifiable`.
public enum TensorEvidenceGrader {
    public static func grade(
        relation: EvidenceRelation, comparison: TensorComparison?, adapter: AdapterFit? = nil,
        policy: EvidencePolicy = EvidencePolicy()
    ) -> TensorEvidence {
        var grading = Grading(relation: relation, comparison: comparison, adapter: adapter, policy: policy)
        return grading.run()
    }
}

extension TensorEvidenceGrader {
    /// The whole evidence for one parent: compares the inventories (values too, when both have
    /// their files and the relation is one the values can show), checks the adapter when the
    /// relation is `adapter`, and grades.
    ///
    /// - Parameter parent: `nil` when neither the parent's weights nor its tensor digests are
    ///   at hand (the grade is then `unverifiable`).
    /// - Throws: `TensorFileError` when a weights file cannot be read during the comparison.
    public static func assess(
        relation: EvidenceRelation, parent: TensorInventory?, child: TensorInventory, adapterConfig: AdapterConfig? = nil,
        options: TensorComparisonOptions = TensorComparisonOptions(), policy: EvidencePolicy = EvidencePolicy()
    ) throws(TensorFileError) -> (comparison: TensorComparison?, evidence: TensorEvidence) {
        guard let parent else { return (nil, grade(relation: relation, comparison: nil, policy: policy)) }
        var options = options
        switch relation {
        case .distillation, .merge, .pruning, .other, .adapter: options.compareValues = false
        default: break
        }
        let comparison = try TensorComparison.compare(parent: parent, child: child, options: options)
        let adapter = relation == .adapter ? AdapterFit.check(adapter: child, config: adapterConfig, base: parent) : nil
        return (comparison, grade(relation: relation, comparison: comparison, adapter: adapter, policy: policy))
    }
}

private struct Grading {
    let relation: EvidenceRelation
    let comparison: TensorComparison?
    let adapter: AdapterFit?
    let policy: EvidencePolicy

    var counts = EvidenceCounts()
    var basis = EvidenceBasis.none
    var delta: EvidenceDelta?

    init(relation: EvidenceRelation, comparison: TensorComparison?, adapter: AdapterFit?, policy: EvidencePolicy) {
        self.relation = relation
        self.comparison = comparison
        self.adapter = adapter
        self.policy = policy
    }

    mutating func run() -> TensorEvidence {
        if let comparison {
            counts.parentTensors = comparison.parentTensorCount
            counts.childTensors = comparison.childTensorCount
            for match in comparison.matches {
                switch match.kind {
                case .identical: counts.identical += 1
                case .renamed: counts.renamed += 1
                case .dtypeChanged: counts.dtypeChanged += 1
                case .shapeChanged: counts.shapeChanged += 1
                case .changed: counts.changed += 1
                case .added: counts.added += 1
                case .removed: counts.removed += 1
                }
                switch match.values?.verdict {
                case .exact?: counts.exact += 1
                case .castExact?: counts.castExact += 1
                case .quantizedConsistent?: counts.quantizedConsistent += 1
                case .differs?: counts.differs += 1
                case .notCompared?: counts.notCompared += 1
                case nil: break
                }
            }
            basis = comparison.valuesCompared ? .values : .digests
            let compared = comparison.matches.count { m in
                if let verdict = m.values?.verdict, case .notCompared = verdict { return false }
                return m.values != nil
            }
            if compared > 0 {
                delta = EvidenceDelta(
                    tensors: compared, relativeL2: comparison.overall.relativeL2.map(round6), cosine: comparison.overall.cosine.map(round6))
            }
        }
        var evidenceAdapter: EvidenceAdapter?
        if relation == .adapter, let adapter {
            evidenceAdapter = EvidenceAdapter(
                modules: adapter.modules.count, fitting: adapter.fitting, ranks: Array(Set(adapter.modules.compactMap(\.rank))).sorted(),
                replacedBaseTensors: adapter.replacedBaseTensors.count)
        }
        let (grade, reasons) = decide()
        return TensorEvidence(
            relation: relation, grade: grade, reasons: reasons, basis: basis, counts: counts, delta: delta, adapter: evidenceAdapter)
    }

    func decide() -> (EvidenceGrade, [String]) {
        switch relation {
        case .distillation:
            return (.unverifiable, ["a distilled student is trained on the teacher's outputs, not derived from its tensors: the weights cannot show it"])
        case .merge:
            return (.unverifiable, ["merges are not graded from tensors yet"])
        case .pruning:
            return (.unverifiable, ["pruning is not graded from tensors yet"])
        case .other:
            return (.unverifiable, ["the relation 'other' makes no claim the weights could show"])
        default:
            break
        }
        guard let comparison else {
            return (.unverifiable, ["no parent weights or tensor digests to compare with"])
        }
        if relation == .adapter { return decideAdapter(comparison) }
        guard comparison.childTensorCount > 0 else {
            return (.unverifiable, ["the child has no tensors in safetensors or GGUF files"])
        }
        guard comparison.parentTensorCount > 0 else {
            return (.unverifiable, ["the parent has no tensors in safetensors or GGUF files"])
        }
        switch relation {
        case .quantization: return decideQuantization(comparison)
        case .conversion: return decideConversion(comparison)
        default: return decideFinetune(comparison)
        }
    }

    // MARK: relations

    func decideQuantization(_ c: TensorComparison) -> (EvidenceGrade, [String]) {
        if counts.shapeChanged > 0 {
            return (.contradicted, [shapeReason(c, "a quantization keeps every tensor's shape")])
        }
        if counts.dtypeChanged == 0 {
            if counts.changed == 0 && counts.added == 0 {
                return (.contradicted, ["no tensor changed dtype and every tensor's data is identical to the parent's: a copy, not a quantization"])
            }
            return (.contradicted, [
                "no tensor changed dtype, yet \(counts.changed + counts.added) tensors differ from the parent's: a quantization changes dtypes"
            ])
        }
        var reasons: [String] = []
        let explained = explainedDTypeChanges(c)
        if !explained.isEmpty { reasons.append(explained) }
        let doubts = commonDoubts(c, outsideBoundMeans: "outside the reference quantizer's error bound: quantized by another algorithm (an importance matrix?) or changed")
        if doubts.isEmpty {
            return (.supported, reasons + [unchangedSentence()])
        }
        return (.consistent, doubts + reasons)
    }

    func decideConversion(_ c: TensorComparison) -> (EvidenceGrade, [String]) {
        if counts.shapeChanged > 0 {
            return (.contradicted, [shapeReason(c, "a conversion keeps every tensor's shape")])
        }
        let quantized = c.matches.filter { $0.values?.verdict == .quantizedConsistent }
        if !quantized.isEmpty {
            return (.contradicted, [
                "\(quantized.count) tensors are quantized (\(dtypeSummary(quantized))), not converted: their values are not the parent's; the relation is a quantization"
            ])
        }
        let differing = c.matches.filter { $0.values?.verdict == .differs }
        if !differing.isEmpty {
            return (.contradicted, ["\(differing.count) tensors' values differ from the parent's (\(names(differing)))"])
        }
        let doubts = commonDoubts(c, outsideBoundMeans: "changed")
        if doubts.isEmpty {
            return (.supported, ["every tensor of the child is found in the parent: " + foundSentence(c)])
        }
        let explained = explainedDTypeChanges(c)
        return (.consistent, doubts + (explained.isEmpty ? [] : [explained]))
    }

    func decideFinetune(_ c: TensorComparison) -> (EvidenceGrade, [String]) {
        let claim = relation == .finetune ? "a fine-tune" : "continued pre-training"
        if counts.shapeChanged > 0 {
            return (.contradicted, [shapeReason(c, "\(claim) keeps the architecture")])
        }
        if counts.added > 0 || counts.removed > 0 {
            return (.contradicted, [
                "the architecture differs: \(counts.added) tensors added (\(names(c.matches.filter { $0.kind == .added }))), \(counts.removed) removed (\(names(c.matches.filter { $0.kind == .removed })))"
            ])
        }
        let changed = counts.changed + counts.dtypeChanged
        if changed == 0 {
            return (.contradicted, ["every tensor is identical to the parent's: a copy, not \(claim)"])
        }
        let architecture = "same architecture (\(counts.childTensors) tensors, the same names and shapes); \(changed) tensors changed"
        guard basis == .values, let delta else {
            return (.consistent, [architecture, "values not compared (no parent weights): the size of the change is unknown"])
        }
        guard let relativeL2 = delta.relativeL2 else {
            return (.unverifiable, [architecture, "the parent's compared tensors are all zeros: no relative change to measure"])
        }
        let measured = "relative L2 change \(relativeL2), cosine similarity \(delta.cosine.map { String($0) } ?? "undefined") over \(delta.tensors) tensors"
        if relativeL2 <= policy.finetuneMaxRelativeL2 {
            return (.consistent, [architecture, measured])
        }
        if let cosine = delta.cosine, cosine < policy.unrelatedBelowCosine {
            return (.contradicted, ["the weights are unrelated to the parent's: " + measured, architecture])
        }
        return (.unverifiable, ["changed too much to tell (more than \(policy.finetuneMaxRelativeL2) relative L2): " + measured, architecture])
    }

    func decideAdapter(_ c: TensorComparison) -> (EvidenceGrade, [String]) {
        guard let adapter else { return (.unverifiable, ["the adapter's tensors were not checked against the base"]) }
        guard c.parentTensorCount > 0 else { return (.unverifiable, ["the base has no tensors to fit the adapter to"]) }
        guard !adapter.modules.isEmpty else {
            return (.contradicted, ["the adapter has no LoRA tensors (lora_A / lora_B in PEFT's layout)"])
        }
        let misfits = adapter.modules.filter { $0.problem != nil }
        if !misfits.isEmpty {
            let listed = misfits.prefix(policy.examples).map { "'\(printable($0.module))' \($0.problem ?? "")" }.joined(separator: "; ")
            let more = misfits.count > policy.examples ? "; and \(misfits.count - policy.examples) more" : ""
            let whole = misfits.count == adapter.modules.count ? "no LoRA pair fits the base" : "\(misfits.count) of \(adapter.modules.count) LoRA pairs do not fit the base"
            return (.contradicted, ["\(whole): \(listed)\(more)"])
        }
        let ranks = Array(Set(adapter.modules.compactMap(\.rank))).sorted().map(String.init).joined(separator: ", ")
        let fits = "all \(adapter.modules.count) LoRA pairs fit their base tensors (rank \(ranks))"
        var doubts: [String] = []
        if !adapter.replacedBaseTensors.isEmpty {
            doubts.append("the adapter also replaces \(adapter.replacedBaseTensors.count) base tensors (\(list(adapter.replacedBaseTensors))): the base is not untouched")
        }
        if !adapter.unknownTensors.isEmpty {
            doubts.append("\(adapter.unknownTensors.count) adapter tensors are neither LoRA pairs nor base tensors (\(list(adapter.unknownTensors)))")
        }
        if !adapter.unusedTargets.isEmpty {
            doubts.append("target_modules names \(list(adapter.unusedTargets)), which no adapter tensor adapts")
        }
        doubts.append(contentsOf: adapter.unchecked)
        if doubts.isEmpty {
            let untouched = adapter.unchangedBaseTensors > 0 ? "; the \(adapter.unchangedBaseTensors) base tensors it carries are unchanged" : "; the base is untouched"
            return (.supported, [fits + untouched])
        }
        return (.consistent, doubts + [fits])
    }

    // MARK: sentences

    /// The doubts shared by quantization and conversion: values not compared or not decoded,
    /// values outside the bound, tensors added or removed.
    func commonDoubts(_ c: TensorComparison, outsideBoundMeans: String) -> [String] {
        var doubts: [String] = []
        let unread = c.matches.filter { ($0.kind == .dtypeChanged || $0.kind == .changed) && $0.values == nil }
        if !unread.isEmpty {
            doubts.append("values not compared (no parent weights) for \(unread.count) tensors that changed (\(names(unread)))")
        }
        let undecoded = c.matches.filter { if case .notCompared? = $0.values?.verdict { return true } else { return false } }
        if !undecoded.isEmpty {
            let why: String
            if case .notCompared(let text)? = undecoded.first?.values?.verdict { why = text } else { why = "" }
            doubts.append("\(undecoded.count) tensors' values were not compared (\(why); \(names(undecoded)))")
        }
        let differing = c.matches.filter { $0.values?.verdict == .differs }
        let outside = differing.filter { $0.values?.quantization != nil }
        if !outside.isEmpty {
            let worst = outside.compactMap { $0.values?.quantization?.worstErrorRatio }.max()
            let ratio = worst.map { "; worst error \(round6($0)) times the bound" } ?? ""
            doubts.append("\(outside.count) tensors are \(outsideBoundMeans) (\(names(outside))\(ratio))")
        }
        let changed = differing.filter { $0.values?.quantization == nil }
        if !changed.isEmpty {
            doubts.append("\(changed.count) tensors' values differ from the parent's beyond what a cast explains (\(names(changed)))")
        }
        if counts.added > 0 {
            doubts.append("\(counts.added) tensors are not in the parent (\(names(c.matches.filter { $0.kind == .added })))")
        }
        if counts.removed > 0 {
            doubts.append("\(counts.removed) parent tensors are not in the child (\(names(c.matches.filter { $0.kind == .removed })))")
        }
        return doubts
    }

    func explainedDTypeChanges(_ c: TensorComparison) -> String {
        var parts: [String] = []
        let quantized = c.matches.filter { $0.values?.verdict == .quantizedConsistent }
        if !quantized.isEmpty {
            parts.append("\(quantized.count) tensors quantized within the reference quantizer's error bound (\(dtypeSummary(quantized)))")
        }
        let cast = c.matches.filter { $0.values?.verdict == .castExact }
        if !cast.isEmpty { parts.append("\(cast.count) cast exactly (\(dtypeSummary(cast)))") }
        let exact = c.matches.filter { $0.values?.verdict == .exact }
        if !exact.isEmpty {
            let layouts = Set(exact.map(\.layout.name)).sorted().joined(separator: ", ")
            parts.append("\(exact.count) with the same values laid out differently (\(layouts))")
        }
        return parts.joined(separator: ", ")
    }

    func unchangedSentence() -> String {
        let same = counts.identical + counts.renamed
        return "\(same) tensors identical to the parent's (\(counts.renamed) of them under another name or container)"
    }

    func foundSentence(_ c: TensorComparison) -> String {
        var parts = ["\(counts.identical + counts.renamed) identical (\(counts.renamed) under another name or container)"]
        let exact = c.matches.filter { $0.values?.verdict == .exact }
        if !exact.isEmpty {
            parts.append("\(exact.count) with the same values laid out differently (\(Set(exact.map(\.layout.name)).sorted().joined(separator: ", ")))")
        }
        let cast = c.matches.filter { $0.values?.verdict == .castExact }
        if !cast.isEmpty { parts.append("\(cast.count) cast exactly (\(dtypeSummary(cast)))") }
        return parts.joined(separator: ", ")
    }

    func shapeReason(_ c: TensorComparison, _ rule: String) -> String {
        let changed = c.matches.filter { $0.kind == .shapeChanged }
        let examples = changed.prefix(policy.examples).map { m in
            "'\(printable(m.child?.name ?? ""))' \(m.parent?.shape.description ?? "") → \(m.child?.shape.description ?? "")"
        }.joined(separator: ", ")
        let more = changed.count > policy.examples ? ", and \(changed.count - policy.examples) more" : ""
        return "\(changed.count) tensors changed shape (\(examples)\(more)); \(rule)"
    }

    func dtypeSummary(_ matches: [TensorMatch]) -> String {
        var pairs: [String: Int] = [:]
        for m in matches {
            pairs["\(m.parent?.dtype.rawValue ?? "?")→\(m.child?.dtype.rawValue ?? "?")", default: 0] += 1
        }
        return pairs.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }

    func names(_ matches: [TensorMatch]) -> String {
        list(matches.map { $0.child?.name ?? $0.parent?.name ?? "" })
    }

    func list(_ names: [String]) -> String {
        let shown = names.prefix(policy.examples).map { "'\(printable($0))'" }.joined(separator: ", ")
        return names.count > policy.examples ? "\(shown) and \(names.count - policy.examples) more" : shown
    }
}

/// `value` rounded to 6 significant digits, so a signed summary does not depend on the last bits
/// of a sum.
func round6(_ value: Double) -> Double {
    guard value.isFinite, value != 0 else { return value }
    return Double(String(format: "%.5e", value)) ?? value
}
