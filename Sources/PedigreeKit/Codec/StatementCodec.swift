import PedigreeCrypto

/// What a signed Statement says about a model, decoded: the common part of both predicates.
struct DecodedStatement: Sendable {
    var format: ManifestFormat
    var name: String
    var rootDigest: SHA256Digest
    var entries: [ManifestEntry]
    var serialization: Serialization
    /// pedigree's predicate; `nil` for an OMS signature.
    var predicate: ModelPredicate?
}

/// Reads and writes the in-toto Statements pedigree signs (its own predicate) and reads (its
/// own and OMS v1.0's).
///
/// Reading is strict and happens once per manifest: `JSONReader` first (a key given twice is
/// an error naming it), then every field into its domain type — digests into
/// `SHA256Digest` (lowercase hex only, as every writer emits), sizes into non-negative
/// integers written as integers, names into `ResourceName`, roles, relations, formats and
/// parent roles into their enumerations, a lineage's parents into a non-empty list. Unknown
/// fields are ignored, so a later minor version stays readable.
enum StatementCodec {
    /// Decodes the Statement in `payload`.
    ///
    /// - Throws: `ManifestError.statement` naming the field that is wrong, `.unknownPredicate`,
    ///   or `.unsafeNames` listing every resource name that is not a safe relative path
    ///   (after every other field was found well formed).
    ///
    /// The resource list — nearly all of a large Statement — is not kept as a JSON tree: each
    /// resource is decoded as the reader reaches it (`JSONReader.parse(_:maxDepth:streamingListAt:element:)`)
    /// into a small record of its fields or the first error in it, and the records are taken in
    /// order where the list is read, so the errors are those a walk of the whole tree gives.
    static func decode(_ payload: [UInt8]) throws(ManifestError) -> DecodedStatement {
        let value: JSONValue
        let streamed = StreamedResources()
        do {
            let parsed = try JSONReader.parse(payload, maxDepth: Limits.jsonDepth, streamingListAt: ["predicate", "resources"]) {
                [streamed] index, element in
                streamed.records.append(resourceRecord(JSONField(element, path: "predicate.resources[\(index)]")))
            }
            value = parsed.value
            streamed.isComplete = parsed.streamed
        } catch {
            throw .statement("not valid JSON (\(error.message))")
        }
        var unsafe: [String] = []
        do {
            let statement = try JSONField(value).object()
            let type = try statement.required("_type").string()
            guard type == MediaTypes.statementV1 else {
                throw ManifestError.statement("_type is '\(printable(type))', expected '\(MediaTypes.statementV1)'")
            }
            let subjects = try statement.required("subject").array()
            let predicateType = try statement.required("predicateType").string()
            if predicateType == MediaTypes.omsV02Predicate {
                let decoded = try decodeV02(subjects, unsafe: &unsafe)
                guard unsafe.isEmpty else { throw ManifestError.unsafeNames(unsafe) }
                return decoded
            }
            guard subjects.count == 1 else {
                throw ManifestError.statement("it has \(subjects.count) subjects, expected one (the model)")
            }
            let subject = try subjects[0].object()
            let name = try subject.required("name").string()
            let digests = try subject.required("digest").object()
            guard let hex = try digests.optional("sha256")?.string(), let root = lowercaseDigest(hex) else {
                throw ManifestError.statement("subject[0].digest.sha256 is not a lowercase SHA-256 hex digest")
            }
            let predicateField = try statement.required("predicate")
            let decoded: DecodedStatement
            switch predicateType {
            case MediaTypes.pedigreePredicate:
                let predicate = try decodePredicate(predicateField, streamed: streamed, unsafe: &unsafe)
                decoded = DecodedStatement(
                    format: .pedigree, name: name, rootDigest: root,
                    entries: predicate.resources.map {
                        ManifestEntry(name: $0.name, digest: $0.digest, size: $0.size, role: $0.role)
                    },
                    serialization: predicate.serialization, predicate: predicate)
            case MediaTypes.omsPredicate:
                let fields = try predicateField.object()
                // OMS v1.0 §11.2 item 3: bundles of model_signing 0.3.1–1.0 have no ignore_paths.
                let serialization = try decodeSerialization(try fields.required("serialization"), ignorePathsOptional: true)
                let records = try streamed.take(try fields.required("resources"))
                var entries = try resources(records, sizesAndRoles: false, unsafe: &unsafe)
                // model_signing 1.1.1 names the one resource of a single-file model "." (the path
                // relative to the model path); OMS v1.0 §6.1.2 item 5 names it by the file's
                // basename, which §6.5 also makes the subject's name. Read "." as that name.
                if entries.isEmpty, unsafe.count == 1, case .success(let only)? = records.first?.common, only.name == ".",
                   let named = try? ResourceName(name) {
                    unsafe = []
                    entries = [(named, only.digest, nil, nil)]
                }
                decoded = DecodedStatement(
                    format: .oms, name: name, rootDigest: root,
                    entries: entries.map { ManifestEntry(name: $0.name, digest: $0.digest, size: nil, role: nil) },
                    serialization: serialization, predicate: nil)
            default:
                throw ManifestError.unknownPredicate(predicateType)
            }
            guard unsafe.isEmpty else { throw ManifestError.unsafeNames(unsafe) }
            return decoded
        } catch let error as ManifestError {
            throw error
        } catch let error as FieldError {
            throw .statement(error.description)
        } catch {
            throw .statement("\(error)")
        }
    }

