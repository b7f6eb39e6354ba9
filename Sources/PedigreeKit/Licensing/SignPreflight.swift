/// A distribution condition `check` would fail on a manifest about to be written, and what
/// fixes it.
public struct PreflightFinding: Encodable, Sendable, Equatable {
    /// The license and clause, as `check` names it: `OpenAtom-1.0 §3.1(2)`.
    public var clause: String
    public var title: String
    public var problems: [String]
    /// The command or step that fixes it.
    public var fix: String
}

extension ObligationChecker {
    /// The conditions `check` would fail on `bundle` once it is written for `folder`: the very
    /// code `pedigree check` runs, on the signed bundle before it reaches the disk.
    ///
    /// A condition that is not evaluated (a license pedigree does not know) is not a finding:
    /// `check` reports it, and only a failure has a fix to name.
    public func preflight(folder: String, bundle: ManifestBundle) -> [PreflightFinding] {
        guard let chain = try? ModelChain(bundle: bundle), let report = try? check(folder: folder, chain: chain) else { return [] }
        return report.obligations.filter { $0.verdict == .fail }.map {
            PreflightFinding(clause: $0.clause, title: $0.title, problems: $0.problems, fix: Self.fix(for: $0))
        }
    }

    /// What fixes a failed condition, by its title.
    static func fix(for obligation: Obligation) -> String {
        switch obligation.title {
        case "a copy of the license":
            return "put the license text in the folder (the parent's license file, or the published text) and sign again"
        case "notices retained" where obligation.problems.contains { $0.contains("dropped") }:
            return "keep the notice (leave out --drop-notice) and sign again with --write-notices"
        case "notices retained", "the NOTICE file":
            return "sign again with --write-notices, which writes NOTICE from the ancestors' notices"
        case "notices of modification":
            return "sign again with --write-notices (and --method TEXT or --modification 'GLOB: TEXT' for files it cannot describe)"
        default:
            return "run pedigree check on the folder once signed for the details"
        }
    }
}
