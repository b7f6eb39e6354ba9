import PedigreeCrypto

/// Which tool's predicate a manifest carries.
public enum ManifestFormat: String, Codable, CaseIterable, Sendable {
    /// pedigree's own predicate.
    case pedigree
    /// An OpenSSF Model Signing v1.0 signature, as `model_signing` writes it.
    case oms
}

/// One file as a manifest lists it.
public struct ManifestEntry: Equatable, Sendable {
    public var name: ResourceName
    public var digest: SHA256Digest
    /// The size, when the manifest records it (OMS does not).
    public var size: Int64?
    /// The role, when the manifest records it (OMS does not).
    public var role: Role?

    public init(name: ResourceName, digest: SHA256Digest, size: Int64?, role: Role?) {
        self.name = name
        self.digest = digest
        self.size = size
        self.role = role
    }
}

/// An envelope whose payload has been decoded into a Statement about a model.
///
/// Constructing one decodes the Statement once (`StatementCodec`): payload type, Statement
/// type, one subject with a SHA-256 digest, a known predicate, every field into its domain
/// type, every resource name a safe relative path. Whether the signatures hold and whether
/// the subject matches the files are separate questions (`contradictions`,
/// `Envelope.checkSignatures`).
public struct SignedManifest: Sendable {
    public let envelope: Envelope
    /// The Statement bytes that were signed.
    public var payload: [UInt8] { envelope.payload }
    /// sha256 of `payload`: the name a descendant uses for this manifest.
    public let manifestDigest: SHA256Digest
    public let format: ManifestFormat
    /// The subject's name: the model's name.
    public let name: String
    /// The subject's sha256: the OMS root digest over the files.
    public let rootDigest: SHA256Digest
    public let entries: [ManifestEntry]
    public let serialization: Serialization
    /// pedigree's predicate; `nil` for an OMS manifest.
    public let predicate: ModelPredicate?

    /// The most signatures an envelope may carry.
    public static let signatureLimit = Limits.signaturesPerEnvelope

    /// Decodes the Statement `envelope` carries.
    public init(envelope: Envelope) throws(ManifestError) {
        guard envelope.payloadType == MediaTypes.inToto else { throw .wrongPayloadType(envelope.payloadType) }
        let statement = try StatementCodec.decode(envelope.payload)
        self.envelope = envelope
        manifestDigest = SHA256.hash(envelope.payload)
        format = statement.format
        name = statement.name
        rootDigest = statement.rootDigest
        entries = statement.entries
        serialization = statement.serialization
        predicate = statement.predicate
    }

    /// Everything wrong with the manifest's own content, without looking at any file (names
    /// are safe by construction): names listed twice, a subject digest that does not match.
    public func consistencyProblems() -> [String] { contradictions() }

    /// Names listed twice and a subject digest that does not match the resources, taken in the
    /// order the manifest lists them (model_signing hashes its resources as listed; OMS v1.0
    /// §6.5.1 assumes they are sorted, and the two sorts disagree on `a-b` and `a/x`).
    public func contradictions() -> [String] {
        var problems: [String] = []
        var seen = Set<ResourceName>()
        for (index, entry) in entries.enumerated() where !seen.insert(entry.name).inserted {
            problems.append("resource \(index + 1): name '\(printable(entry.name.string))' is listed twice")
        }
        // Over the resources in the order listed: what the signer committed to (DESIGN.md).
        let recomputed = RootDigest.compute(inListedOrder: entries.map { ($0.name.string, $0.digest) })
        if recomputed != rootDigest {
            problems.append(
                "the subject digest \(rootDigest.hex.prefix(12))… does not match the resources "
                    + "(they give \(recomputed.hex.prefix(12))…)")
        }
        if let tensors = predicate?.tensors {
            var sizes: [String: Int64?] = [:]
            for entry in entries where sizes[entry.name.string] == nil { sizes[entry.name.string] = entry.size }
            for (index, row) in tensors.enumerated() {
                let which = "tensor \(index + 1) ('\(printable(row.name))')"
                guard let size = sizes[row.file] else {
                    problems.append("\(which): its file '\(printable(row.file))' is not a resource of the manifest")
                    continue
                }
                if let size, row.byteRange.upperBound > size {
                    problems.append("\(which): its bytes end at \(row.byteRange.upperBound), past the end of '\(printable(row.file))' (\(size) bytes)")
                }
            }
        }
        return problems
    }
}

/// A name shown in a message: control characters escaped so a hostile name cannot rewrite
/// the terminal.
public func printable(_ name: String) -> String {
    var out = ""
    for scalar in name.unicodeScalars {
        if scalar.value < 0x20 || scalar.value == 0x7f {
            let hex = String(scalar.value, radix: 16)
            out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// The OMS root digest: what the OpenSSF Model Signing reference names a model by.
public enum RootDigest {
    /// SHA-256 over the raw 32-byte file digests, concatenated in `RelativePath.precedes`
    /// order (path components compared one by one), the order `model_signing` 1.1 lists and
    /// hashes its resources in and the order pedigree writes.
    public static func compute(_ files: [(name: String, digest: SHA256Digest)]) -> SHA256Digest {
        compute(inListedOrder: files.sorted(by: { RelativePath.precedes($0.name, $1.name) }))
    }

    /// `compute` over `resources`, without a copy of the list: in the order given when it is
    /// already sorted (as the walk lists a folder), else through a sorted list of indices.
    ///
    /// The digests reach the hasher a few hundred at a time (one call per 8 KiB, not per file).
    public static func compute(_ resources: [Resource]) -> SHA256Digest {
        if isInOrder(resources) { return compute(inListedOrder: resources) }
        let order = resources.indices.sorted { RelativePath.precedes(resources[$0].name.string, resources[$1].name.string) }
        return digest(of: order, in: resources)
    }

    /// Whether `resources` are listed in the order `compute` hashes them in: then the root
    /// digest is `compute(inListedOrder:)` of them.
    static func isInOrder(_ resources: [Resource]) -> Bool {
        resources.indices.dropFirst().allSatisfy {
            !RelativePath.precedes(resources[$0].name.string, resources[$0 - 1].name.string)
        }
    }

    /// SHA-256 over the digests of `resources` in the order given (`compute(_:)` of a list
    /// `isInOrder`), for a caller that checks the order meanwhile on another thread.
    static func compute(inListedOrder resources: [Resource]) -> SHA256Digest {
        digest(of: resources.indices, in: resources)
    }

    /// SHA-256 over the digests of `resources` at `indices`, in that order.
    private static func digest(of indices: some Sequence<Int>, in resources: [Resource]) -> SHA256Digest {
        let hasher = SHA256()
        let batchBytes = 256 * SHA256Digest.byteCount
        var batch: [UInt8] = []
        batch.reserveCapacity(batchBytes)
        for index in indices {
            resources[index].digest.withUnsafeBytes { batch.append(contentsOf: $0) }
            if batch.count == batchBytes {
                hasher.update(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        hasher.update(batch)
        return hasher.finalize()
    }

    /// SHA-256 over the raw 32-byte file digests in the order given: what a verifier checks a
    /// signed subject against, since the order the signer listed its resources in is what it
    /// committed to (OMS v1.0 §6.5.1 sorts names as strings, model_signing by path
    /// components; they disagree on `a-b` and `a/x`).
    public static func compute(inListedOrder files: [(name: String, digest: SHA256Digest)]) -> SHA256Digest {
        let hasher = SHA256()
        for file in files { file.digest.withUnsafeBytes { hasher.update($0) } }
        return hasher.finalize()
    }
}
