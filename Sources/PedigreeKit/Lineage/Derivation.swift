import PedigreeCrypto

/// A parent named on the command line or in a spec: where its manifest is, and what it is to
/// the new model.
public struct ParentSource: Equatable, Sendable {
    /// A `pedigree.json` or `model.sig`, or a folder holding one.
    public var path: String
    public var role: ParentRole

    public init(path: String, role: ParentRole = .base) {
        self.path = path
        self.role = role
    }
}

/// `GLOB: TEXT`: how the files matching GLOB were modified (§3.1(3)).
public struct ModificationRule: Equatable, Sendable {
    public var glob: Glob
    public var description: String

    public init(glob: Glob, description: String) {
        self.glob = glob
        self.description = description
    }
}

/// `MATCH: REASON`: drop the inherited notice whose text contains MATCH, for REASON.
public struct NoticeDrop: Equatable, Sendable {
    public var match: String
    public var reason: String

    public init(match: String, reason: String) {
        self.match = match
        self.reason = reason
    }
}

/// Everything that makes a model a derivative.
public struct DerivationRequest: Sendable {
    public var parents: [ParentSource]
    public var relation: Relation
    public var derivation: Derivation
    public var modifications: [ModificationRule]
    public var drops: [NoticeDrop]
    /// Keys to check the parents' signatures with; parents are recorded as untrusted without.
    public var trustedKeys: [TrustedKey]

    public init(
        parents: [ParentSource], relation: Relation, derivation: Derivation = Derivation(),
        modifications: [ModificationRule] = [], drops: [NoticeDrop] = [], trustedKeys: [TrustedKey] = []
    ) {
        self.parents = parents
        self.relation = relation
        self.derivation = derivation
        self.modifications = modifications
        self.drops = drops
        self.trustedKeys = trustedKeys
    }
}

/// Why a derivative could not be described.
public enum DerivationError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    case parentUnreadable(path: String, ManifestError)
    case parentInconsistent(path: String, [String])
    case parentSignatureInvalid(path: String, [Int])
    case noticeDropMatchesNothing(String)
    case noticeDropAmbiguous(String, Int)
    case uncoveredChanges([String])
    /// The parents and everything they embed come to more ancestors than a bundle may hold.
    case tooManyAncestors(Int)

    public var description: String {
        switch self {
        case let .parentUnreadable(path, error):
            if case .unreadable(let fileError) = error { return "parent \(path): \(fileError.reasonText)" }
            return "parent \(path): \(error)"
        case let .parentInconsistent(path, problems):
            return "parent \(path) is not consistent:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case let .parentSignatureInvalid(path, indexes):
            let list = indexes.map(String.init).joined(separator: ", ")
            return "parent \(path): signature \(list) does not verify with the trusted key it names; refusing to build on it"
        case let .noticeDropMatchesNothing(match):
            return "--drop-notice '\(match)' matches no inherited notice"
        case let .noticeDropAmbiguous(match, count):
            return "--drop-notice '\(match)' matches \(count) inherited notices; give more of the text"
        case let .uncoveredChanges(files):
            let count = files.count == 1 ? "1 changed file has" : "\(files.count) changed files have"
            return "\(count) no modification notice (§3.1(3)): " + files.map(printable).joined(separator: ", ")
                + "\n  say how they were modified with --method TEXT or --modification 'GLOB: TEXT'"
        case let .tooManyAncestors(count):
            return "the parents and the ancestors they embed are \(count) manifests; a bundle may embed at most "
                + "\(Limits.ancestors), so this one is not written"
        }
    }

    /// 66 for a parent that cannot be read, 1 for changed files without a notice, else 65.
    public var exitStatus: ExitStatus {
        switch self {
        case let .parentUnreadable(_, error): return error.exitStatus
        case .uncoveredChanges: return .failure
        default: return .dataError
        }
    }
}

/// A parent that was read and checked.
public struct LoadedParent: Sendable {
    public var source: ParentSource
    public var chain: ModelChain
    public var reference: ParentReference
    /// What the parent's signature check found.
    public var signatures: [SignatureResult]
}

/// Turns a model's own description into a derivative's: lineage, inherited notices,
/// modification notices, and the ancestors to embed.
public enum Deriver {
    /// Reads and checks every parent: structure, self-consistency and chain integrity always;
    /// signatures when trusted keys are given (an invalid one refuses the parent, an unknown
    /// key records it as untrusted).
    public static func loadParents(_ request: DerivationRequest) throws(DerivationError) -> [LoadedParent] {
        try request.parents.map { (source) throws(DerivationError) -> LoadedParent in
            let chain: ModelChain
            do throws(ManifestError) {
                chain = try ModelChain.load(source.path)
            } catch {
                throw .parentUnreadable(path: source.path, error)
            }
            let problems = chain.manifest.consistencyProblems() + chain.problems()
            guard problems.isEmpty else { throw .parentInconsistent(path: source.path, problems) }
            let signatures = chain.manifest.envelope.checkSignatures(keys: request.trustedKeys)
            let invalid = signatures.filter { $0.status == .invalid }.map(\.index)
            guard invalid.isEmpty else { throw .parentSignatureInvalid(path: source.path, invalid) }
            let signers = zip(chain.manifest.envelope.signatures, signatures).compactMap { signature, result -> String? in
                if !signature.keyid.isEmpty { return signature.keyid }
                return result.key.flatMap { label in request.trustedKeys.first { $0.label == label }?.key.keyID }
            }
            let reference = ParentReference(
                name: chain.manifest.name, manifestDigest: chain.manifest.manifestDigest,
                rootDigest: chain.manifest.rootDigest, relation: request.relation, role: source.role,
                signers: signers, trusted: signatures.isTrusted, format: chain.manifest.format)
            return LoadedParent(source: source, chain: chain, reference: reference, signatures: signatures)
        }
    }

