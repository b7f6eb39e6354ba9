import PedigreeCrypto

/// Reads and writes bundle files (`pedigree.json`, `model.sig`).
///
/// Reading is strict: the text goes through `JSONReader` (a key given twice anywhere is an
/// error naming it), the media type must be known, every envelope's Base64 must decode, and
/// the counts a reader caps (`Limits`) are checked before anything is decoded further. The
/// Statements inside the envelopes are decoded later, by `StatementCodec`, one per manifest.
enum BundleCodec {
    /// Decodes the bundle file's text `bytes`.
    ///
    /// The text is let go once it is parsed, before the payload's Base64 is decoded: a large
    /// bundle's text, its tree and its payload are never all held at once.
    static func decode(_ bytes: consuming [UInt8]) throws(ManifestError) -> ManifestBundle {
        let value: JSONValue
        do {
            value = try JSONReader.parse(bytes, maxDepth: Limits.jsonDepth)
        } catch {
            throw .malformed("not valid JSON (\(error.message))")
        }
        _ = consume bytes
        do {
            let top = try JSONField(value).object()
            let mediaType = try top.required("mediaType").string()
            guard let kind = BundleKind(mediaType: mediaType) else { throw ManifestError.wrongMediaType(mediaType) }
            let envelope = try decodeEnvelope(try top.required("dsseEnvelope"))
            let material = try top.optional("verificationMaterial").map { try decodeMaterial($0) }
            if kind == .sigstore, material == nil {
                throw ManifestError.malformed("verificationMaterial is missing; an OMS bundle says how it was signed (OMS v1.0 §4.1)")
            }
            var ancestors: [AncestorEntry] = []
            if let list = top.optional("ancestors") {
                let entries = try list.array()
                guard entries.count <= Limits.ancestors else { throw ManifestError.tooManyAncestors(entries.count) }
                for entry in entries {
                    let fields = try entry.object()
                    ancestors.append(AncestorEntry(
                        dsseEnvelope: try decodeEnvelope(try fields.required("dsseEnvelope")),
                        verificationMaterial: try fields.optional("verificationMaterial").map { try decodeMaterial($0, embedded: true) }))
                }
            }
            return ManifestBundle(kind: kind, dsseEnvelope: envelope, ancestors: ancestors, verificationMaterial: material)
        } catch let error as ManifestError {
            throw error
        } catch let error as FieldError {
            throw .malformed(error.description)
        } catch {
            throw .malformed("\(error)")
        }
    }

