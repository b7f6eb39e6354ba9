import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
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
        if report.json, format != .oms, output == nil {
            throw ValidationError("--json reports on a written file: give --output FILE (or the document is the output)")
        }
    }

    func run() throws {
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
}