    /// The bytes `ModelSigner` signs for `predicate`: compact JSON with sorted keys, so the same
    /// predicate always gives the same Statement and the same manifest digest.
    ///
    /// The resource list — all but a few hundred bytes of a large model's Statement — is written
    /// straight into the output by `writeResources`, byte for byte what `JSONEncoder` would
    /// write, rather than through one `Encodable` value per field: the rest of the Statement is
    /// encoded with an empty list, whose `"resources":[]` is then filled in. Should the key
    /// appear other than once, the whole Statement goes through `JSONEncoder`.
    static func encode(_ predicate: ModelPredicate, root: SHA256Digest) throws -> [UInt8] {
        let resources = predicate.resources
        let counts = (encodedCount(resources[...]), 0)
        return try fill(skeleton(predicate, root: root), predicate: predicate, root: root, counts: counts, split: resources.count)
    }

    /// Resource lists at least this long are encoded on two threads (`encodeComputingRoot`).
    static let parallelResources = 4096

    /// `encode(_:root:)` with the root digest of the resources (`RootDigest.compute`), both made
    /// on two threads for a list of `parallelFrom` resources or more, then each half of the list
    /// written by one of them. The bytes are those of `encode(_:root:)`.
    ///
    /// While the lists' order is checked and the two halves sized on this thread, the other
    /// digests the list in the order given (the root digest when that order is the sorted one,
    /// as the walk lists a folder) and encodes the rest of the Statement with a random stand-in
    /// for the root, whose 64 hex digits are then overwritten with the root's. A list not in
    /// order has its root digest taken afterwards, in sorted order; a stand-in found other than
    /// once has the rest encoded again with the root.
    ///
    /// - Parameter standIn: the stand-in for the root (tests choose it; a random digest else).
    static func encodeComputingRoot(
        _ predicate: ModelPredicate, parallelFrom threshold: Int = parallelResources, standIn: SHA256Digest? = nil
    ) throws -> (payload: [UInt8], root: SHA256Digest) {
        let resources = predicate.resources
        guard resources.count >= max(threshold, 1), availableProcessors() > 1 else {
            let root = RootDigest.compute(resources)
            return (try encode(predicate, root: root), root)
        }
        let split = resources.count / 2
        let standIn = standIn ?? randomDigest()
        let made = inParallel({
            (RootDigest.compute(inListedOrder: resources), Result { try skeleton(predicate, root: standIn) })
        }, while: { (RootDigest.isInOrder(resources), encodedCount(resources[..<split]), encodedCount(resources[split...])) })
        let (inOrder, firstCount, secondCount) = made.result
        let root = inOrder ? made.other.0 : RootDigest.compute(resources)
        var rest = try made.other.1.get()
        if let place = JSON.onlyOccurrence(of: Array(standIn.hex.utf8), in: rest) {
            rest.replaceSubrange(place, with: root.hex.utf8)
        } else {
            rest = try skeleton(predicate, root: root)
        }
        return (try fill(rest, predicate: predicate, root: root, counts: (firstCount, secondCount), split: split), root)
    }

    /// A digest no one can foresee: the stand-in for a root digest not yet known.
    private static func randomDigest() -> SHA256Digest {
        SHA256.hash(withUnsafeBytes(of: (UInt64.random(in: 0...UInt64.max), UInt64.random(in: 0...UInt64.max))) { Array($0) })
    }

    /// The Statement of `predicate` with an empty resource list.
    private static func skeleton(_ predicate: ModelPredicate, root: SHA256Digest) throws -> [UInt8] {
        try JSON.compact(WireStatement(
            subject: [WireSubject(name: predicate.model.name, digest: ["sha256": root.hex])],
            predicateType: MediaTypes.pedigreePredicate, predicate: WireModelPredicate(predicate, resources: [])))
    }

