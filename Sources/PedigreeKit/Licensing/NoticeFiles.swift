/// The human-readable files that carry a model's notices to its recipients (§3.1(2), (3)).
public enum NoticeFiles {
    /// The name of the file of retained and added notices.
    public static let noticeName = "NOTICE"
    /// The name of the file of modification notices.
    public static let modificationsName = "MODIFICATIONS.md"

    /// `NOTICE`: every retained notice, then this publisher's, one per paragraph, verbatim but
    /// for unsafe characters (`PlainText`): line breaks of every kind become line feeds, other
    /// controls are shown as `\x1b` or `\u{202e}`.
    public static func notice(_ predicate: ModelPredicate) -> String {
        NoticeText.render((predicate.notices.retained.map(\.notice) + predicate.notices.added).map {
            Notice(kind: $0.kind, text: PlainText.text($0.text))
        })
    }

    /// `MODIFICATIONS.md`: which files were modified, added, renamed or removed relative to each
    /// parent, and how. Notice files themselves are not listed: they are what carries the notices.
    ///
    /// Names (files, models, digests) are Markdown code spans and the manifest's prose (method,
    /// additional terms, descriptions) is escaped Markdown on one line (`Markdown`), so an
    /// ancestor cannot put markup, links or control characters into the file.
    public static func modifications(_ predicate: ModelPredicate) -> String {
        guard let lineage = predicate.lineage else { return "" }
        var roles: [ByteKey: Role] = [:]
        for resource in predicate.resources { roles[ByteKey(resource.name.string)] = resource.role }
        func isNotice(_ name: String) -> Bool { (roles[ByteKey(name)] ?? RoleClassifier().role(of: name)) == .notice }
        var describe: [ByteKey: String] = [:]
        for modification in predicate.modifications {
            for file in modification.files { describe[ByteKey(file)] = modification.description }
        }
        var lines = ["# Modifications", ""]
        let relation = lineage.parents.first.relation
        let parents = lineage.parents.map { "\(Markdown.code($0.name)) (manifest \(Markdown.code("sha256:" + $0.manifestDigest.hex)))" }
        lines.append("\(Markdown.code(predicate.model.name)) is a \(relation.rawValue) of " + parents.joined(separator: " and ") + ".")
        if let method = lineage.derivation.method { lines += ["", "Method: \(Markdown.text(method))"] }
        if let terms = predicate.notices.additionalTerms {
            lines += ["", "Additional terms for these modifications:", "", Markdown.text(terms)]
        }
        for (parent, changes) in zip(lineage.parents, lineage.changes) {
            lines += ["", "## Changes from \(Markdown.code(parent.name))", ""]
            func line(_ file: String, _ what: String) -> String {
                let how = describe[ByteKey(file)].map { ": \(Markdown.text($0))" } ?? ""
                return "- \(Markdown.code(file)) (\(what))\(how)"
            }
            let before = lines.count
            lines += changes.modified.filter { !isNotice($0) }.map { line($0, "modified") }
            lines += changes.added.filter { !isNotice($0) }.map { line($0, "added") }
            lines += changes.renamed.filter { !isNotice($0.to) }.map { line($0.to, "renamed from \(Markdown.code($0.from))") }
            lines += changes.removed.filter { !isNotice($0) }.map { "- \(Markdown.code($0)) (removed)" }
            if lines.count == before { lines.append("No file differs.") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
