import ArgumentParser
import Foundation
import PedigreeKit

struct Notices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notices",
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
    @OptionGroup(title: "Trusted keys (for the parents)") var trust: TrustOptions
    @OptionGroup var hashing: HashingOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let derivative = try derivation.resolve(trust: trust)
        guard let request = derivative.request else {
            throw ValidationError("notices are written for a derivative: give --parent (or --spec)")
        }
        var notices = attribution.map { Notice(kind: .attribution, text: $0) }
        for file in noticeFile { notices += NoticeText.parse(try readText(file)) }
        let model = SignRequest(
            folder: folder, name: name ?? derivative.name, notices: notices, additionalTerms: try additionalTermsFile.map(readText),
            ignore: ignore, followSymlinks: followSymlinks, createdAt: Timestamp.format(0))
        let progress = hashing.progress(json: output.json)
        let result: NoticesResult
        do {
            result = try NoticeWriter(engine: hashing.engine).write(
                NoticesRequest(model: model, derivation: request, force: force), progress: progress.counter)
            progress.line.finish()
        } catch {
            progress.line.finish()
            throw error
        }
        if output.json {
            try Console.json(NoticesReport(
                model: model.name ?? defaultModelName(folder),
                written: [.init(path: result.noticePath, kind: "notice"), .init(path: result.modificationsPath, kind: "modifications")],
                noticeCount: result.noticeCount, modifiedFileCount: result.modifiedFileCount, parents: parentRows(result.parents)))
            return
        }
        reportParents(result.parents, keysGiven: !request.trustedKeys.isEmpty)
        Console.out("wrote \(result.noticePath) (\(plural(result.noticeCount, "notice")))")
        Console.out("wrote \(result.modificationsPath) (\(plural(result.modifiedFileCount, "modified or added file")))")
    }
}
