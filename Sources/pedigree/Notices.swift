import ArgumentParser
import Foundation
import PedigreeKit

struct Notices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write NOTICE and MODIFICATIONS.md into a derivative's folder, before signing it.",
        discussion: """
            Takes the same parents and derivation options as 'sign', and writes the notices a \
            recipient must be given: NOTICE with every notice the ancestors carry (and this \
            publisher's), MODIFICATIONS.md with every modified or added file and how it was \
            modified. Sign the folder afterwards so both ship inside the signed manifest.
            """
    )

    @Argument(help: "The derivative's folder.")
    var folder: String

    @Option(help: "The model's name (default: the folder's name).")
    var name: String?

    @Option(help: "A notice of this publisher's to add (repeatable).")
    var attribution: [String] = []

    @Option(help: "A file of this publisher's notices, one per paragraph (repeatable).")
    var noticeFile: [String] = []

    @Option(help: "A file with additional terms for this publisher's modifications.")
    var additionalTermsFile: String?

    @Option(help: "A path pattern to leave out, relative to the folder (repeatable).")
    var ignore: [String] = []

    @Flag(help: "Follow links that stay inside the folder.")
    var followSymlinks = false

    @Flag(help: "Replace NOTICE and MODIFICATIONS.md if they exist.")
    var force = false

    @OptionGroup(title: "Deriving from parents") var derivation: DerivationOptions
    @OptionGroup var hashing: HashingOptions

    func run() throws {
        let derivative = try derivation.resolve()
        guard let request = derivative.request else {
            throw fail("notices are written for a derivative: give --parent (or --spec)", code: 64)
        }
        let targets = [NoticeFiles.noticeName, NoticeFiles.modificationsName].map { joinPath(folder, $0) }
        var notices = attribution.map { Notice(kind: .attribution, text: $0) }
        for file in noticeFile { notices += NoticeText.parse(try readText(file)) }
        let signRequest = SignRequest(
            folder: folder, name: name ?? derivative.name, notices: notices, additionalTerms: try additionalTermsFile.map(readText),
            ignore: ignore, followSymlinks: followSymlinks, createdAt: Timestamp.format(0))
        var predicate: ModelPredicate
        do {
            predicate = try ModelSigner(engine: hashing.engine).describe(signRequest)
        } catch {
            throw fail(error.description, code: error == .empty(folder) ? Exit.dataError : inputStatusOf(error))
        }
        _ = try derivation.derive(request, into: &predicate, quiet: hashing.quiet)
        let contents = [NoticeFiles.notice(predicate), NoticeFiles.modifications(predicate)]
        // An existing file is replaced without --force only when every paragraph of it is kept.
        for (path, text) in zip(targets, contents) where !force {
            guard let old = FileManager.default.contents(atPath: path) else { continue }
            let kept = NoticeText.parse(text).map(\.text)
            let lost = NoticeText.parse(String(decoding: old, as: UTF8.self)).filter { !kept.contains($0.text) }
            if !lost.isEmpty {
                throw fail(
                    "\(path): already exists and the new one would not keep \(plural(lost.count, "paragraph")) of it; "
                        + "not overwritten (use --force to replace it)",
                    code: Exit.cannotCreate)
            }
        }
        do {
            try AtomicFile.write(zip(contents, targets).map { (Array($0.utf8), $1) }, overwrite: true)
        } catch {
            throw fail(error.description, code: Exit.cannotCreate)
        }
        let noticeCount = predicate.notices.retained.count + predicate.notices.added.count
        let changed = predicate.modifications.reduce(0) { $0 + $1.files.count }
        Console.out("wrote \(targets[0]) (\(plural(noticeCount, "notice")))")
        Console.out("wrote \(targets[1]) (\(plural(changed, "modified or added file")))")
    }
}

/// The exit status for a signing error.
func inputStatusOf(_ error: SignError) -> Int32 { error.exitStatus.rawValue }
