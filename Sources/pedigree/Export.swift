import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a signed manifest in another format.",
        discussion: """
            oms: an OpenSSF Model Signing bundle (Sigstore bundle v0.3) that 'model_signing \
            verify key' accepts, signed with --key (ECDSA P-256 or P-384) after the folder is \
            checked against the manifest; written to DIR/model.sig unless --output is given.
            cyclonedx: a CycloneDX 1.6 ML-BOM. spdx: SPDX 3.0.1 JSON-LD. slsa: the derivation \
            as an unsigned in-toto Statement with SLSA Provenance v1. model-card: Hugging Face \
            front matter and a provenance section. All but oms print to standard output unless \
            --output is given.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case oms, cyclonedx, spdx, slsa
        case modelCard = "model-card"
    }

    @Argument(help: "A model folder (or, except for oms, a manifest file).")
    var model: String

    @Option(name: .shortAndLong, help: "The format.")
    var format: Format

    @Option(name: .shortAndLong, help: "Write to this file (oms: default DIR/model.sig).")
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Option(name: .shortAndLong, help: "oms: the ECDSA private key to sign the bundle with.")
    var key: String?

    @Option(help: "model-card: a trusted public key, to show trust in the lineage (repeatable).")
    var trustedKey: [String] = []

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var hashing: HashingOptions

    func validate() throws {
        if format == .oms, key == nil { throw ValidationError("--format oms signs a bundle: give --key (ECDSA P-256 or P-384)") }
        if format != .oms, key != nil { throw ValidationError("--key is for --format oms") }
    }

    func run() throws {
        let path = ModelChain.manifestFile(for: model)
        let chain = try loadChain(path)
        let bytes: [UInt8]
        do {
            switch format {
            case .oms: bytes = try omsBundle(chain, manifestPath: path)
            case .cyclonedx: bytes = try CycloneDXExport.document(chain)
            case .spdx: bytes = try SPDXExport.document(chain)
            case .slsa: bytes = try SLSAExport.statement(chain)
            case .modelCard:
                let keys = trustedKey.isEmpty ? nil : try loadTrustedKeys(files: trustedKey, folder: nil)
                bytes = Array(Console.safe(ModelCard.render(chain, keys: keys)).utf8)
            }
        } catch let error as ExportError {
            throw fail(error.description, code: Exit.dataError)
        }
        let destination = output ?? (format == .oms ? joinPath(model, "model.sig") : nil)
        guard let destination else {
            Console.raw(String(decoding: bytes, as: UTF8.self), toStandardOutput: true)
            return
        }
        do {
            try AtomicFile.write(bytes, to: destination, overwrite: force)
        } catch {
            throw fail(error.description, code: Exit.cannotCreate)
        }
        Console.note("wrote \(destination)")
    }

    /// Checks the folder against its manifest, then signs an OMS bundle of it.
    private func omsBundle(_ chain: ModelChain, manifestPath: String) throws -> [UInt8] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isFolder), isFolder.boolValue else {
            throw fail("\(model): --format oms needs the model folder, to check its files", code: Exit.noInput)
        }
        let privateKey: PrivateKey
        do {
            privateKey = try KeyFiles.privateKey(key!, passphrase: try passphrase.passphrase())
        } catch let error as KeyFileError {
            throw fail(error.description, code: error.isUnreadable ? Exit.noInput : Exit.dataError)
        }
        guard privateKey.algorithm.isECDSA else {
            throw ExportError("\(key!): OMS key signing uses ECDSA (P-256 or P-384), as model_signing does; this key is "
                              + "\(privateKey.algorithm.displayName) (make one with 'pedigree keygen --algorithm ecdsa-p256')")
        }
        // An export is a new signature over the files: they must still be the signed ones. The
        // folder is walked as the manifest says, as before (it is the exporter's own manifest).
        do {
            _ = try Countersigner.checkFolder(
                folder: model, manifestPath: manifestPath, trustedKeys: [], acceptManifestSerialization: true,
                engine: hashing.engine)
        } catch {
            guard case .folderDiffers(_, let differences) = error else { throw fail(error.description, code: error.exitStatus.rawValue) }
            throw fail("\(model): the folder does not match its manifest; not exported:\n"
                       + differences.map { "  \($0)" }.joined(separator: "\n"), code: 1)
        }
        var ignore: [String]
        do {
            ignore = try OMSExport.ignorePaths(folder: model, manifest: chain.manifest)
        } catch {
            throw fail(error.description, code: inputStatus(error))
        }
        let destination = output ?? joinPath(model, "model.sig")
        if let inside = relativePath(of: destination, inside: model), !ignore.contains(inside) { ignore.append(inside) }
        return try OMSExport.bundle(chain.manifest, key: privateKey, ignorePaths: ignore).encodedCompact()
    }
}
