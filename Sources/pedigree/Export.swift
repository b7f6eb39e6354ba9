import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a signed manifest in another format.",
        discussion: """
            oms: an OpenSSF Model Signing bundle (Sigstore bundle v0.3) that 'model_signing \
            verify key' accepts, signed with --key (ECDSA P-256, P-384 or P-521) after the folder is \
            checked against the manifest (with --signing-cert and --cert-chain: the certificate \
            method, the bundle carrying the chain); written to DIR/model.sig (FILE.sig for a single-file \
            model, whose manifest is FILE.pedigree.json) unless --output is given. \
            cyclonedx: a CycloneDX 1.6 ML-BOM. spdx: SPDX 3.0.1 JSON-LD. slsa: the derivation \
            as an unsigned in-toto Statement with SLSA Provenance v1. model-card: Hugging Face \
            front matter and a provenance section (--trusted-key shows trust in its lineage). \
            All but oms print to standard output unless --output is given.
            """
    )

    @Argument(help: "A model folder (or, except for oms, a manifest file).")
    var model: String

    @Option(name: .shortAndLong, help: "The format.")
    var format: ExportFormat

    @Option(name: .shortAndLong, help: "The signed manifest to export (default: the model's DIR/pedigree.json, else DIR/model.sig; FILE.pedigree.json for a file).")
    var manifest: String?

    @Option(name: .shortAndLong, help: "Write to this file (oms: default DIR/model.sig).")
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Option(help: "model-card: merge the front matter into this README in place, keeping its other keys and body.")
    var update: String?

    @Option(name: .shortAndLong, help: "oms: the ECDSA private key to sign the bundle with.")
    var key: [String] = []

    @OptionGroup(title: "Signing certificate (oms)") var certificate: CertificateOptions
    @OptionGroup(title: "Trusted keys (model-card)") var trust: TrustOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var hashing: HashingOptions
    @OptionGroup var report: JSONOption

    func validate() throws {
        if format == .oms, key.isEmpty { throw ValidationError("--format oms signs a bundle: give --key (ECDSA P-256, P-384 or P-521)") }
        if format == .oms, key.count > 1 { throw ValidationError("--format oms signs with one key; --key was given \(key.count) times") }
        if format != .oms, !key.isEmpty { throw ValidationError("--key is for --format oms") }
        if format != .oms, certificate.given { throw ValidationError("--signing-cert and --cert-chain are for --format oms") }
        if format != .modelCard, trust.given { throw ValidationError("--trusted-key and --trusted-keys are for --format model-card") }
        if update != nil, format != .modelCard { throw ValidationError("--update merges a model card's front matter: it goes with --format model-card") }
        if update != nil, output != nil { throw ValidationError("--update writes the README it names; --output would write elsewhere") }
        if report.json, format != .oms, output == nil, update == nil {
            throw ValidationError("--json reports on a written file: give --output FILE (or the document is the output)")
        }
    }

    func run() throws {
        if let update { return try updateReadme(update) }
        var request = ExportRequest(
            model: model, format: format, output: output,
            signingKey: try zip(key, passphrase.privateKeys(key)).map { ($0, $1) }.first,
            trustedKeys: try trust.loadIfGiven(), engine: hashing.engine)
        request.certificateChain = try certificate.load()
        request.manifest = manifest
        let progress = hashing.progress(json: report.json)
        let document: ExportDocument
        do {
            document = try ModelExporter.document(request, progress: progress.counter)
            progress.line.finish()
        } catch {
            progress.line.finish()
            throw error
        }
        guard let destination = document.destination else {
            Console.document(document.bytes)
            return
        }
        try ModelExporter.write(document, overwrite: force)
        if report.json {
            try Console.json(ExportReport(format: format.rawValue, manifest: document.manifest, output: destination, bytes: document.bytes.count))
        } else {
            Console.note("wrote \(destination)")
        }
    }

    /// Merges the manifest's front matter into the README at `path`, atomically; says that the
    /// README changed and so needs signing again.
    private func updateReadme(_ path: String) throws {
        let manifestPath = ModelChain.manifestFile(for: model)
        let chain = try loadChain(manifestPath)
        guard let predicate = chain.manifest.predicate else {
            throw CommandFailure("\(manifestPath): an OMS manifest records no license or lineage to put in a model card", status: .dataError)
        }
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: 16 << 20)
        } catch {
            throw CommandFailure("\(error.description)", status: error.exitStatus)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CommandFailure("\(path): not UTF-8; not changed", status: .dataError)
        }
        let merged: String
        do {
            merged = try ModelCard.updatedReadme(text, metadata: ModelCard.metadata(predicate))
        } catch {
            throw CommandFailure("\(path): \(error.description)", status: error.exitStatus)
        }
        let changed = merged != text
        if changed {
            do {
                try AtomicFile.write(Array(merged.utf8), to: path, overwrite: true)
            } catch {
                throw CommandFailure("\(error.description)", status: .cannotCreate)
            }
        }
        if report.json {
            try Console.json(ExportReport(format: format.rawValue, manifest: manifestPath, output: path, bytes: merged.utf8.count))
        } else if changed {
            Console.note("updated \(path): front matter merged (other keys and the text kept); it is a signed file, so sign the model again")
        } else {
            Console.note("\(path): front matter already says what the manifest says; not changed")
        }
    }
}
