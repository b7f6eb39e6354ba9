import PedigreeCrypto

/// The formats `pedigree export` writes.
public enum ExportFormat: String, CaseIterable, Sendable {
    case oms, cyclonedx, spdx, slsa
    case modelCard = "model-card"
}

/// What to export, from where, and with what.
public struct ExportRequest: Sendable {
    /// A model folder, or (except for OMS) a manifest file.
    public var model: String
    public var format: ExportFormat
    /// The file to write; `nil` prints the document, except for OMS (`DIR/model.sig`, or
    /// `FILE.sig` beside a single-file model).
    public var output: String?
    /// OMS: the ECDSA key that signs the bundle, and the file it came from (for messages).
    public var signingKey: (path: String, key: PrivateKey)?
    /// Model card: keys to show trust in the lineage with.
    public var trustedKeys: [TrustedKey]?
    public var engine: HashEngine
    /// OMS certificate method (§4.1): the signing certificate and its chain, leaf first, for
    /// `signingKey`; the bundle then carries `x509CertificateChain` instead of a key hint.
    public var certificateChain: CertificateChain?
    /// The signed manifest to export, when it is not the model's own (`DIR/pedigree.json`,
    /// `FILE.pedigree.json`): `export --manifest`.
    public var manifest: String?

    public init(
        model: String, format: ExportFormat, output: String? = nil, signingKey: (path: String, key: PrivateKey)? = nil,
        trustedKeys: [TrustedKey]? = nil, engine: HashEngine = HashEngine()
    ) {
        self.model = model
        self.format = format
        self.output = output
        self.signingKey = signingKey
        self.trustedKeys = trustedKeys
        self.engine = engine
    }
}

/// A document made from a manifest, and where it goes.
public struct ExportDocument: Sendable {
    public var format: ExportFormat
    /// The manifest it was made from.
    public var manifest: String
    public var bytes: [UInt8]
    /// The file to write it to; `nil` for standard output.
    public var destination: String?
}

/// Why an export could not be made or written.
public enum ExportFailure: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding, MultilineDiagnostic {
    /// The manifest cannot be read.
    case manifest(path: String, ManifestError)
    /// OMS needs the folder, to check its files.
    case notAFolder(String)
    /// OMS key signing is ECDSA only: the key file and its algorithm.
    case keyNotECDSA(key: String, algorithm: String)
    /// The folder's files are no longer the signed ones: nothing is signed anew.
    case folderDiffers(folder: String, FolderMismatch)
    /// The folder could not be listed for the bundle's ignore paths.
    case folder(FileError)
    /// The format could not represent the manifest.
    case document(String)
    /// The output could not be written (it exists without `--force`, or the write failed).
    case write(FileError)

    public var description: String {
        switch self {
        case let .manifest(path, error): return "\(printable(path)): \(error)"
        case let .notAFolder(path): return "\(printable(path)): --format oms needs the model folder (or the file of a single-file model), to check its files"
        case let .keyNotECDSA(key, algorithm):
            return "\(printable(key)): OMS key signing uses ECDSA (P-256, P-384 or P-521), as the OMS algorithm registry lists; this key is \(algorithm) "
                + "(make one with 'pedigree keygen --algorithm ecdsa-p256')"
        case let .folderDiffers(folder, mismatch):
            return "\(printable(folder)): the folder does not match its manifest; not exported:\n"
                + mismatch.lines.map { "  \($0)" }.joined(separator: "\n")
        case let .folder(error): return error.description
        case let .document(message): return message
        case let .write(error): return error.description
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case let .manifest(_, error): return error.exitStatus
        case .notAFolder: return .noInput
        case .keyNotECDSA, .document: return .dataError
        case .folderDiffers: return .failure
        case let .folder(error): return error.exitStatus
        case .write: return .cannotCreate
        }
    }
}

/// How a folder differs from its manifest, as an exporter sees it: the manifest's own problems
/// (signatures not judged) and every file that is not OK.
public struct FolderMismatch: Equatable, Sendable {
    public var problems: [String]
    public var files: [FileVerdict]

    public var isEmpty: Bool { problems.isEmpty && files.isEmpty }

    /// One line each: the problems, then `name: STATUS` (names escaped).
    public var lines: [String] { problems + files.map { "\(printable($0.name)): \($0.status.rawValue)" } }

