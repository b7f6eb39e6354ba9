import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Hash a model folder and write its signed manifest (DIR/pedigree.json).",
        discussion: """
            The manifest is an in-toto Statement v1 in a DSSE envelope. It is written \
            atomically and never over an existing file without --force; model files are never \
            modified. Each --key signs the same payload: several keys give several signatures. \
            With --append, an existing manifest gets one more signature per key over the same \
            payload after the folder is checked against it, walked as the manifest says only \
            when a --trusted-key signed it or with --accept-manifest-serialization. \
            --trusted-key and --trusted-keys check the parents' signatures, or with --append \
            the manifest's.
            """
    )

    @Argument(help: "The model folder, or the file of a single-file model.")
    var folder: String

    @Option(name: .shortAndLong, help: "A private key to sign with (PEM; repeatable: each key signs).")
    var key: [String] = []

    @Option(name: .shortAndLong, help: "Where to write the manifest (default: DIR/pedigree.json; for a file, FILE.pedigree.json beside it).")
    var output: String?

    @Flag(help: "Replace an existing manifest.")
    var force = false

    @Flag(help: "Add signatures to the existing manifest instead of writing a new one.")
    var append = false

    @Flag(help: "With --append: check the folder with the manifest's own ignore patterns and link setting, though no trusted key signed it.")
    var acceptManifestSerialization = false

    @Option(help: "The model's name (default: the folder's name).")
    var name: String?

    @Option(help: "The model's version.")
    var modelVersion: String?

    @Option(help: "The license: an SPDX id, or 'openatom' for the OpenAtom Model License 1.0.")
    var license: String?

    @Option(help: "A notice of this publisher's to record (repeatable).")
    var attribution: [String] = []

    @Option(help: "A file of notices, one per paragraph, to record as this publisher's (repeatable).")
    var noticeFile: [String] = []

    @Option(help: "A file with additional terms for this publisher's modifications.")
    var additionalTermsFile: String?

    @Option(help: "How the model is distributed: files or hosted.")
    var distribution: Distribution = .files

    @Option(help: "A path pattern to leave out, relative to the folder (repeatable).")
    var ignore: [String] = []

    @Option(help: "GLOB=ROLE: give matching files this role (repeatable).")
    var role: [RoleOverride] = []

    @Flag(help: "Follow links that stay inside the folder (or a Hugging Face cache's blobs).")
    var followSymlinks = false

    @Flag(help: "For a derivative: write NOTICE and MODIFICATIONS.md into the folder first, then sign them with the rest.")
    var writeNotices = false

    @Flag(inversion: .prefixedNo, help: "Record every tensor of the safetensors and GGUF files (name, dtype, shape, byte range, sha256), digested in the same read as the files (default: off).")
    var tensors = false

    @Flag(help: "Sign a relation the parents' weights contradict (recorded as contradicted).")
    var forceRelation = false

    @Flag(help: "Do not compare the weights with the parents' (no evidence is signed).")
    var noEvidence = false

    @OptionGroup(title: "Deriving from parents") var derivation: DerivationOptions
    @OptionGroup(title: "Trusted keys (for the parents, or with --append the manifest's signer)") var trust: TrustOptions
    @OptionGroup var hashing: HashingOptions
    @OptionGroup(title: "Reusing digests") var cache: CacheOptions
    @OptionGroup(title: "Signing from digests computed elsewhere") var supplied: DigestOptions
    @OptionGroup(title: "Signing certificate (the first --key's)") var certificate: CertificateOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var report: JSONOption

    /// For a single-file model the manifest goes beside the file, `FILE.pedigree.json`.
    var manifestPath: String { output ?? (isSingleFile ? folder + ".pedigree.json" : joinPath(folder, "pedigree.json")) }

    /// Whether the model is one regular file (OMS v1.0 §6.1 item 1).
    var isSingleFile: Bool { ModelFolder(path: folder, ignorePatterns: [], followSymlinks: false).isSingleFile }

    func validate() throws {
        if key.isEmpty { throw ValidationError("give the private key to sign with: --key FILE") }
        if key.count > Limits.signaturesPerEnvelope {
            throw ValidationError("at most \(Limits.signaturesPerEnvelope) signatures fit in a manifest; --key was given \(key.count) times")
        }
        if append, force { throw ValidationError("--append adds to a manifest; --force would replace it") }
        if append, !derivation.parent.isEmpty || !derivation.teacher.isEmpty || derivation.spec != nil {
            throw ValidationError("--append countersigns an existing manifest; it takes no parents")
        }
        if acceptManifestSerialization, !append {
            throw ValidationError("--accept-manifest-serialization goes with --append")
        }
        if append, supplied.isEnabled { throw ValidationError("--append checks the folder itself; it takes no --digests") }
        if writeNotices, append { throw ValidationError("--write-notices writes a derivative's notices before signing it; --append signs an existing manifest") }
        if writeNotices, supplied.isEnabled {
            throw ValidationError("--write-notices writes files into the folder; --digests signs digests computed before they existed")
        }
        if tensors, supplied.isEnabled { throw ValidationError("--tensors reads the weights files; --digests signs without reading them") }
        if tensors, append { throw ValidationError("--append countersigns the manifest as it is; it takes no --tensors") }
        if supplied.noFolder, output == nil { throw ValidationError("--no-folder needs --output: there is no folder to write into") }
    }

    func run() throws {
        // A sign makes and drops lists the size of the folder's file list: reuse their memory.
        Allocator.keepLargeBlocks()
        guard supplied.noFolder || isFolder(folder) || isSingleFile else {
            throw CommandFailure("\(folder): neither a folder nor a regular file", status: .noInput)
        }
        let privateKeys = try passphrase.privateKeys(key)
        var seen: [String: String] = [:]
        for (path, privateKey) in zip(key, privateKeys) {
            let id = try privateKey.publicKey.keyID
            if let first = seen[id] {
                throw CommandFailure("\(path) and \(first) are the same key (\(short(id))…); each key signs once", status: .usage)
            }
            seen[id] = path
        }
        if append {
            try appendSignatures(privateKeys)
        } else {
            try signAnew(privateKeys)
        }
    }

    private func signAnew(_ privateKeys: [PrivateKey]) throws {
        if !force, FileManager.default.fileExists(atPath: manifestPath) {
            throw CommandFailure("\(manifestPath): already exists; not overwritten (use --force to replace it)", status: .cannotCreate)
        }
        let derivative = try derivation.resolve(trust: trust)
        if writeNotices, derivative.request == nil {
            throw CommandFailure("--write-notices writes the notices of a derivative: give --parent (or --spec)", status: .usage)
        }
        var notices = attribution.map { Notice(kind: .attribution, text: $0) }
        for file in noticeFile {
            notices += NoticeText.parse(try readText(file))
        }
        // What no option gives, the README's Hugging Face front matter may: said on stderr.
        let declared = supplied.noFolder ? nil : ModelCard.declared(folder: folder)
        if license == nil, let declared, let written = declared.licenseAsWritten, declared.license == nil, !report.json {
            Console.note("README.md's front matter says \(written), a license pedigree does not know; give --license to record it")
        }
        var references: [UnverifiedReference] = []
        if derivative.request == nil, let declared, !declared.baseModels.isEmpty {
            references = declared.references
            if !report.json {
                for reference in references {
                    Console.note("base model \(reference.name): named in README.md's front matter (base_model); recorded as an unverified reference, not a parent (give --parent with its signed manifest to link it)")
                }
            }
        }
        var request = SignRequest(
            folder: folder, name: name ?? derivative.name, version: modelVersion ?? derivative.version, license: license,
            notices: notices, additionalTerms: try additionalTermsFile.map(readText), distribution: distribution,
            ignore: ignore, roles: RoleClassifier(overrides: role.map { ($0.glob, $0.role) }),
            followSymlinks: followSymlinks, createdAt: try createdAt())
        if license == nil { request.declaredLicense = declared?.license }
        // Order with --write-notices: the notices are written first (both or neither), the
        // folder is then hashed with them and the manifest signed and written; if anything
        // after the notices fails, they are put back as they were, so a failed run leaves the
        // folder as it found it.
        let before = writeNotices ? NoticeFilesSnapshot(folder: folder) : nil
        do {
            try signAnew(privateKeys, request: request, derivative: derivative, references: references)
        } catch {
            before?.restore()
            throw error
        }
    }

    private func signAnew(
        _ privateKeys: [PrivateKey], request: SignRequest, derivative: (request: DerivationRequest?, name: String?, version: String?),
        references: [UnverifiedReference]
    ) throws {
        // The certificate is checked against the key before anything is read or written.
        var certified: CertificateSigningKey?
        if let chain = try certificate.load() {
            do {
                certified = try CertificateSigningKey(privateKey: privateKeys[0], chain: chain)
            } catch {
                throw CommandFailure("\(key[0]): \(error.description)", status: .dataError)
            }
        }
        var request = request
        request.tensors = tensors
        // Parents are read (manifests only) before hashing: whether their tensors are at hand
        // decides whether this read also digests the tensors, for evidence.
        var parents: [LoadedParent] = []
        if let derivationRequest = derivative.request {
            parents = try Deriver.loadParents(derivationRequest)
            if !report.json { reportParents(parents, keysGiven: !derivationRequest.trustedKeys.isEmpty) }
        }
        let wantsEvidence = !noEvidence && !supplied.isEnabled && ParentEvidence.available(parents)
            && derivative.request.map { ParentEvidence.isShownByWeights($0.relation) } == true
        request.tensorsIfReadable = wantsEvidence
        var engine = hashing.engine
        let digestCache = supplied.isEnabled ? nil : cache.open()
        engine.memo = digestCache
        var written: NoticesResult?
        if writeNotices, let derivationRequest = derivative.request {
            let progress = hashing.progress(json: report.json)
            defer { progress.line.finish() }
            written = try NoticeWriter(engine: engine).write(
                NoticesRequest(model: request, derivation: derivationRequest, force: force), progress: progress.counter)
        }
        let signer = ModelSigner(engine: engine)
        let progress = hashing.progress(json: report.json)
        var predicate: ModelPredicate
        var childTensors: (inventory: TensorInventory?, error: TensorFileError?) = (nil, nil)
        do {
            defer { progress.line.finish() }
            let extra = supplied.noFolder ? [] : relativeInside(manifestPath).map { [Glob.escape($0)] } ?? []
            if supplied.isEnabled {
                predicate = try supplied.describe(signer, request, extraIgnores: extra, progress: progress.counter)
            } else {
                let described = try signer.describeWithTensors(request, extraIgnores: extra, progress: progress.counter)
                predicate = described.predicate
                childTensors = (described.tensors, described.tensorError)
            }
        }
        let reused = digestCache.map(finishDigestCache)
        var ancestors: [AncestorEntry] = []
        var evidence: [TensorEvidence?] = []
        if let derivationRequest = derivative.request {
            if let written, !report.json {
                Console.note("wrote \(written.noticePath) (\(plural(written.noticeCount, "notice")))")
                Console.note("wrote \(written.modificationsPath) (\(plural(written.modifiedFileCount, "modified or added file")))")
            }
            ancestors = try Deriver.apply(derivationRequest, parents: parents, to: &predicate)
            if wantsEvidence {
                let assessed = try ParentEvidence.assess(
                    relation: derivationRequest.relation, parents: parents, child: childTensors.inventory,
                    childError: childTensors.error, childFolder: folder)
                evidence = assessed.evidence
                for note in assessed.notComputed { Console.note("\(note)") }
                try ParentEvidence.attach(evidence, to: &predicate, force: forceRelation)
            }
        }
        predicate.unverifiedReferences = references
        if predicate.licenseFromDeclaration, let license = predicate.license, !report.json {
            Console.note("license \(license.id): from README.md's front matter (no --license, and no license file names one)")
        }
        var result = try signer.sign(predicate, key: privateKeys[0], ancestors: ancestors)
        if let certified {
            // The chain travels in the bundle as OMS's certificate method carries it (§4.1).
            result.bundle.verificationMaterial = VerificationMaterial(certificateChain: certified.chain.certificates.map { (certificate: Certificate) in certificate.derEncoded })
        }
        // Every further key signs the same payload.
        for privateKey in privateKeys.dropFirst() {
            try result.bundle.dsseEnvelope.addSignature(key: privateKey)
        }
        // What `check` would fail, found before the manifest is written; warned, not refused.
        let preflight = derivative.request == nil || supplied.noFolder
            ? [] : ObligationChecker().preflight(folder: folder, bundle: result.bundle)
        try ManifestFile.write(result.bundle, to: manifestPath, overwrite: force, tensorCount: result.predicate.tensors?.count ?? 0)
        let added = try zip(privateKeys, result.bundle.dsseEnvelope.signatures.indices).map { privateKey, index in
            SignReport.Signature(index: index + 1, keyid: try privateKey.publicKey.keyID, algorithm: privateKey.algorithm.displayName)
        }
        let predicateSigned = result.predicate
        if report.json {
            try Console.json(SignReport(
                mode: "sign", manifest: manifestPath, model: predicateSigned.model.name, rootDigest: result.rootDigest.hex,
                manifestDigest: result.manifestDigest.hex, fileCount: predicateSigned.resources.count, bytes: result.totalBytes,
                license: predicateSigned.license?.id, signatures: added, signatureCount: result.bundle.dsseEnvelope.signatures.count,
                parents: parentRows(parents, evidence: evidence), reusedFromCache: reused, suppliedDigests: predicateSigned.suppliedDigests,
                noticesWritten: written.map { [$0.noticePath, $0.modificationsPath] }, checkWouldFail: preflight,
                tensorCount: predicateSigned.tensors?.count))
            return
        }
        defer { reportPreflight(preflight) }
        Console.out("signed \(predicateSigned.model.name): \(plural(predicateSigned.resources.count, "file")), \(formatBytes(result.totalBytes))")
        if let reused {
            Console.out("  digest cache    \(reused) of \(plural(predicateSigned.resources.count, "file")) reused, the rest read")
        }
        if let supplied = predicateSigned.suppliedDigests {
            Console.out("  digests         \(supplied.summary)")
        }
        if let table = predicateSigned.tensors {
            Console.out("  tensors         \(plural(table.count, "tensor")) in \(plural(Set(table.map(\.file)).count, "weights file")), each digested")
        }
        Console.out("  root digest     \(result.rootDigest.hex)")
        Console.out("  manifest digest \(result.manifestDigest.hex)")
        for signature in added { Console.out("  key             \(signature.algorithm) \(signature.keyid)") }
        if let license = predicateSigned.license {
            let files = license.files.map(\.name.string).joined(separator: ", ")
            Console.out("  license         \(license.id)\(files.isEmpty ? "" : " (\(files))")")
        }
        if let lineage = predicateSigned.lineage {
            for (parent, changes) in zip(lineage.parents, lineage.changes) {
                var parts = ["\(changes.unchanged.count) unchanged"]
                if !changes.modified.isEmpty { parts.append("\(changes.modified.count) modified") }
                if !changes.added.isEmpty { parts.append("\(changes.added.count) added") }
                if !changes.removed.isEmpty { parts.append("\(changes.removed.count) removed") }
                if !changes.renamed.isEmpty { parts.append("\(changes.renamed.count) renamed") }
                let role: TerminalText = parent.role == .base ? "" : " (\(parent.role.rawValue))"
                Console.out("  \(parent.relation.rawValue) of \(parent.name)\(role): \(parts.joined(separator: ", "))")
                if let found = parent.evidence {
                    let forced: TerminalText = found.grade == .contradicted ? " (signed with --force-relation)" : ""
                    Console.out("  evidence        \(found.grade.rawValue)\(forced): \(found.reasons.first ?? "")")
                }
            }
            let notices = predicateSigned.notices
            Console.out("  notices         \(notices.retained.count) retained, \(notices.added.count) added, \(notices.dropped.count) dropped")
        }
        Console.out("wrote \(manifestPath)")
    }

    /// Names each condition `check` would fail and what fixes it, on standard error.
    private func reportPreflight(_ findings: [PreflightFinding]) {
        for finding in findings {
            Console.warning("pedigree check would fail \(finding.clause) \(finding.title):")
            for problem in finding.problems { Console.note("  - \(problem)") }
            Console.note("  fix: \(finding.fix)")
        }
    }

    private func appendSignatures(_ privateKeys: [PrivateKey]) throws {
        // A countersignature vouches for the files: the service checks them (walked as the
        // manifest says only when a trusted key signed it, or when told to) before signing.
        guard let keys = NonEmptyArray(privateKeys) else { throw ValidationError("give the private key to sign with: --key FILE") }
        let progress = hashing.progress(json: report.json)
        let result: CountersignResult
        do {
            defer { progress.line.finish() }
            result = try Countersigner.countersign(
                folder: folder, manifestPath: manifestPath, keys: keys, trustedKeys: try trust.load(),
                acceptManifestSerialization: acceptManifestSerialization, engine: hashing.engine, progress: progress.counter)
        }
        try ManifestFile.write(result.bundle, to: manifestPath, overwrite: true)
        let added = zip(privateKeys, result.signatures).map { privateKey, signature in
            SignReport.Signature(index: signature.index, keyid: signature.keyID, algorithm: privateKey.algorithm.displayName)
        }
        let check = result.check
        let manifest = check.manifest
        if report.json {
            try Console.json(SignReport(
                mode: "append", manifest: manifestPath, model: manifest.name, rootDigest: manifest.rootDigest.hex,
                manifestDigest: manifest.manifestDigest.hex, fileCount: manifest.entries.count, bytes: nil, license: manifest.predicate?.license?.id,
                signatures: added, signatureCount: result.bundle.dsseEnvelope.signatures.count, parents: [], reusedFromCache: nil,
                suppliedDigests: nil, noticesWritten: nil, checkWouldFail: [], tensorCount: nil))
            return
        }
        let numbers = added.map { String($0.index) }.joined(separator: ", ")
        Console.out("countersigned \(manifest.name): \(plural(check.filesChecked, "file")) checked, signature\(added.count == 1 ? "" : "s") \(numbers) added")
        for signature in added { Console.out("  key             \(signature.algorithm) \(signature.keyid)") }
        if !check.manifestPatterns.isEmpty || check.followedLinks {
            let how: TerminalText = check.signerTrusted ? "its signer is trusted" : "accepted with --accept-manifest-serialization"
            var what: [TerminalText] = []
            if !check.manifestPatterns.isEmpty {
                what.append("leaving out " + check.manifestPatterns.map { "'\($0)'" as TerminalText }.joined(separator: ", "))
            }
            if check.followedLinks { what.append("following links") }
            Console.out("  walked as       the manifest says (" + how + "): " + what.joined(separator: ", "))
        }
        Console.out("wrote \(manifestPath)")
    }

    /// The manifest's path relative to the folder when it is written inside it (and is not
    /// the default name, which is always left out).
    private func relativeInside(_ path: String) -> String? {
        guard let relative = relativePath(of: path, inside: folder), relative != "pedigree.json" else { return nil }
        return relative
    }
}