    /// Adds lineage, inherited notices and modification notices to `predicate` (with no
    /// parents, nothing: a model without parents has no lineage).
    ///
    /// - Returns: the ancestors to embed: each parent's envelope, then everything each parent
    ///   embeds, each manifest once.
    /// - Throws: `.uncoveredChanges` when the model is distributed as files and a changed file
    ///   has no modification notice; errors for `--drop-notice` values that match nothing or
    ///   more than one notice; `.tooManyAncestors` when the bundle would embed more than
    ///   `Limits.ancestors` manifests (which its own reader would refuse).
    public static func apply(
        _ request: DerivationRequest, parents: [LoadedParent], to predicate: inout ModelPredicate
    ) throws(DerivationError) -> [AncestorEntry] {
        guard let references = NonEmptyArray(parents.map(\.reference)) else { return [] }
        let current = predicate.resources.map { (name: $0.name.string, digest: $0.digest) }
        let changes = parents.map { parent in
            FileDiff.compare(
                old: parent.chain.manifest.entries.map { ($0.name.string, $0.digest) }, new: current,
                parent: parent.reference.manifestDigest)
        }
        predicate.lineage = Lineage(parents: references, derivation: request.derivation, changes: changes)

        // Notices: every notice any ancestor recorded, wherever it first appeared.
        var retained = inheritedNotices(parents)
        var dropped: [DroppedNotice] = []
        for drop in request.drops {
            let matches = retained.indices.filter { retained[$0].text.contains(drop.match) }
            guard !matches.isEmpty else { throw .noticeDropMatchesNothing(drop.match) }
            guard matches.count == 1 else { throw .noticeDropAmbiguous(drop.match, matches.count) }
            dropped.append(DroppedNotice(retained.remove(at: matches[0]), reason: drop.reason))
        }
        predicate.notices.retained = retained
        predicate.notices.dropped = dropped

        // Modification notices for every file not identical to its counterpart in some parent.
        let changed = predicate.filesNeedingModificationNotice()
        let fallback = defaultDescription(request, parents: parents)
        var descriptions: [(String, [String])] = []
        var uncovered: [String] = []
        for name in changed {
            guard let text = request.modifications.first(where: { $0.glob.matches(name) })?.description ?? fallback else {
                uncovered.append(name)
                continue
            }
            if let index = descriptions.firstIndex(where: { $0.0 == text }) {
                descriptions[index].1.append(name)
            } else {
                descriptions.append((text, [name]))
            }
        }
        if predicate.distribution == .files, !uncovered.isEmpty { throw .uncoveredChanges(uncovered) }
        predicate.modifications = descriptions.map { Modification(files: $0.1, description: $0.0) }

        var seen: Set<SHA256Digest> = []
        var ancestors: [AncestorEntry] = []
        for parent in parents where seen.insert(parent.chain.manifest.manifestDigest).inserted {
            ancestors.append(AncestorEntry(
                dsseEnvelope: parent.chain.bundle.dsseEnvelope, verificationMaterial: parent.chain.bundle.verificationMaterial))
        }
        for parent in parents {
            for entry in parent.chain.bundle.ancestors where seen.insert(SHA256.hash(entry.dsseEnvelope.payload)).inserted {
                ancestors.append(entry)
            }
        }
        guard ancestors.count <= Limits.ancestors else { throw .tooManyAncestors(ancestors.count) }
        return ancestors
    }

    /// The notices a derivative of `parents` must carry (see `requiredNotices`).
    public static func inheritedNotices(_ parents: [LoadedParent]) -> [RetainedNotice] {
        requiredNotices(parents.flatMap { [$0.chain.manifest] + $0.chain.lineage().map(\.manifest) })
    }

    /// Every notice any of `ancestors` added, retained or dropped — a notice one publisher
    /// dropped is still owed by the next — with the ancestor that first recorded it, each text
    /// once, in the order given.
    public static func requiredNotices(_ ancestors: [SignedManifest]) -> [RetainedNotice] {
        var notices: [RetainedNotice] = []
        var seen: Set<Notice> = []
        func take(_ notice: RetainedNotice) {
            if seen.insert(notice.notice).inserted { notices.append(notice) }
        }
        for manifest in ancestors {
            guard let predicate = manifest.predicate else { continue }
            let origin = NoticeOrigin(model: manifest.name, manifestDigest: manifest.manifestDigest)
            predicate.notices.added.forEach { take(RetainedNotice($0, origin: origin)) }
            predicate.notices.retained.forEach(take)
            predicate.notices.dropped.forEach { take(RetainedNotice(Notice(kind: $0.kind, text: $0.text), origin: $0.origin)) }
        }
        return notices
    }

    /// "Fine-tuned from acme/base: LoRA r=16" — the notice the relation and method give every
    /// changed file, or `nil` without a method (a relation alone does not say how).
    static func defaultDescription(_ request: DerivationRequest, parents: [LoadedParent]) -> String? {
        guard let method = request.derivation.method, !method.isEmpty else { return nil }
        let names = parents.map(\.reference.name).joined(separator: " and ")
        return "\(request.relation.phrase) \(names): \(method)"
    }
}

extension Relation {
    /// How a modification notice words the relation: "Fine-tuned from", "Quantized from", …
    public var phrase: String {
        switch self {
        case .finetune: return "Fine-tuned from"
        case .adapter: return "Adapter trained on"
        case .quantization: return "Quantized from"
        case .distillation: return "Distilled from"
        case .merge: return "Merged from"
        case .continuedPretraining: return "Continued pretraining of"
        case .pruning: return "Pruned from"
        case .conversion: return "Converted from"
        case .other: return "Derived from"
        }
    }
}