    /// Checks `folder` against `bundle` (read from `manifestPath`), with the manifest's own
    /// ignore patterns and link setting: whoever signs next vouches for them. Signatures are not
    /// judged. The bundle checked is the one the caller goes on to use: the file is not read again.
    public static func check(
        folder: String, bundle: ManifestBundle, manifestPath: String, engine: HashEngine, progress: ByteCounter? = nil
    ) -> FolderMismatch {
        let verifier = ManifestVerifier(keys: [], engine: engine, acceptUntrustedSerialization: true)
        let report = verifier.verify(folder: folder, bundle: bundle, manifestPath: manifestPath, progress: progress)
        return FolderMismatch(
            problems: report.findings.filter { $0.kind != .untrusted }.map(\.message),
            files: report.files.filter { $0.status != .ok })
    }
}

/// Makes the documents `pedigree export` writes from a signed manifest.
public enum ModelExporter {
    /// Reads the manifest the request names and makes the document; for OMS, first checks the
    /// folder against the manifest (an export is a new signature over the files).
    public static func document(_ request: ExportRequest, progress: ByteCounter? = nil) throws(ExportFailure) -> ExportDocument {
        // A single-file model (OMS v1.0 §6.1 item 1) keeps its manifest and bundle beside it.
        let singleFile = request.format == .oms && ModelFolder(path: request.model, ignorePatterns: [], followSymlinks: false).isSingleFile
        let path = request.manifest ?? (singleFile ? request.model + ".pedigree.json" : ModelChain.manifestFile(for: request.model))
        let chain: ModelChain
        do {
            chain = try ModelChain.load(path)
        } catch {
            throw .manifest(path: path, error)
        }
        var destination = request.output
        let bytes: [UInt8]
        switch request.format {
        case .oms:
            let target = request.output ?? (singleFile ? request.model + ".sig" : joinPath(request.model, "model.sig"))
            destination = target
            bytes = try omsBundle(request, chain: chain, manifestPath: path, destination: target, progress: progress)
        case .modelCard:
            do {
                bytes = Array(try ModelCard.render(chain, keys: request.trustedKeys).utf8)
            } catch {
                throw .document(error.description)
            }
        case .cyclonedx, .spdx, .slsa:
            do {
                switch request.format {
                case .cyclonedx: bytes = try CycloneDXExport.document(chain)
                case .spdx: bytes = try SPDXExport.document(chain)
                default: bytes = try SLSAExport.statement(chain)
                }
            } catch {
                throw .document("\(error)")
            }
        }
        return ExportDocument(format: request.format, manifest: path, bytes: bytes, destination: destination)
    }

    /// Writes `document` to its destination atomically.
    ///
    /// - Throws: `.write` when the file exists and `overwrite` is false, or the write fails.
    public static func write(_ document: ExportDocument, overwrite: Bool) throws(ExportFailure) {
        guard let destination = document.destination else { return }
        do {
            try AtomicFile.write(document.bytes, to: destination, overwrite: overwrite)
        } catch {
            throw .write(error)
        }
    }

    private static func omsBundle(
        _ request: ExportRequest, chain: ModelChain, manifestPath: String, destination: String, progress: ByteCounter?
    ) throws(ExportFailure) -> [UInt8] {
        guard isFolder(request.model) || ModelFolder(path: request.model, ignorePatterns: [], followSymlinks: false).isSingleFile else {
            throw .notAFolder(request.model)
        }
        guard let (keyPath, key) = request.signingKey else {
            throw .document("--format oms signs a bundle: give --key (ECDSA P-256, P-384 or P-521)")
        }
        guard key.algorithm.isECDSA else { throw .keyNotECDSA(key: keyPath, algorithm: key.algorithm.displayName) }
        var certified: CertificateSigningKey?
        if let chain = request.certificateChain {
            do {
                certified = try CertificateSigningKey(privateKey: key, chain: chain)
            } catch {
                throw .document("\(printable(keyPath)): \(error)")
            }
        }
        let mismatch = FolderMismatch.check(
            folder: request.model, bundle: chain.bundle, manifestPath: manifestPath, engine: request.engine, progress: progress)
        guard mismatch.isEmpty else { throw .folderDiffers(folder: request.model, mismatch) }
        var ignore: [String]
        do {
            ignore = try OMSExport.ignorePaths(folder: request.model, manifest: chain.manifest)
        } catch {
            throw .folder(error)
        }
        if let inside = relativePath(of: destination, inside: request.model), !ignore.contains(inside) { ignore.append(inside) }
        do {
            return try OMSExport.bundle(chain.manifest, key: key, ignorePaths: ignore, certificate: certified, folder: request.model).encodedCompact()
        } catch {
            throw .document("\(error)")
        }
    }
}
