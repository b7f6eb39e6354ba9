/// What pedigree concludes about the licenses that govern one model of a chain: those whose
/// distribution conditions `pedigree check` evaluates for it, or why it cannot tell.
///
/// A model is governed by its own license and by every license its ancestors pass on, as
/// `check` evaluates them all. The conclusion holds only when every one of those licenses is
/// declared and is one pedigree knows (`LicenseCatalog`), and every ancestor's manifest could be
/// read; otherwise there is no conclusion, with the reasons. This is stricter than `check` in
/// one respect: `check` passes over an ancestor signed by `model_signing` (whose manifest
/// records no license), where a conclusion must not.
public enum LicenseConclusion: Equatable, Sendable {
    /// One license that governs the model, and the models of the chain that declare it
    /// (`this model` for the model itself).
    public struct Governing: Equatable, Sendable {
        public var license: KnownLicense
        public var declaredBy: [String]
    }

    /// The licenses, the model's own first, then those its ancestors add, nearest first.
    case licenses([Governing])
    /// pedigree cannot tell; the reasons, one clause each.
    case undetermined([String])

    /// The conclusion for `manifest`, which is the chain's model or one of its embedded ancestors.
    public init(for manifest: SignedManifest, in chain: ModelChain) {
        var found: [Governing] = []
        var reasons: [String] = []
        var seen: Set<String> = [manifest.manifestDigest.hex]
        var queue = [manifest]
        while !queue.isEmpty {
            let node = queue.removeFirst()
            let who = node.manifestDigest == manifest.manifestDigest ? "this model" : printable(node.name)
            if let predicate = node.predicate {
                let id = predicate.license?.id ?? ""
                let whose = who == "this model" ? "its" : who + "'s"
                if case .undeclared = ExportLicense(id) {
                    reasons.append("\(whose) manifest declares no license")
                } else if case .noLicense = ExportLicense(id) {
                    reasons.append("\(whose) manifest declares NONE, which is not a license pedigree evaluates")
                } else if let known = LicenseCatalog.license(named: id) {
                    if let index = found.firstIndex(where: { $0.license == known }) {
                        found[index].declaredBy.append(who)
                    } else {
                        found.append(Governing(license: known, declaredBy: [who]))
                    }
                } else {
                    reasons.append("\(printable(id)), declared by \(who), is not a license pedigree evaluates "
                                   + "(it knows \(LicenseCatalog.all.map(\.id).joined(separator: ", ")))")
                }
            } else {
                reasons.append("\(who) was signed by model_signing, whose manifests record no license")
            }
            for (reference, parent) in chain.parents(of: node) {
                guard let parent else {
                    reasons.append("the manifest of \(printable(reference.name)), a parent of \(who), is not embedded, "
                                   + "so the license it passes on cannot be read")
                    continue
                }
                if seen.insert(parent.manifestDigest.hex).inserted { queue.append(parent) }
            }
        }
        self = reasons.isEmpty && !found.isEmpty ? .licenses(found) : .undetermined(reasons)
    }

    /// The conclusion as an SPDX license expression (`A AND B`), or `nil` when there is none.
    public var spdxExpression: String? {
        guard case let .licenses(licenses) = self else { return nil }
        return licenses.map(\.license.id).joined(separator: " AND ")
    }

    /// Why this is the conclusion, for the comment an export carries with it.
    public var explanation: String {
        switch self {
        case let .licenses(licenses):
            let parts = licenses.map { "\($0.license.id) (declared by \($0.declaredBy.joined(separator: ", ")))" }
            return "The licenses whose distribution conditions `pedigree check` evaluates for this model: "
                + parts.joined(separator: "; ") + "."
        case let .undetermined(reasons):
            return "pedigree cannot conclude which licenses govern this model: " + reasons.joined(separator: "; ") + "."
        }
    }
}
