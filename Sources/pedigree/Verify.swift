import ArgumentParser
import Foundation
import PedigreeKit

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a model folder against its signed manifest, file by file.",
        discussion: """
            Checks the manifest's structure, its signatures against the trusted keys, that \
            every name in it is a safe relative path, and that its subject digest matches its \
            files; then re-hashes the folder and reports each file as OK, MODIFIED, MISSING, \
            UNEXPECTED or UNREADABLE. Exits 0 only when everything holds. Without --manifest, \
            the folder's pedigree.json is used, or its model.sig when it has no pedigree.json.
            """
    )

    @Argument(help: "The model folder, or the file of a single-file model.")
    var folder: String

    @Option(name: .shortAndLong, help: "The manifest (default: DIR/pedigree.json, else DIR/model.sig; for a file FILE.pedigree.json, else FILE.sig).")
    var manifest: String?

    @OptionGroup(title: "Trusted keys") var trust: TrustOptions
    @OptionGroup(title: "Trusted certificate authorities (OMS certificate method)") var authorities: TrustedCAOptions

    @Option(help: "Verify only files matching this pattern (repeatable).")
    var only: [String] = []

    @Flag(help: "Fail unless every ancestor in the chain is signed by a trusted key.")
    var requireTrustedChain = false

    @Flag(help: "Follow links that stay inside the folder (a Hugging Face cache snapshot's links into blobs/ are followed without it).")
    var followSymlinks = false

    @Option(help: ArgumentHelp(
        "Leave this path out of the folder at verification time (repeatable); a signed file left out is MISSING.",
        discussion: "A pattern for a pedigree manifest, as sign --ignore takes; for an OMS bundle an exact relative path (OMS v1.0 §6.2.1)."))
    var ignore: [String] = []

    @Flag(help: "Do not fail for files the manifest does not list (OMS v1.0 §8.5); the report counts them.")
    var ignoreUnsignedFiles = false

    @OptionGroup var hashing: HashingOptions

    @Flag(help: "Take the digests of files unchanged since an earlier run from the digest cache; the report says how many.")
    var trustCache = false

    @Option(help: "A parent's folder: recompute the tensor evidence signed for it from its weights and this folder's (repeatable).")
    var evidence: [String] = []

    @OptionGroup var output: JSONOption

    func validate() throws {
        if !trust.given, authorities.trustedCA.isEmpty {
            throw ValidationError(
                "give the signer's public key with --trusted-key FILE, or a folder of keys with --trusted-keys DIR, "
                    + "or for a certificate-signed bundle its CA with --trusted-ca FILE")
        }
    }

    func run() throws {
        let keys = trust.given ? try trust.load() : []
        let anchors = try authorities.load()
        let singleFile = ModelFolder(path: folder, ignorePatterns: [], followSymlinks: false).isSingleFile
        guard singleFile || isFolder(folder) else {
            throw CommandFailure("\(folder): neither a folder nor a regular file", status: .noInput)
        }
        let (manifestPath, source) = manifestToVerify()
        if source == "model.sig" || source == "FILE.sig", !output.json {
            Console.note("\(folder) has no pedigree.json; verifying \(manifestPath) (an OpenSSF Model Signing bundle)")
        }
        var engine = hashing.engine
        let digestCache = trustCache ? openDigestCache(mode: .readWrite) : nil
        engine.memo = digestCache
        let verifier = ManifestVerifier(
            keys: keys, only: only.map(Glob.init), engine: engine, requireTrustedChain: requireTrustedChain,
            followSymlinks: followSymlinks, ignore: ignore, ignoreUnsignedFiles: ignoreUnsignedFiles, anchors: anchors,
            certificateTime: authorities.policyTime)
        let progress = hashing.progress(json: output.json)
        var report = verifier.verify(folder: folder, manifestPath: manifestPath, progress: progress.counter)
        progress.line.finish()
        report.recheckEvidence(folder: folder, manifestPath: manifestPath, parentFolders: evidence)
        if trustCache { report.reusedFromCache = digestCache.map(finishDigestCache) ?? 0 }
        if output.json {
            try VerifyReport.write(report, source: source)
        } else {
            printReport(report)
        }
        if !report.verified { throw Finished(status: .failure) }
    }

    /// The manifest to verify and where it came from: `given`, `pedigree.json` or `model.sig`.
    ///
    /// For a single-file model the manifest sits beside the file: `FILE.pedigree.json`, else
    /// `FILE.sig` (sources `FILE.pedigree.json` and `FILE.sig`).
    private func manifestToVerify() -> (path: String, source: String) {
        if let manifest { return (manifest, "given") }
        if !isFolder(folder) {
            let own = folder + ".pedigree.json"
            if FileManager.default.fileExists(atPath: own) || !FileManager.default.fileExists(atPath: folder + ".sig") {
                return (own, "FILE.pedigree.json")
            }
            return (folder + ".sig", "FILE.sig")
        }
        let found = ModelChain.manifestFile(for: folder)
        return lastComponent(found) == "model.sig" ? (found, "model.sig") : (joinPath(folder, "pedigree.json"), "pedigree.json")
    }

    private func printReport(_ report: VerificationReport) {
        if let model = report.model, let format = report.format {
            Console.out("manifest \(report.manifest): \(model) (\(format.rawValue)), root \(short(report.rootDigest ?? ""))…")
        }
        if let signer = report.certificateSigner {
            let names = signer.subjectAlternativeNames.joined(separator: ", ")
            let who = signer.subject.isEmpty ? names : (names.isEmpty ? signer.subject : "\(signer.subject) (\(names))")
            Console.out("certificate: \(who), issued by \(signer.issuer), chains to \(signer.anchor), valid \(signer.notBefore) to \(signer.notAfter)")
        }
        for signature in report.signatures {
            let keyid = signature.keyid.isEmpty ? "no key id" : short(signature.keyid) + "…"
            switch signature.status {
            case .trusted:
                Console.out("signature \(signature.index): trusted (\(signature.algorithm ?? "?"), \(signature.key ?? "?"))")
            case .unknownKey:
                Console.out("signature \(signature.index): by an unknown key (\(keyid)), not trusted")
            case .invalid:
                Console.out("signature \(signature.index): INVALID for \(signature.key ?? keyid)")
            case .unchecked:
                Console.out("signature \(signature.index): not checked (\(keyid))")
            }
        }
        for ancestor in report.ancestors {
            let signer = ancestor.signatures.first { $0.status != .unknownKey }
            let detail: TerminalText
            switch ancestor.trust {
            case .trusted: detail = "trusted (\(signer?.algorithm ?? "?"), \(signer?.key ?? "?"))"
            case .untrusted: detail = "untrusted: signed by an unknown key"
            case .invalid: detail = "INVALID signature for \(signer?.key ?? "a trusted key")"
            }
            let indent = String(repeating: "  ", count: max(0, ancestor.depth - 1))
            Console.out("\(indent)ancestor \(ancestor.name) (manifest \(short(ancestor.manifestDigest))…): \(detail)")
        }
        switch report.links {
        case .followedIntoHubCache?: Console.out("links: a Hugging Face cache snapshot; links into its blobs/ followed")
        case .followedWithinFolder?: Console.out("links: followed where they stay inside the folder")
        case .refused?, nil: break
        }
        if let supplied = report.suppliedDigests {
            Console.out("digests: \(supplied.summary)")
        }
        if let unsigned = report.unsignedIgnored, unsigned > 0 {
            Console.out("unsigned files (--ignore-unsigned-files): \(plural(unsigned, "file")) not in the manifest, not checked")
        }
        if let reused = report.reusedFromCache {
            Console.out("digest cache (--trust-cache): \(plural(reused, "file")) taken from the cache, not re-read")
        }
        if let checked = report.evidenceChecked {
            Console.out("evidence: \(checked) of \(plural(evidence.count, "parent")) recomputed from the weights, as signed")
        }
        if let tensors = report.tensorsChecked {
            Console.out("tensors: \(plural(tensors, "tensor")) re-read from the headers and re-digested")
        }
        for file in report.files {
            let detail: TerminalText = file.detail.map { " (\($0))" } ?? ""
            Console.out("\(file.name): \(file.status.rawValue)\(detail)")
        }
        for problem in report.problems {
            Console.error("\(problem)")
        }
        let subset: TerminalText = report.only.map { " matching \($0.joined(separator: ", ")) (of \(report.listed) in the manifest)" } ?? ""
        if report.verified {
            Console.out("verified: \(plural(report.files.count, "file")) OK\(subset), signed by a trusted key")
        } else {
            var parts: [String] = []
            for status in [FileStatusCode.modified, .missing, .unexpected, .unreadable] {
                let count = report.count(status)
                if count > 0 { parts.append("\(count) \(status.rawValue.lowercased())") }
            }
            let pointers = report.count(.lfsPointer)
            if pointers > 0 { parts.append(pointers == 1 ? "1 Git LFS pointer" : "\(pointers) Git LFS pointers") }
            if !report.problems.isEmpty {
                parts.insert(report.problems.count == 1 ? "1 problem with the manifest" : "\(report.problems.count) problems with the manifest", at: 0)
            }
            let checked: TerminalText = report.files.isEmpty ? "" : " (\(plural(report.files.count, "file"))\(subset))"
            Console.out("FAILED: \(parts.joined(separator: ", "))\(checked)")
            if report.problems.contains(where: { $0.contains("No such file or directory") }), manifest == nil, report.format == nil {
                Console.note("hint: the folder has neither pedigree.json nor model.sig; name the manifest with --manifest FILE")
            }
        }
    }
}
