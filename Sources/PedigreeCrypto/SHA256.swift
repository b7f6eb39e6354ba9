internal import COpenSSL

/// The SHA-256 implementation fetched once from OpenSSL's default provider.
///
/// Fetching explicitly avoids the implicit per-initialisation fetch that `EVP_sha256()`
/// costs in OpenSSL 3.
private struct FetchedDigest: @unchecked Sendable {
    let md: OpaquePointer

    static let sha256: FetchedDigest = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else {
            fatalError("OpenSSL has no SHA256: \(drainErrorQueue())")
        }
        return FetchedDigest(md: md)
    }()
}

/// Streaming SHA-256 through OpenSSL's libcrypto.
///
/// Feed bytes with `update`, read the digest with `finalize()`. A finalized hasher starts
/// over, so one instance can hash many files without allocating again. Not thread-safe:
/// use one instance per thread.
public final class SHA256 {
    private let context: OpaquePointer

    /// A hasher ready for the first byte.
    public init() {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: \(drainErrorQueue())")
        }
        self.context = context
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Discards whatever was fed so far.
    public func reset() {
        guard EVP_DigestInit_ex(context, FetchedDigest.sha256.md, nil) == 1 else {
            fatalError("EVP_DigestInit_ex(SHA256) failed: \(drainErrorQueue())")
        }
    }

    /// Feeds the bytes of `buffer`.
    public func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        // EVP_DigestUpdate can only fail on a misused context, which this type prevents.
        let ok = EVP_DigestUpdate(context, base, buffer.count)
        precondition(ok == 1, "EVP_DigestUpdate failed: \(drainErrorQueue())")
    }

    /// Feeds a sequence of bytes held contiguously.
    public func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed since the last reset; the hasher then starts over.
    public func finalize() -> SHA256Digest {
        // Into a buffer on the stack: a digest holds its bytes inline, so none is allocated.
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let digest = withUnsafeMutableBytes(of: &words) { buffer -> SHA256Digest? in
            var length: UInt32 = 0
            let ok = EVP_DigestFinal_ex(context, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
            precondition(ok == 1 && length == 32, "EVP_DigestFinal_ex failed: \(drainErrorQueue())")
            return SHA256Digest(UnsafeRawBufferPointer(buffer))
        }
        reset()
        return digest!
    }

    /// The digest of `bytes` in one call.
    public static func hash<Bytes: Collection>(_ bytes: Bytes) -> SHA256Digest where Bytes.Element == UInt8 {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