    /// An envelope: its payload type (any text: what it must be is the Statement's concern),
    /// its payload and signatures in Base64, at least one signature and at most the limit.
    static func decodeEnvelope(_ field: JSONField) throws -> Envelope {
        let fields = try field.object()
        let payloadType = try fields.required("payloadType").string()
        let payloadField = try fields.required("payload")
        guard let payload = base64Decode(try payloadField.string()) else { throw ManifestError.badBase64(field: payloadField.path) }
        let list = try fields.required("signatures").array()
        guard !list.isEmpty else { throw ManifestError.noSignatures(path: field.path) }
        guard list.count <= Limits.signaturesPerEnvelope else {
            throw ManifestError.tooManySignatures(path: field.path, count: list.count)
        }
        var signatures: [EnvelopeSignature] = []
        for item in list {
            let signature = try item.object()
            // OMS v1.0 §4.1 / §11.2 item 2: a key id may be absent, empty or null.
            let keyidField = signature.optional("keyid")
            let keyid = keyidField?.value == .null ? "" : try keyidField?.string() ?? ""
            let sigField = try signature.required("sig")
            guard let sig = base64Decode(try sigField.string()) else { throw ManifestError.badBase64(field: sigField.path) }
            signatures.append(EnvelopeSignature(keyid: keyid, sig: sig))
        }
        return Envelope(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    /// A Sigstore verification material (OMS v1.0 §4.1): exactly one of `publicKey`
    /// (`hint`, or `rawBytes` with optional `keyDetails` from before model_signing 1.1 —
    /// §11.2 item 1), `x509CertificateChain` (the certificate method, at least one certificate,
    /// leaf first) or `certificate` (the Sigstore method, which must carry at least one
    /// `tlogEntries` entry — §11.1). `tlogEntries` may be absent or empty for the other two.
    /// Certificates are kept as DER bytes here; they are parsed as X.509 where they are used.
    ///
    /// - Parameter embedded: an ancestor's copy inside a pedigree bundle, which leaves the
    ///   log entries out, so the Sigstore method's log requirement is not checked there.
    static func decodeMaterial(_ field: JSONField, embedded: Bool = false) throws -> VerificationMaterial {
        let fields = try field.object()
        var material = VerificationMaterial()
        if let logs = fields.optional("tlogEntries") {
            material.logEntries = try logs.array(maxCount: Limits.transparencyLogEntries).count
        }
        var shapes: [String] = []
        if let key = fields.optional("publicKey") {
            shapes.append("publicKey")
            let keyFields = try key.object()
            material.publicKeyHint = try keyFields.optional("hint")?.string()
            if let raw = keyFields.optional("rawBytes") {
                material.publicKeyRawBytes = try base64Field(raw)
                material.keyDetails = try keyFields.optional("keyDetails")?.string()
            }
            guard material.publicKeyHint != nil || material.publicKeyRawBytes != nil else {
                throw key.error("has neither 'hint' nor 'rawBytes'; one names the key")
            }
        }
        if let chain = fields.optional("x509CertificateChain") {
            shapes.append("x509CertificateChain")
            let list = try chain.object().required("certificates")
            let certificates = try list.array(maxCount: Limits.certificatesPerChain).map { item throws in
                try base64Field(try item.object().required("rawBytes"))
            }
            guard !certificates.isEmpty else { throw list.error("is empty; the certificate method needs the signing certificate") }
            material.certificateChain = certificates
        }
        if let certificate = fields.optional("certificate") {
            shapes.append("certificate")
            material.sigstoreCertificate = try base64Field(try certificate.object().required("rawBytes"))
            guard material.logEntries > 0 || embedded else {
                throw field.error("holds a Sigstore 'certificate' without 'tlogEntries'; OMS v1.0 §4.1 requires at least one "
                    + "transparency-log entry for the sigstore method")
            }
        }
        guard shapes.count == 1 else {
            throw field.error(shapes.isEmpty
                ? "has none of 'publicKey', 'x509CertificateChain', 'certificate' (OMS v1.0 §4.1)"
                : "has \(shapes.joined(separator: " and ")); a bundle carries the material of one signing method (OMS v1.0 §4.1)")
        }
        return material
    }

    /// A Base64 string field, decoded.
    private static func base64Field(_ field: JSONField) throws -> [UInt8] {
        guard let bytes = base64Decode(try field.string()) else { throw ManifestError.badBase64(field: field.path) }
        return bytes
    }

    /// The bundle's JSON text.
    ///
    /// The envelope's payload — the Base64 Statement, nearly all of a large manifest — is
    /// encoded straight into the output rather than into a string `JSONEncoder` then scans
    /// byte by byte: Base64 text needs no escape, so the bytes are the same. The rest is
    /// encoded with a random placeholder in its place, which must then occur exactly once (else
    /// the whole bundle goes through the encoder). The output is sized once, so at most the
    /// payload and the output are held, never a Base64 copy beside them.
    ///
    /// - Throws: `ManifestError.malformed` for a bundle read with transparency-log entries
    ///   (a Sigstore keyless bundle): they are counted, not kept, so it cannot be written back.
    static func encode(_ bundle: ManifestBundle, compact: Bool) throws -> [UInt8] {
        if let material = bundle.verificationMaterial, material.logEntries > 0 {
            throw ManifestError.malformed(
                "this bundle's transparency-log entries are not kept by pedigree, so it is not written back")
        }
        let hole = "pedigree-payload-" + String(UInt64.random(in: 0...UInt64.max), radix: 16) + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let skeleton = try encoded(WireBundle(bundle, payloadText: hole), compact: compact)
        guard let range = JSON.onlyOccurrence(of: Array(hole.utf8), in: skeleton) else {
            return try encoded(WireBundle(bundle), compact: compact)
        }
        let payload = bundle.dsseEnvelope.payload
        var bytes: [UInt8] = []
        bytes.reserveCapacity(skeleton.count - range.count + base64EncodedCount(payload.count))
        bytes += skeleton[..<range.lowerBound]
        base64Encode(payload, appendingTo: &bytes)
        bytes += skeleton[range.upperBound...]
        return bytes
    }

    /// `encode`'s output in pieces, for a writer that streams it: the text around the payload
    /// and the payload, whose Base64 `StreamedBundle.write(to:)` makes a piece at a time.
    /// `nil` where `encode` falls back to the whole bundle through the encoder.
    static func streamed(_ bundle: ManifestBundle, compact: Bool) throws -> StreamedBundle? {
        if let material = bundle.verificationMaterial, material.logEntries > 0 {
            throw ManifestError.malformed(
                "this bundle's transparency-log entries are not kept by pedigree, so it is not written back")
        }
        let hole = "pedigree-payload-" + String(UInt64.random(in: 0...UInt64.max), radix: 16) + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let skeleton = try encoded(WireBundle(bundle, payloadText: hole), compact: compact)
        guard let range = JSON.onlyOccurrence(of: Array(hole.utf8), in: skeleton) else { return nil }
        return StreamedBundle(
            head: Array(skeleton[..<range.lowerBound]), payload: bundle.dsseEnvelope.payload,
            tail: Array(skeleton[range.upperBound...]))
    }

    private static func encoded(_ wire: WireBundle, compact: Bool) throws -> [UInt8] {
        compact ? try JSON.compact(wire) : try JSON.pretty(wire)
    }
}

/// A bundle's JSON text as the text before the payload, the payload and the text after it:
/// written to a file, the payload's Base64 is made 64 KiB at a time, so neither the Base64
/// nor the whole text is ever held beside the payload (on a large model they are most of
/// the manifest's size twice over).
public struct StreamedBundle: Sendable {
    let head: [UInt8]
    let payload: [UInt8]
    let tail: [UInt8]

    /// The bytes `write(to:)` writes: those of `ManifestBundle.encoded()`.
    public var byteCount: Int { head.count + base64EncodedCount(payload.count) + tail.count }

    /// Input bytes per piece of Base64: a multiple of three, so the pieces join up.
    static let pieceBytes = 48 * 1024

    /// Payloads of this many pieces or more are encoded on two threads.
    static let parallelPieces = 8

    /// Writes the text into `sink`.
    ///
    /// A large payload's pieces are encoded on two threads (`writeOnTwoThreads`): a helper
    /// encodes most of them, this thread the rest, and it writes them all in order.
    public func write(to sink: FileSink) {
        sink.write(head)
        let pieces = (payload.count + Self.pieceBytes - 1) / Self.pieceBytes
        if pieces < Self.parallelPieces || availableProcessors() < 2 || !writeOnTwoThreads(to: sink, pieces: pieces) {
            var piece: [UInt8] = []
            piece.reserveCapacity(base64EncodedCount(Self.pieceBytes))
            for index in 0..<pieces where sink.failure == 0 {
                encodePiece(index, into: &piece)
                sink.write(piece)
            }
        }
        sink.write(tail)
    }

    /// The Base64 of piece `index` of the payload, in place of what `piece` held.
    private func encodePiece(_ index: Int, into piece: inout [UInt8]) {
        piece.removeAll(keepingCapacity: true)
        payload.withUnsafeBufferPointer { whole in
            let start = index * Self.pieceBytes
            base64Encode(UnsafeBufferPointer(rebasing: whole[start..<min(whole.count, start + Self.pieceBytes)]), appendingTo: &piece)
        }
    }

    /// Writes the `pieces` pieces' Base64, made on two threads; `false`, having written nothing,
    /// when no thread could be started.
    ///
    /// Both threads take the next piece in turn: the helper encodes each it takes and hands it
    /// over; this thread writes the pieces in order, and encodes one itself when the next to
    /// write is not taken, or when the helper is still making it (then the next one no one has
    /// taken, written after it). Writing costs this thread about as much again as encoding, so
    /// the helper encodes most pieces (strict turns left it waiting for the writes). The helper
    /// runs at most `aheadPieces` past the last piece written, one buffer each.
    ///
    /// Every piece the helper encodes is taken from it even after a write failed (the sink then
    /// ignores them), so the helper never waits for a buffer that does not come back.
    private func writeOnTwoThreads(to sink: FileSink, pieces: Int) -> Bool {
        let shared = Locked(SharedPieces(spare: (0..<Self.aheadPieces).map { _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(base64EncodedCount(Self.pieceBytes))
            return buffer
        }))
        let helper = startJoinableThread { [self] in
            while true {
                // The next piece not taken, once it lies within reach of the writes.
                let taken = shared.withLock(when: { $0.next >= pieces || !$0.spare.isEmpty }) { state -> (Int, [UInt8])? in
                    guard state.next < pieces else { return nil }
                    defer { state.next += 1 }
                    return (state.next, state.spare.removeLast())
                }
                guard let (index, buffer) = taken else { return }
                var piece = buffer
                encodePiece(index, into: &piece)
                let made = piece
                shared.update { $0.made[index] = made }
            }
        }
        guard let helper else { return false }
        var own: [UInt8] = []
        own.reserveCapacity(base64EncodedCount(Self.pieceBytes))
        // The piece encoded into `own` and not yet written: the next to write, or one taken ahead
        // while the helper was still making the next to write.
        var ownIndex: Int?
        var index = 0
        while index < pieces {
            if ownIndex == index {
                sink.write(own)
                ownIndex = nil
                index += 1
                continue
            }
            let free = ownIndex == nil
            // The helper's piece once it is made, or the next piece no one has taken (this
            // thread's to encode): the one to write next, or while the helper makes that, one ahead.
            let step = shared.withLock(when: { $0.made[index] != nil || $0.next == index || (free && $0.next < pieces) }) {
                state -> WriteStep in
                if let made = state.made.removeValue(forKey: index) { return .write(made) }
                defer { state.next += 1 }
                return .encode(state.next)
            }
            switch step {
            case .write(let piece):
                sink.write(piece)
                shared.update { $0.spare.append(piece) }
                index += 1
            case .encode(let taken):
                if sink.failure == 0 { encodePiece(taken, into: &own) }
                ownIndex = taken
            }
        }
        // The helper may be waiting for a buffer when the last piece is taken: wake it to see so.
        shared.update { _ in }
        helper.join()
        return true
    }

    /// Pieces the helper of `writeOnTwoThreads` may encode ahead of the writes (one buffer each).
    static let aheadPieces = 3
}

/// What the writing thread of `StreamedBundle.writeOnTwoThreads` does next.
private enum WriteStep {
    /// Write this piece the helper made.
    case write([UInt8])
    /// Encode this piece, which it has taken.
    case encode(Int)
}

/// What the two threads of `StreamedBundle.writeOnTwoThreads` share: the next piece no one has
/// taken, the pieces the helper made that are not yet written, and its empty buffers.
private struct SharedPieces: Sendable {
    var next = 0
    var made: [Int: [UInt8]] = [:]
    var spare: [[UInt8]]
}

extension ManifestBundle {
    /// The indented text `encoded()` gives, in pieces to stream into a file; `nil` when this
    /// bundle must be encoded whole (`encoded()`).
    public func streamedEncoding() throws -> StreamedBundle? {
        try BundleCodec.streamed(self, compact: false)
    }
}