    /// `skeleton` with the resources written into its empty list, those before `split` on this
    /// thread and the rest on another when both halves hold some; `counts` are the two halves'
    /// `encodedCount`s.
    ///
    /// Exactly the bytes needed, plus room for the DSSE pre-authentication prefix so that an
    /// Ed25519 signer can sign the payload in place (`Envelope.addSignature`): the buffer is never
    /// regrown, which would hold the old and a doubled copy at once.
    private static func fill(
        _ skeleton: [UInt8], predicate: ModelPredicate, root: SHA256Digest, counts: (Int, Int), split: Int
    ) throws -> [UInt8] {
        guard let list = JSON.onlyOccurrence(of: emptyResources, in: skeleton) else { return try encodeWhole(predicate, root: root) }
        let resources = predicate.resources
        let open = list.upperBound - 1  // the index of `]`
        let first = resources[..<split], second = resources[split...]
        let comma = first.isEmpty || second.isEmpty ? 0 : 1
        let total = skeleton.count + counts.0 + comma + counts.1
        return [UInt8](unsafeUninitializedCapacity: total + Envelope.paePrefixRoom) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            skeleton.withUnsafeBufferPointer { text in
                guard let source = text.baseAddress else { return }
                base.initialize(from: source, count: open)
                (base + open + counts.0 + comma + counts.1).initialize(from: source + open, count: skeleton.count - open)
            }
            let start = base + open, end = start + counts.0 + comma + counts.1
            let ends: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>)
            if second.isEmpty {
                ends = (writeResources(first, at: start), end)
            } else if first.isEmpty {
                ends = (start, writeResources(second, at: start))
            } else {
                let later = SharedPointer(base: start + counts.0 + comma)
                // Each thread writes its own half; `inParallel` returns when both are done.
                let written = inParallel({ SharedPointer(base: writeResources(second, at: later.base)) }, while: {
                    let middle = writeResources(first, at: start)
                    middle.initialize(to: UInt8(ascii: ","))
                    return middle
                })
                ends = (written.result, written.other.base)
            }
            // A count that disagreed with the bytes written would have written out of place.
            precondition(ends.0 == start + counts.0 && ends.1 == end, "a resource list's bytes were miscounted")
            initialized = total
        }
    }

    /// The number of bytes `writeResources` writes for `resources`.
    static func encodedCount(_ resources: ArraySlice<Resource>) -> Int {
        let fixed = #"{"algorithm":"sha256","digest":"","name":,"role":,"size":}"#.utf8.count + SHA256Digest.byteCount * 2
        var total = max(resources.count - 1, 0)  // the commas
        for resource in resources {
            total += fixed + jsonStringCount(resource.name.string) + jsonStringCount(resource.role.rawValue)
                + decimalCount(resource.size)
        }
        return total
    }

    /// `encodedCount` of a whole list.
    static func encodedCount(_ resources: [Resource]) -> Int { encodedCount(resources[...]) }

    /// The bytes `appendJSONString` appends for `string`, quotes included.
    static func jsonStringCount(_ string: String) -> Int {
        if let plain = string.utf8.withContiguousStorageIfAvailable({ needsNoEscape($0) ? $0.count + 2 : nil }), let plain {
            return plain
        }
        var count = 2
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x0C, 0x0A, 0x0D, 0x09: count += 2
            case 0..<0x20: count += 6
            default: count += 1
            }
        }
        return count
    }

    /// Whether no byte of `bytes` is escaped in a JSON string (`"`, `\\` or below U+0020):
    /// then the string is written as its bytes between quotes, in one copy.
    private static func needsNoEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
        return true
    }

    /// The digits (and sign) of `value` in decimal.
    private static func decimalCount(_ value: Int64) -> Int {
        var count = value < 0 ? 2 : 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    /// The Statement encoded entirely by `JSONEncoder` (the reference `encode` must equal).
    static func encodeWhole(_ predicate: ModelPredicate, root: SHA256Digest) throws -> [UInt8] {
        try JSON.compact(WireStatement(
            subject: [WireSubject(name: predicate.model.name, digest: ["sha256": root.hex])],
            predicateType: MediaTypes.pedigreePredicate, predicate: WireModelPredicate(predicate)))
    }

    private static let emptyResources = Array(#""resources":[]"#.utf8)
    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends `resources` as `writeResources` writes them, into room for the most any list of
    /// these names could take, not `encodedCount` (tests check that count against this).
    static func appendResources(_ resources: [Resource], to bytes: inout [UInt8]) {
        let most = resources.reduce(0) { $0 + 128 + SHA256Digest.byteCount * 2 + 6 * ($1.name.string.utf8.count + $1.role.rawValue.utf8.count) }
        bytes += [UInt8](unsafeUninitializedCapacity: most) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            initialized = writeResources(resources[...], at: base) - base
        }
    }

    /// Writes `resources` as `WireResource` objects, comma-separated, exactly as `JSONEncoder`
    /// with `.sortedKeys` and `.withoutEscapingSlashes` writes them, into the `encodedCount`
    /// bytes at `start`, and returns the end: keys in byte order, integers in decimal, strings
    /// with `"` and `\\` escaped, `\b \f \n \r \t` for those controls and `\u00xx` (lowercase
    /// hex) for the other characters below U+0020, everything else as UTF-8.
    ///
    /// Through a raw pointer into memory sized beforehand, so two threads write the two halves
    /// of a list into one buffer (`encodeComputingRoot`).
    static func writeResources(_ resources: ArraySlice<Resource>, at start: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var next = start
        for index in resources.indices {
            let resource = resources[index]
            if index > resources.startIndex {
                next.initialize(to: UInt8(ascii: ","))
                next += 1
            }
            write(#"{"algorithm":"sha256","digest":""#, at: &next)
            resource.digest.writeHex(to: next)
            next += SHA256Digest.byteCount * 2
            write(#"","name":"#, at: &next)
            writeJSONString(resource.name.string, at: &next)
            write(#","role":"#, at: &next)
            writeJSONString(resource.role.rawValue, at: &next)
            write(#","size":"#, at: &next)
            writeDecimal(resource.size, at: &next)
            next.initialize(to: UInt8(ascii: "}"))
            next += 1
        }
        return next
    }

    /// Writes the bytes of `text` at `next` and moves past them.
    @inline(__always)
    private static func write(_ text: StaticString, at next: inout UnsafeMutablePointer<UInt8>) {
        next.initialize(from: text.utf8Start, count: text.utf8CodeUnitCount)
        next += text.utf8CodeUnitCount
    }

    /// Writes `value` in decimal, as `String(value)` writes it, at `next` and moves past it.
    private static func writeDecimal(_ value: Int64, at next: inout UnsafeMutablePointer<UInt8>) {
        let count = decimalCount(value)
        if value < 0 { next.initialize(to: UInt8(ascii: "-")) }
        var rest = value.magnitude
        var digit = next + count
        repeat {
            digit -= 1
            digit.initialize(to: UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10))
            rest /= 10
        } while rest > 0
        next += count
    }

    /// Appends `value` in decimal, as `String(value)` writes it, without making the string.
    static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        bytes += [UInt8](unsafeUninitializedCapacity: decimalCount(value)) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var next = base
            writeDecimal(value, at: &next)
            initialized = next - base
        }
    }

    /// Appends `string` as a JSON string the way `JSONEncoder` writes it (see `writeResources`).
    ///
    /// Into room for the longest escaping (six bytes a byte), not `jsonStringCount`, which tests
    /// check against it.
    static func appendJSONString(_ string: String, to bytes: inout [UInt8]) {
        bytes += [UInt8](unsafeUninitializedCapacity: 6 * string.utf8.count + 2) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var next = base
            writeJSONString(string, at: &next)
            initialized = next - base
        }
    }

    /// Writes `string` as a JSON string (the `jsonStringCount` bytes) at `next` and moves past
    /// it: a string with nothing to escape — nearly every file name — in one copy of its bytes.
    private static func writeJSONString(_ string: String, at next: inout UnsafeMutablePointer<UInt8>) {
        next.initialize(to: UInt8(ascii: "\""))
        next += 1
        let copied = string.utf8.withContiguousStorageIfAvailable { utf8 -> Int? in
            guard needsNoEscape(utf8), let source = utf8.baseAddress else { return utf8.isEmpty ? 0 : nil }
            next.initialize(from: source, count: utf8.count)
            return utf8.count
        }
        if let copied, let copied {
            next += copied
        } else {
            writeEscaped(string, at: &next)
        }
        next.initialize(to: UInt8(ascii: "\""))
        next += 1
    }

    /// Writes the bytes of `string` between the quotes of a JSON string, escaped byte by byte.
    private static func writeEscaped(_ string: String, at next: inout UnsafeMutablePointer<UInt8>) {
        func put(_ escaped: UInt8) {
            next[0] = UInt8(ascii: "\\")
            next[1] = escaped
            next += 2
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): put(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): put(UInt8(ascii: "\\"))
            case 0x08: put(UInt8(ascii: "b"))
            case 0x0C: put(UInt8(ascii: "f"))
            case 0x0A: put(UInt8(ascii: "n"))
            case 0x0D: put(UInt8(ascii: "r"))
            case 0x09: put(UInt8(ascii: "t"))
            case 0..<0x20:
                write(#"\u00"#, at: &next)
                hexDigits.withUTF8Buffer { digits in
                    next[0] = digits[Int(byte >> 4)]
                    next[1] = digits[Int(byte & 0x0F)]
                }
                next += 2
            default:
                next.initialize(to: byte)
                next += 1
            }
        }
    }

    /// The bytes of an OMS v1.0 Statement (`model_signing`'s predicate) naming `entries`.
    static func encodeOMS(
        name: String, root: SHA256Digest, serialization: Serialization, entries: [(name: ResourceName, digest: SHA256Digest)]
    ) throws -> [UInt8] {
        try JSON.compact(WireStatement(
            subject: [WireSubject(name: name, digest: ["sha256": root.hex])],
            predicateType: MediaTypes.omsPredicate,
            predicate: WireOMSPredicate(
                serialization: WireSerialization(serialization),
                resources: entries.map { WireOMSResource(name: $0.name.string, digest: $0.digest.hex) })))
    }

    /// A notice as compact JSON (kind, text, origin, reason), as the exports record notices.
    static func compactJSON(_ notice: RetainedNotice) throws -> String {
        String(decoding: try JSON.compact(WireRetainedNotice(notice)), as: UTF8.self)
    }

    static func compactJSON(_ notice: Notice) throws -> String {
        String(decoding: try JSON.compact(WireNotice(kind: notice.kind, text: notice.text)), as: UTF8.self)
    }

    static func compactJSON(_ notice: DroppedNotice) throws -> String {
        String(decoding: try JSON.compact(WireDroppedNotice(notice)), as: UTF8.self)
    }

    // MARK: OMS v0.2

    /// The v0.2 layout (OMS v1.0 §11, `https://model_signing/Digests/v0.1`): every file is a
    /// subject `{name, digest: {sha256}}`; there is no model name, root digest or serialization.
    /// The model is called `model` (what older model_signing versions named every model,
    /// §11.1), the root digest is computed over the subjects in the order listed, and the
    /// folder is walked with the defaults: links refused, no ignore paths.
    private static func decodeV02(_ subjects: [JSONField], unsafe: inout [String]) throws -> DecodedStatement {
        var entries: [ManifestEntry] = []
        for (index, item) in subjects.enumerated() {
            let subject = try item.object()
            let nameText = try subject.required("name").string()
            let digest = try digest(try subject.required("digest").object().required("sha256"))
            do throws(ResourceNameError) {
                entries.append(ManifestEntry(name: try ResourceName(nameText), digest: digest, size: nil, role: nil))
            } catch {
                unsafe.append("subject \(index + 1): \(error)")
            }
        }
        guard !entries.isEmpty else { throw ManifestError.statement("subject is empty; a v0.2 bundle lists its files as subjects") }
        return DecodedStatement(
            format: .oms, name: "model", rootDigest: RootDigest.compute(inListedOrder: entries.map { ($0.name.string, $0.digest) }),
            entries: entries, serialization: Serialization(allowSymlinks: false, ignorePaths: []), predicate: nil)
    }

    // MARK: pedigree's predicate

    private static func decodePredicate(_ field: JSONField, streamed: StreamedResources, unsafe: inout [String]) throws -> ModelPredicate {
        let fields = try field.object()
        let model = try fields.required("model").object()
        let info = ModelInfo(
            name: try model.required("name").string(), version: try model.optional("version")?.string())
        let resources = try resources(try streamed.take(try fields.required("resources")), sizesAndRoles: true, unsafe: &unsafe)
        var predicate = ModelPredicate(
            model: info,
            // `extra` above read a size and a role for every resource, so the fallbacks never apply.
            resources: resources.map { Resource(name: $0.name, digest: $0.digest, size: $0.size ?? 0, role: $0.role ?? .other) },
            serialization: try decodeSerialization(try fields.required("serialization")),
            license: try fields.optional("license").map(decodeLicense),
            notices: try decodeNotices(try fields.required("notices")),
            lineage: try fields.optional("lineage").map(decodeLineage),
            modifications: try fields.required("modifications").array { item throws(FieldError) in
                let modification = try item.object()
                return Modification(
                    files: try names(try modification.required("files")),
                    description: try modification.required("description").string())
            },
            distribution: try fields.required("distribution").enum(Distribution.self),
            generator: try decodeGenerator(try fields.required("generator")),
            createdAt: try fields.required("createdAt").string())
        predicate.suppliedDigests = try fields.optional("suppliedDigests").map(decodeSuppliedDigests)
        if let references = fields.optional("unverifiedReferences") {
            predicate.unverifiedReferences = try decodeUnverifiedReferences(references)
        }
        predicate.tensors = try fields.optional("tensors").map(decodeTensors)
        return predicate
    }

    /// `[{"name", "source", "relation"?}]`, non-empty when present, at most `Limits.ancestors`.
    private static func decodeUnverifiedReferences(_ field: JSONField) throws(FieldError) -> [UnverifiedReference] {
        let references = try field.array(maxCount: Limits.ancestors) { item throws(FieldError) in
            let reference = try item.object()
            try reference.rejectUnknownKeys(["name", "source", "relation"])
            return UnverifiedReference(
                name: try reference.required("name").string(), source: try reference.required("source").string(),
                relation: try reference.optional("relation")?.string())
        }
        if references.isEmpty { throw field.error("is empty; leave it out when there is no unverified reference") }
        return references
    }

    /// The tensor table (`sign --tensors`): each row's file a safe relative name, a known dtype,
    /// a shape whose byte count is the byte range's length, a lowercase digest. Whether the
    /// files are resources of the manifest and the rows agree with them is
    /// `SignedManifest.contradictions()`'s business and `verify`'s.
    private static func decodeTensors(_ field: JSONField) throws(FieldError) -> [TensorRecord] {
        try field.array { item throws(FieldError) in
            let row = try item.object()
            try row.rejectUnknownKeys(["file", "name", "dtype", "shape", "byteRange", "sha256"])
            let file = try resourceName(try row.required("file")).string
            let name = try row.required("name").string()
            let dtype = try row.required("dtype").enum(TensorDType.self)
            let shapeField = try row.required("shape")
            let dims = try shapeField.array { dim throws(FieldError) in try dim.integer(in: 0...Int64.max) }
            guard let shape = TensorShape(dims) else { throw shapeField.error("has more elements than 63 bits can count") }
            let rangeField = try row.required("byteRange")
            let bounds = try rangeField.array { bound throws(FieldError) in try bound.integer(in: 0...Int64.max) }
            guard bounds.count == 2, bounds[0] <= bounds[1] else { throw rangeField.error("is not [begin, end] with begin <= end") }
            guard dtype.byteCount(of: shape) == bounds[1] - bounds[0] else {
                throw rangeField.error("holds \(bounds[1] - bounds[0]) bytes, not what \(dtype.rawValue) \(shape) takes")
            }
            return TensorRecord(
                file: file, name: name, dtype: dtype, shape: shape, byteRange: bounds[0]..<bounds[1],
                digest: try digest(try row.required("sha256")))
        }
    }

    /// `{"spotChecked": N, "checkedAgainstFolder": BOOL}` (`sign --digests`), nothing more.
    private static func decodeSuppliedDigests(_ field: JSONField) throws(FieldError) -> SuppliedDigests {
        let fields = try field.object()
        try fields.rejectUnknownKeys(["spotChecked", "checkedAgainstFolder"])
        return SuppliedDigests(
            spotChecked: Int(try fields.required("spotChecked").integer(in: 0...Int64(Int.max))),
            checkedAgainstFolder: try fields.required("checkedAgainstFolder").bool())
    }

    /// The resources of either predicate from their records (`resourceRecord`): name,
    /// `algorithm: sha256`, digest, and with `sizesAndRoles` (pedigree's predicate) size and
    /// role. The first error in list order is thrown, as a walk of the list would meet it.
    /// Unsafe names are collected in `unsafe`, as "resource N: name '…' …", and left out.
    private static func resources(
        _ records: [ResourceRecord], sizesAndRoles: Bool, unsafe: inout [String]
    ) throws(FieldError) -> [(name: ResourceName, digest: SHA256Digest, size: Int64?, role: Role?)] {
        var out: [(name: ResourceName, digest: SHA256Digest, size: Int64?, role: Role?)] = []
        out.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            let common = try record.common.get()
            var size: Int64?
            var role: Role?
            if sizesAndRoles, let extra = record.extra { (size, role) = try extra.get() }
            do throws(ResourceNameError) {
                out.append((try ResourceName(common.name), common.digest, size, role))
            } catch {
                unsafe.append("resource \(index + 1): \(error)")
            }
        }
        return out
    }

    /// One element of a predicate's resource list, decoded as far as either predicate reads it:
    /// `common` (name text, `algorithm: sha256`, digest) or its first error, and, when that
    /// holds, `extra` (pedigree's size and role) or its first error.
    static func resourceRecord(_ item: JSONField) -> ResourceRecord {
        let fields: JSONFields
        do throws(FieldError) {
            fields = try item.object()
            let nameText = try fields.required("name").string()
            let algorithm = try fields.required("algorithm")
            guard try algorithm.string() == "sha256" else {
                throw algorithm.error("is '\(printableValue(try algorithm.string()))', expected 'sha256'")
            }
            let common = (name: nameText, digest: try digest(try fields.required("digest")))
            let extra = Result { () throws(FieldError) -> (Int64, Role) in
                (try fields.required("size").integer(in: 0...Int64.max), try fields.required("role").enum(Role.self))
            }
            return ResourceRecord(common: .success(common), extra: extra)
        } catch {
            return ResourceRecord(common: .failure(error), extra: nil)
        }
    }

    /// - Parameter ignorePathsOptional: an absent `ignore_paths` reads as none (OMS bundles,
    ///   §11.2 item 3); pedigree's own predicate always writes it.
    private static func decodeSerialization(_ field: JSONField, ignorePathsOptional: Bool = false) throws -> Serialization {
        let fields = try field.object()
        let method = try fields.required("method").string()
        let hashType = try fields.required("hash_type").string()
        guard method == "files", hashType == "sha256" else {
            throw ManifestError.statement(
                "\(field.path) is '\(printable(method))' with '\(printable(hashType))'; only 'files' with 'sha256' is supported")
        }
        let paths = ignorePathsOptional ? fields.optional("ignore_paths") : try fields.required("ignore_paths")
        return Serialization(
            allowSymlinks: try fields.required("allow_symlinks").bool(),
            ignorePaths: try paths?.array { item throws(FieldError) in try item.string() } ?? [])
    }

    private static func decodeLicense(_ field: JSONField) throws(FieldError) -> LicenseInfo {
        let fields = try field.object()
        return LicenseInfo(
            id: try fields.required("id").string(), name: try fields.optional("name")?.string(),
            files: try fields.required("files").array { item throws(FieldError) in
                let file = try item.object()
                return FileReference(name: try resourceName(try file.required("name")), digest: try digest(try file.required("digest")))
            })
    }

    private static func decodeNotices(_ field: JSONField) throws(FieldError) -> Notices {
        let fields = try field.object()
        return Notices(
            retained: try fields.required("retained").array { item throws(FieldError) in
                let notice = try item.object()
                return RetainedNotice(try decodeNotice(notice), origin: try decodeOrigin(try notice.required("origin")))
            },
            added: try fields.required("added").array { item throws(FieldError) in try decodeNotice(try item.object()) },
            dropped: try fields.required("dropped").array { item throws(FieldError) in
                let notice = try item.object()
                return DroppedNotice(
                    RetainedNotice(try decodeNotice(notice), origin: try decodeOrigin(try notice.required("origin"))),
                    reason: try notice.required("reason").string())
            },
            additionalTerms: try fields.optional("additionalTerms")?.string())
    }

    private static func decodeNotice(_ fields: JSONFields) throws(FieldError) -> Notice {
        Notice(kind: try fields.required("kind").enum(NoticeKind.self), text: try fields.required("text").string())
    }

    private static func decodeOrigin(_ field: JSONField) throws(FieldError) -> NoticeOrigin {
        let fields = try field.object()
        return NoticeOrigin(
            model: try fields.required("model").string(), manifestDigest: try digest(try fields.required("manifestDigest")))
    }

    private static func decodeGenerator(_ field: JSONField) throws(FieldError) -> Generator {
        let fields = try field.object()
        return Generator(name: try fields.required("name").string(), version: try fields.required("version").string())
    }

    private static func decodeLineage(_ field: JSONField) throws(FieldError) -> Lineage {
        let fields = try field.object()
        let parentsField = try fields.required("parents")
        let parents = try parentsField.array { item throws(FieldError) in
            let parent = try item.object()
            var reference = ParentReference(
                name: try parent.required("name").string(),
                manifestDigest: try digest(try parent.required("manifestDigest")),
                rootDigest: try digest(try parent.required("rootDigest")),
                relation: try parent.required("relation").enum(Relation.self),
                role: try parent.required("role").enum(ParentRole.self),
                signers: try parent.required("signers").array { signer throws(FieldError) in try signer.string() },
                trusted: try parent.required("trusted").bool(),
                format: try parent.required("format").enum(ManifestFormat.self))
            reference.evidence = try parent.optional("evidence").map(decodeEvidence)
            return reference
        }
        guard let nonEmpty = NonEmptyArray(parents) else {
            throw parentsField.error("is empty; a lineage names at least one parent")
        }
        let derivation = try fields.required("derivation").object()
        var parameters: [String: String] = [:]
        for member in try derivation.required("parameters").object().object.members {
            parameters[member.key] = try JSONField(member.value, path: derivation.child("parameters") + "." + printableValue(member.key)).string()
        }
        return Lineage(
            parents: nonEmpty,
            derivation: Derivation(
                method: try derivation.optional("method")?.string(),
                parameters: parameters,
                datasets: try derivation.required("datasets").array { item throws(FieldError) in
                    let dataset = try item.object()
                    return Dataset(name: try dataset.required("name").string(), digest: try dataset.optional("digest")?.string())
                },
                tool: try derivation.optional("tool").map { tool throws(FieldError) in
                    let fields = try tool.object()
                    return Tool(name: try fields.required("name").string(), version: try fields.optional("version")?.string())
                }),
            changes: try fields.required("changes").array { item throws(FieldError) in
                let changes = try item.object()
                return FileChanges(
                    parent: try digest(try changes.required("parent")),
                    unchanged: try names(try changes.required("unchanged")),
                    modified: try names(try changes.required("modified")),
                    added: try names(try changes.required("added")),
                    removed: try names(try changes.required("removed")),
                    renamed: try changes.required("renamed").array { rename throws(FieldError) in
                        let fields = try rename.object()
                        return Rename(
                            from: try resourceName(try fields.required("from")).string,
                            to: try resourceName(try fields.required("to")).string)
                    })
            })
    }

    /// A parent's tensor evidence (`Schemas/tensor-evidence.v1.schema.json`), every field
    /// checked; no field beyond the schema's is accepted, since `verify --evidence` compares
    /// the whole object.
    private static func decodeEvidence(_ field: JSONField) throws(FieldError) -> TensorEvidence {
        let fields = try field.object()
        try fields.rejectUnknownKeys(["relation", "grade", "reasons", "basis", "counts", "delta", "adapter"])
        func count(_ fields: JSONFields, _ key: String) throws(FieldError) -> Int {
            Int(try fields.required(key).integer(in: 0...Int64(Int32.max)))
        }
        let countsField = try fields.required("counts").object()
        let countKeys = [
            "parentTensors", "childTensors", "identical", "renamed", "dtypeChanged", "shapeChanged", "changed", "added", "removed",
            "exact", "castExact", "quantizedConsistent", "differs", "notCompared",
        ]
        try countsField.rejectUnknownKeys(Set(countKeys))
        var counts = EvidenceCounts()
        counts.parentTensors = try count(countsField, "parentTensors")
        counts.childTensors = try count(countsField, "childTensors")
        counts.identical = try count(countsField, "identical")
        counts.renamed = try count(countsField, "renamed")
        counts.dtypeChanged = try count(countsField, "dtypeChanged")
        counts.shapeChanged = try count(countsField, "shapeChanged")
        counts.changed = try count(countsField, "changed")
        counts.added = try count(countsField, "added")
        counts.removed = try count(countsField, "removed")
        counts.exact = try count(countsField, "exact")
        counts.castExact = try count(countsField, "castExact")
        counts.quantizedConsistent = try count(countsField, "quantizedConsistent")
        counts.differs = try count(countsField, "differs")
        counts.notCompared = try count(countsField, "notCompared")
        let reasonsField = try fields.required("reasons")
        let reasons = try reasonsField.array { item throws(FieldError) in try item.string() }
        guard !reasons.isEmpty else { throw reasonsField.error("is empty; evidence gives at least one reason") }
        func number(_ field: JSONField, in range: ClosedRange<Double>) throws(FieldError) -> Double {
            guard case .number(let number) = field.value, let value = number.double, value.isFinite, range.contains(value) else {
                throw field.error("is not a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        let delta = try fields.optional("delta").map { (field) throws(FieldError) -> EvidenceDelta in
            let delta = try field.object()
            try delta.rejectUnknownKeys(["tensors", "relativeL2", "cosine"])
            return EvidenceDelta(
                tensors: Int(try delta.required("tensors").integer(in: 1...Int64(Int32.max))),
                relativeL2: try delta.optional("relativeL2").map { (f) throws(FieldError) in try number(f, in: 0...Double.greatestFiniteMagnitude) },
                cosine: try delta.optional("cosine").map { (f) throws(FieldError) in try number(f, in: -1...1) })
        }
        let adapter = try fields.optional("adapter").map { (field) throws(FieldError) -> EvidenceAdapter in
            let adapter = try field.object()
            try adapter.rejectUnknownKeys(["modules", "fitting", "ranks", "replacedBaseTensors"])
            return EvidenceAdapter(
                modules: try count(adapter, "modules"), fitting: try count(adapter, "fitting"),
                ranks: try adapter.required("ranks").array { (rank) throws(FieldError) in Int(try rank.integer(in: 1...Int64(Int32.max))) },
                replacedBaseTensors: try count(adapter, "replacedBaseTensors"))
        }
        return TensorEvidence(
            relation: try fields.required("relation").enum(EvidenceRelation.self),
            grade: try fields.required("grade").enum(EvidenceGrade.self),
            reasons: reasons,
            basis: try fields.required("basis").enum(EvidenceBasis.self),
            counts: counts, delta: delta, adapter: adapter)
    }

    // MARK: scalars

    /// A SHA-256 digest written as 64 lowercase hex digits (the only form writers emit, so a
    /// digest has one spelling and compares as text too).
    private static func digest(_ field: JSONField) throws(FieldError) -> SHA256Digest {
        guard let digest = lowercaseDigest(try field.string()) else { throw field.error("is not a lowercase SHA-256 hex digest") }
        return digest
    }

    private static func resourceName(_ field: JSONField) throws(FieldError) -> ResourceName {
        let text = try field.string()
        do throws(ResourceNameError) {
            return try ResourceName(text)
        } catch {
            throw field.error("is not a safe relative path: '\(printable(error.name))' \(error.problem)")
        }
    }

    /// A list of file names, each checked as a resource name is.
    private static func names(_ field: JSONField) throws(FieldError) -> [String] {
        try field.array { item throws(FieldError) in try resourceName(item).string }
    }
}

/// The digest `hex` spells, when it is 64 lowercase hex digits.
func lowercaseDigest(_ hex: String) -> SHA256Digest? {
    guard let digest = SHA256Digest(hex: hex), digest.hex == hex else { return nil }
    return digest
}

/// A resource of a predicate's list, decoded (see `StatementCodec.resourceRecord`): a few dozen
/// bytes where the JSON tree of the same object takes several hundred.
struct ResourceRecord: Sendable {
    var common: Result<(name: String, digest: SHA256Digest), FieldError>
    var extra: Result<(Int64, Role), FieldError>?
}

/// The records of `predicate.resources`, filled while the Statement is read; one per decode.
final class StreamedResources: @unchecked Sendable {
    var records: [ResourceRecord] = []
    /// Whether the reader found the list and streamed it (the tree then holds an empty list).
    var isComplete = false

    /// The records of the list `field` is (the one streamed, whose tree is empty, or any other
    /// list, decoded now); an error naming `field` when it is not a list. The streamed records
    /// are handed over once and let go here.
    func take(_ field: JSONField) throws(FieldError) -> [ResourceRecord] {
        guard isComplete, field.path == "predicate.resources" else {
            return try field.array().map(StatementCodec.resourceRecord)
        }
        isComplete = false
        defer { records = [] }
        return records
    }
}
