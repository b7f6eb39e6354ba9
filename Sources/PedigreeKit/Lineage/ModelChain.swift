import PedigreeCrypto

/// A model's signed manifest together with the signed manifests of its ancestors, as one
/// bundle carries them, resolved by manifest digest.
public struct ModelChain: Sendable {
    public let bundle: ManifestBundle
    /// The model itself.
    public let manifest: SignedManifest
    /// The embedded ancestors that could be read, in bundle order.
    public let ancestors: [SignedManifest]
    /// Embedded ancestors that could not be read, with why (1-based index into the bundle's list).
    public let unreadableAncestors: [(index: Int, error: ManifestError)]

    private let byDigest: [SHA256Digest: SignedManifest]

    /// The most embedded ancestors a bundle may carry.
    public static let ancestorLimit = Limits.ancestors

    /// Resolves the ancestors embedded in `bundle`.
    ///
    /// - Throws: `ManifestError` when the model's own Statement cannot be read, when the
    ///   bundle holds more than `Limits.ancestors` ancestors, or when two of them are the same
    ///   manifest (which of two copies a reader judges would otherwise depend on their order).
    public init(bundle: ManifestBundle) throws(ManifestError) {
        self.bundle = bundle
        let count = bundle.ancestors.count
        guard count <= Self.ancestorLimit else { throw .tooManyAncestors(count) }
        var positions: [SHA256Digest: Int] = [:]
        for (offset, entry) in bundle.ancestors.enumerated() {
            let digest = SHA256.hash(entry.dsseEnvelope.payload)
            if let first = positions[digest] { throw .duplicateAncestor(first: first, second: offset + 1, digest) }
            positions[digest] = offset + 1
        }
        manifest = try SignedManifest(envelope: bundle.dsseEnvelope)
        var ancestors: [SignedManifest] = []
        var unreadable: [(Int, ManifestError)] = []
        var byDigest: [SHA256Digest: SignedManifest] = [:]
        for (offset, entry) in bundle.ancestors.enumerated() {
            do {
                let ancestor = try SignedManifest(envelope: entry.dsseEnvelope)
                ancestors.append(ancestor)
                byDigest[ancestor.manifestDigest] = ancestor
            } catch {
                unreadable.append((offset + 1, error))
            }
        }
        self.ancestors = ancestors
        unreadableAncestors = unreadable
        self.byDigest = byDigest
    }

    /// Loads the bundle at `path` (a file, or a folder holding `pedigree.json` or `model.sig`).
    public static func load(_ path: String) throws(ManifestError) -> ModelChain {
        try ModelChain(bundle: ManifestBundle.load(manifestFile(for: path)))
    }

    /// The manifest file a user means by `path`: the path itself if it is a file, else the
    /// folder's `pedigree.json`, else its `model.sig`.
    public static func manifestFile(for path: String) -> String {
        guard isFolder(path) else { return path }
        let own = joinPath(path, "pedigree.json")
        if exists(own) { return own }
        let oms = joinPath(path, "model.sig")
        if exists(oms) { return oms }
        return own
    }

    /// The parents `manifest` names, each with the embedded manifest its digest resolves to.
    public func parents(of manifest: SignedManifest) -> [(reference: ParentReference, manifest: SignedManifest?)] {
        (manifest.predicate?.lineage?.parents.elements ?? []).map { reference in (reference, byDigest[reference.manifestDigest]) }
    }

    /// Every ancestor reachable from the model through parent references, each once, nearest
    /// first, with its distance from the model.
    public func lineage() -> [(manifest: SignedManifest, depth: Int)] {
        var seen: Set<SHA256Digest> = [manifest.manifestDigest]
        var order: [(SignedManifest, Int)] = []
        var frontier = [(manifest, 0)]
        while !frontier.isEmpty {
            var next: [(SignedManifest, Int)] = []
            for (node, depth) in frontier {
                for (_, parent) in parents(of: node) {
                    guard let parent, seen.insert(parent.manifestDigest).inserted else { continue }
                    order.append((parent, depth + 1))
                    next.append((parent, depth + 1))
                }
            }
            frontier = next
        }
        return order
    }

    /// What is wrong with the chain itself, without looking at signatures or files: ancestors
    /// that cannot be read, parent references that resolve to no embedded manifest or to one
    /// whose name or root digest differs from the reference, embedded manifests no one refers
    /// to, and ancestors whose own content is inconsistent.
    public func problems() -> [String] {
        var problems: [String] = unreadableAncestors.map { "embedded ancestor \($0.index): \($0.error)" }
        var referenced: Set<SHA256Digest> = []
        var visited: Set<SHA256Digest> = []
        var queue = [manifest]
        while let node = queue.first {
            queue.removeFirst()
            guard visited.insert(node.manifestDigest).inserted else { continue }
            for (reference, parent) in parents(of: node) {
                let who = "\(printable(node.name))'s parent \(printable(reference.name)) (manifest \(reference.manifestDigest.hex.prefix(12))…)"
                guard let parent else {
                    problems.append("\(who) is not among the embedded ancestors: it was removed, altered or swapped")
                    continue
                }
                referenced.insert(parent.manifestDigest)
                if ByteKey(parent.name) != ByteKey(reference.name) {
                    problems.append("\(who): the embedded manifest names the model '\(printable(parent.name))'")
                }
                // The child recorded who signed its parent; the embedded copy must still carry one
                // of those signatures (model_signing's signatures name no key, so they cannot be matched).
                let embeddedSigners = parent.envelope.signatures.map(\.keyid).filter { !$0.isEmpty }
                if !reference.signers.isEmpty, !embeddedSigners.isEmpty,
                    !embeddedSigners.contains(where: reference.signers.contains)
                {
                    problems.append("\(who) was signed by \(reference.signers.map { String($0.prefix(12)) + "…" }.joined(separator: ", ")) "
                                    + "when it was referenced; the embedded manifest carries no signature by that key")
                }
                if parent.rootDigest != reference.rootDigest {
                    problems.append("\(who): the embedded manifest's root digest is \(parent.rootDigest.hex.prefix(12))…, "
                                    + "the reference says \(reference.rootDigest.hex.prefix(12))…")
                }
                queue.append(parent)
            }
        }
        for ancestor in ancestors where !referenced.contains(ancestor.manifestDigest) {
            problems.append(
                "embedded ancestor \(printable(ancestor.name)) (manifest \(ancestor.manifestDigest.hex.prefix(12))…) is not "
                    + "referenced by any parent in the chain")
        }
        for ancestor in ancestors where referenced.contains(ancestor.manifestDigest) {
            for problem in ancestor.consistencyProblems() {
                problems.append("ancestor \(printable(ancestor.name)): \(problem)")
            }
        }
        return problems
    }
}
