import ArgumentParser
import Foundation
import PedigreeKit

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show what a manifest says: model, digests, license, files, lineage, notices, signers.",
        discussion: """
            Reads the manifest only: files are not hashed, and signatures are checked only \
            against the keys given with --trusted-key or --trusted-keys (otherwise each signer \
            is shown unverified). Use 'verify' to check a folder against it. Exits 1 when the \
            manifest or its chain is inconsistent.
            """
    )

    @Argument(help: "A manifest file, or a model folder (its pedigree.json, else its model.sig).")
    var model: String

    @OptionGroup(title: "Trusted keys") var trust: TrustOptions
    @OptionGroup var output: JSONOption

    /// How many names of one role the text report lists before it counts the rest.
    static let namesPerRole = 8

    func run() throws {
        let path = ModelChain.manifestFile(for: model)
        let summary = ManifestSummary(chain: try loadChain(path), manifestPath: path, keys: try trust.loadIfGiven())
        if output.json {
            var report = ShowReport(summary)
            report.ok = summary.problems.isEmpty
            try Console.json(report)
        } else {
            printSummary(summary)
        }
        if !summary.problems.isEmpty { throw Finished(status: .failure) }
    }

    /// A text of several lines under `label`: each line escaped on its own and indented under
    /// the first, so no line of it can pass for a line of the report; `trailer` after the last.
    private func paragraph(_ label: String, _ text: String, _ trailer: TerminalText = "") {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let end: TerminalText = index == lines.count - 1 && !trailer.isEmpty ? " \(trailer)" : ""
            if index == 0 {
                Console.out("  \(label, width: 15) \(line)\(end)")
            } else {
                Console.out("                  \(line)\(end)")
            }
        }
    }

    private func printSummary(_ summary: ManifestSummary) {
        func field(_ name: String, _ value: TerminalText) { Console.out("\(name, width: 15) \(value)") }
        field("manifest", "\(summary.manifestPath)")
        field("model", "\(summary.model)" + (summary.version.map { " (version \($0))" } ?? ""))
        var made: TerminalText = "\(summary.format.rawValue)"
        if let generator = summary.generator { made += ", by \(generator.name) \(generator.version)" }
        if let created = summary.createdAt { made += ", \(created)" }
        field("format", made)
        field("root digest", "\(summary.rootDigest)")
        field("manifest digest", "\(summary.manifestDigest)")
        if let license = summary.license {
            let files = license.files.map { "\($0.name) sha256:\(short($0.digest.hex))…" }.joined(separator: ", ")
            field("license", "\(license.id)" + (license.name.map { " (\($0))" } ?? "") + (files.isEmpty ? "" : ", in \(files)"))
        }
        if let distribution = summary.distribution { field("distribution", "\(distribution.rawValue)") }
        field("files", "\(summary.files.count), \(formatBytes(summary.totalBytes))")
        for (role, files) in summary.filesByRole {
            let names = files.prefix(Self.namesPerRole).map(\.name.string).joined(separator: ", ")
            let more: TerminalText = files.count > Self.namesPerRole ? ", … \(files.count - Self.namesPerRole) more" : ""
            Console.out("  \(role?.rawValue ?? "unknown role", width: 15) \(names)\(more)")
        }
        for (index, parent) in summary.parents.enumerated() {
            let changes = index < summary.changes.count ? summary.changes[index] : nil
            let reference = parent.reference
            let trust = reference.trusted ? "trusted when signed" : "untrusted when signed"
            let embedded = parent.embedded ? "" : ", NOT EMBEDDED"
            field("parent", "\(reference.relation.rawValue) of \(reference.name) (manifest \(short(reference.manifestDigest.hex))…, \(reference.role.rawValue), \(trust)\(embedded))")
            if let changes {
                var parts = ["\(changes.unchanged.count) unchanged"]
                for (count, word) in [(changes.modified.count, "modified"), (changes.added.count, "added"), (changes.removed.count, "removed"),
                                      (changes.renamed.count, "renamed")] where count > 0 {
                    parts.append("\(count) \(word)")
                }
                Console.out("  \("changes", width: 15) \(parts.joined(separator: ", "))")
            }
            if let evidence = reference.evidence {
                Console.out("  \("evidence", width: 15) \(evidence.grade.rawValue) (from \(evidence.basis.rawValue)): \(evidence.reasons.first ?? "")")
                for reason in evidence.reasons.dropFirst() { Console.out("                  \(reason)") }
            }
        }
        if let derivation = summary.derivation {
            if let method = derivation.method { Console.out("  \("method", width: 15) \(method)") }
            if !derivation.parameters.isEmpty {
                let parameters = derivation.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                Console.out("  \("parameters", width: 15) \(parameters)")
            }
            for dataset in derivation.datasets {
                Console.out("  \("dataset", width: 15) \(dataset.name)" + (dataset.digest.map { " (\($0))" } ?? ""))
            }
            if let tool = derivation.tool { Console.out("  \("tool", width: 15) \(tool.name)" + (tool.version.map { " \($0)" } ?? "")) }
        }
        for reference in summary.unverifiedReferences {
            let relation: TerminalText = reference.relation.map { "\($0) of " } ?? ""
            field("base (named)", "\(relation)\(reference.name): UNVERIFIED, named in \(reference.source); no signed manifest links it")
        }
        for ancestor in summary.ancestors {
            let indent = String(repeating: "  ", count: ancestor.depth - 1)
            field("ancestor", "\(indent)\(ancestor.name) (manifest \(short(ancestor.manifestDigest))…, root \(short(ancestor.rootDigest))…)")
        }
        if let notices = summary.notices {
            field("notices", "\(notices.retained.count) retained, \(notices.added.count) added, \(notices.dropped.count) dropped")
            for notice in notices.retained { paragraph(notice.kind.rawValue, notice.text, "(from \(notice.origin.model))") }
            for notice in notices.added { paragraph(notice.kind.rawValue, notice.text) }
            for notice in notices.dropped { paragraph("dropped", notice.text, "(from \(notice.origin.model); \(notice.reason))") }
            if let terms = notices.additionalTerms { paragraph("terms", terms) }
        }
        if let tensors = summary.tensors {
            var byFile: [(file: String, rows: [TensorRecord])] = []
            for row in tensors {
                if byFile.last?.file == row.file { byFile[byFile.count - 1].rows.append(row) } else { byFile.append((row.file, [row])) }
            }
            field("tensors", "\(plural(tensors.count, "tensor")) in \(plural(byFile.count, "weights file"))")
            for (file, rows) in byFile {
                var dtypes: [(TensorDType, Int)] = []
                for row in rows {
                    if let at = dtypes.firstIndex(where: { $0.0 == row.dtype }) { dtypes[at].1 += 1 } else { dtypes.append((row.dtype, 1)) }
                }
                let kinds = dtypes.map { "\($0.0.rawValue) ×\($0.1)" }.joined(separator: ", ")
                Console.out("  \(file, width: 15) \(plural(rows.count, "tensor")) (\(kinds))")
                for row in rows.prefix(Self.namesPerRole) {
                    Console.out("    \(row.name) \(row.dtype.rawValue) \(row.shape.description) sha256:\(short(row.digest.hex))…")
                }
                if rows.count > Self.namesPerRole { Console.out("    … \(rows.count - Self.namesPerRole) more") }
            }
        }
        for modification in summary.modifications {
            field("modified", "\(modification.files.joined(separator: ", ")): \(modification.description)")
        }
        for signer in summary.signers {
            let keyid: TerminalText = signer.keyid.isEmpty ? "(no key id)" : "\(signer.keyid)"
            let status: TerminalText
            switch signer.status {
            case nil: status = "unverified"
            case .trusted?: status = "trusted (\(signer.algorithm ?? "?"), \(signer.key ?? "?"))"
            case .unknownKey?: status = "by an unknown key"
            case .invalid?: status = "INVALID for \(signer.key ?? "a trusted key")"
            case .unchecked?: status = "not checked"
            }
            field("signature \(signer.index)", keyid + " " + status)
        }
        for problem in summary.problems { Console.error("\(problem)") }
    }
}
