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

    static func encode(_ bundle: ManifestBundle, compact: Bool) throws -> [UInt8] {
        let wire = WireBundle(bundle)
        return compact ? try JSON.compact(wire) : try JSON.pretty(wire)
    }
}
