import PedigreeCrypto

/// Reads and writes bundle files (`pedigree.json`, `model.sig`).
///
/// Reading is strict: the text goes through `JSONReader` (a key given twice anywhere is an
/// error naming it), the media type must be known, every envelope's Base64 must decode, and
/// the counts a reader caps (`Limits`) are checked before anything is decoded further. The
/// Statements inside the envelopes are decoded later, by `StatementCodec`, one per manifest.
enum BundleCodec {
    static func decode(_ bytes: [UInt8]) throws(ManifestError) -> ManifestBundle {
        let value: JSONValue
        do {
            value = try JSONReader.parse(bytes, maxDepth: Limits.jsonDepth)
        } catch {
            throw .malformed("not valid JSON (\(error.message))")
        }
        do {
            let top = try JSONField(value).object()
            let mediaType = try top.required("mediaType").string()
            guard let kind = BundleKind(mediaType: mediaType) else { throw ManifestError.wrongMediaType(mediaType) }
            let envelope = try decodeEnvelope(try top.required("dsseEnvelope"))
            let material = try top.optional("verificationMaterial").map(decodeMaterial)
            var ancestors: [AncestorEntry] = []
            if let list = top.optional("ancestors") {
                let entries = try list.array()
                guard entries.count <= Limits.ancestors else { throw ManifestError.tooManyAncestors(entries.count) }
                for entry in entries {
                    let fields = try entry.object()
                    ancestors.append(AncestorEntry(
                        dsseEnvelope: try decodeEnvelope(try fields.required("dsseEnvelope")),
                        verificationMaterial: try fields.optional("verificationMaterial").map(decodeMaterial)))
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
            let keyid = try signature.optional("keyid")?.string() ?? ""
            let sigField = try signature.required("sig")
            guard let sig = base64Decode(try sigField.string()) else { throw ManifestError.badBase64(field: sigField.path) }
            signatures.append(EnvelopeSignature(keyid: keyid, sig: sig))
        }
        return Envelope(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    /// A Sigstore verification material: the public-key hint, if any. Transparency-log
    /// entries and certificates are objects pedigree does not interpret.
    static func decodeMaterial(_ field: JSONField) throws(FieldError) -> VerificationMaterial {
        let fields = try field.object()
        let hint = try fields.optional("publicKey")?.object().optional("hint")?.string()
        return VerificationMaterial(publicKeyHint: hint)
    }

    ///
    /// The envelope's payload — the Base64 Statement, nearly all of a large manifest — is put
    /// in after encoding rather than scanned by `JSONEncoder` byte by byte: Base64 text needs no
    /// escape, so the bytes are the same. The rest is encoded with a random placeholder in its
    /// place, which must then occur exactly once (else the whole bundle goes through the encoder).
    static func encode(_ bundle: ManifestBundle, compact: Bool) throws -> [UInt8] {
        var wire = WireBundle(bundle)
        let payload = wire.dsseEnvelope.payload
        let isBase64 = payload.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
                    return true
                default: return false
                }
            }
        } ?? false
        let hole = "pedigree-payload-" + String(UInt64.random(in: 0...UInt64.max), radix: 16) + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let whole = wire
        if isBase64 { wire.dsseEnvelope.payload = hole }
        let skeleton = compact ? try JSON.compact(wire) : try JSON.pretty(wire)
        guard isBase64, let range = JSON.onlyOccurrence(of: Array(hole.utf8), in: skeleton) else {
            return compact ? try JSON.compact(whole) : try JSON.pretty(whole)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(skeleton.count + payload.utf8.count)
        bytes += skeleton[..<range.lowerBound]
        bytes += payload.utf8
        bytes += skeleton[range.upperBound...]
        return bytes
    }
}
