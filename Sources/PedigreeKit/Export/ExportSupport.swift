import PedigreeCrypto

/// A JSON value the exporters assemble documents from; encoded with sorted keys, so the same
/// chain always gives the same bytes.
enum ExportValue: Encodable, Equatable, Sendable,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([ExportValue])
    case object([String: ExportValue])

    init(stringLiteral value: String) { self = .string(value) }
    init(arrayLiteral elements: ExportValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, ExportValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .string(value): try container.encode(value)
        case let .int(value): try container.encode(value)
        case let .bool(value): try container.encode(value)
        case let .array(values): try container.encode(values)
        case let .object(members): try container.encode(members)
        }
    }

    /// Indented JSON with sorted keys and a final newline, written by `JSONOutput`: every
    /// control, line separator and bidi control in a string is a `\uXXXX` escape, so no name
    /// from a manifest reaches a terminal or an editor raw through an export.
    func encoded() throws -> [UInt8] { Array(try JSONOutput.text(self).utf8) }
}

/// An object under construction: members are set only when they have a value.
struct ExportObject: ExpressibleByDictionaryLiteral {
    private(set) var members: [String: ExportValue] = [:]

    init(_ members: [String: ExportValue] = [:]) { self.members = members }

    init(dictionaryLiteral elements: (String, ExportValue)...) {
        members = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    subscript(key: String) -> ExportValue? {
        get { members[key] }
        set { members[key] = newValue }
    }

    /// Sets `key` to `value` unless it is `nil` or empty.
    mutating func set(_ key: String, _ value: String?) {
        if let value, !value.isEmpty { members[key] = .string(value) }
    }

    /// Sets `key` to `values` unless there are none.
    mutating func set(_ key: String, _ values: [ExportValue]) {
        if !values.isEmpty { members[key] = .array(values) }
    }

    var value: ExportValue { .object(members) }
}

/// The model and every ancestor reachable from it through parent references, each once,
/// nearest first; a parent whose manifest is not embedded is still listed, from its reference.
struct ExportLineage {
    /// One model of the chain.
    struct Node {
        var name: String
        /// Lowercase hex, or the reference's text for a parent that is not embedded.
        var manifestDigest: String
        var rootDigest: String
        /// `nil` for a parent that is referenced but not embedded.
        var manifest: SignedManifest?
        /// 0 for the model, 1 for its parents, …
        var depth: Int

        var predicate: ModelPredicate? { manifest?.predicate }
        var format: String { manifest?.format.rawValue ?? "unknown" }
    }

    /// A child naming one of its parents.
    struct Edge {
        /// Manifest digests, as `Node.manifestDigest`.
        var child: String
        var parent: String
        var reference: ParentReference
    }

    var model: Node
    var ancestors: [Node]
    var edges: [Edge]
    let chain: ModelChain

    init(_ chain: ModelChain) {
        self.chain = chain
        model = Node(
            name: chain.manifest.name, manifestDigest: chain.manifest.manifestDigest.hex,
            rootDigest: chain.manifest.rootDigest.hex, manifest: chain.manifest, depth: 0)
        var seen: Set<String> = [model.manifestDigest]
        var ancestors: [Node] = []
        var edges: [Edge] = []
        var frontier = [model]
        while !frontier.isEmpty {
            var next: [Node] = []
            for node in frontier {
                guard let manifest = node.manifest else { continue }
                for (reference, parent) in chain.parents(of: manifest) {
                    let key = parent?.manifestDigest.hex ?? reference.manifestDigest.hex
                    edges.append(Edge(child: node.manifestDigest, parent: key, reference: reference))
                    guard seen.insert(key).inserted else { continue }
                    let ancestor = Node(
                        name: parent?.name ?? reference.name, manifestDigest: key,
                        rootDigest: parent?.rootDigest.hex ?? reference.rootDigest.hex, manifest: parent,
                        depth: node.depth + 1)
                    ancestors.append(ancestor)
                    next.append(ancestor)
                }
            }
            frontier = next
        }
        self.ancestors = ancestors
        self.edges = edges
    }

    /// The references `child` makes to its parents, in its own order.
    func parentEdges(of child: String) -> [Edge] { edges.filter { $0.child == child } }

    /// The references that name `parent`.
    func childEdges(of parent: String) -> [Edge] { edges.filter { $0.parent == parent } }

    /// `node`'s license as its manifest declares it and as pedigree concludes it.
    func licensing(of node: Node) -> ExportLicensing {
        guard let manifest = node.manifest else {
            return ExportLicensing(
                declared: .undeclared,
                declaredNote: "The manifest of this parent is not embedded, so the license it declares cannot be read.",
                concluded: .undetermined(["the manifest of this parent is not embedded"]),
                concludedNote: "pedigree cannot conclude which licenses govern this model: its manifest is not embedded, "
                    + "so neither its license nor those its ancestors pass on can be read.")
        }
        let conclusion = LicenseConclusion(for: manifest, in: chain)
        guard let predicate = manifest.predicate else {
            return ExportLicensing(
                declared: .undeclared, declaredNote: "An OMS manifest (written by model_signing) records no license.",
                concluded: conclusion, concludedNote: conclusion.explanation)
        }
        let declared = ExportLicense(predicate.license?.id)
        var note: String
        switch declared {
        case .undeclared:
            note = predicate.license == nil ? "The signed manifest declares no license." : "The signed manifest declares NOASSERTION: no license."
        case .noLicense:
            note = "The signed manifest declares NONE: no license applies."
        case .listed, .expression, .reference, .unlisted:
            note = "Declared in the signed manifest"
            let files = predicate.license?.files ?? []
            note += files.isEmpty
                ? ", which names no file carrying its text."
                : "; its text ships as " + files.map { "\($0.name) (sha256:\($0.digest))" }.joined(separator: ", ") + "."
        }
        return ExportLicensing(declared: declared, declaredNote: note, concluded: conclusion, concludedNote: conclusion.explanation)
    }
}

/// A model's license as its manifest declares it and as pedigree concludes it, each with the
/// sentence an export carries to say where it comes from.
struct ExportLicensing {
    var declared: ExportLicense
    var declaredNote: String
    var concluded: LicenseConclusion
    var concludedNote: String
}

/// A license id as the export formats need to see it.
enum ExportLicense: Equatable {
    /// An identifier on the SPDX License List, in its canonical spelling.
    case listed(String)
    /// A compound SPDX expression (`A AND B`, `A WITH E`, …).
    case expression(String)
    /// A `LicenseRef-…` of its own.
    case reference(String)
    /// Anything else: a name that no list defines.
    case unlisted(String)
    /// `NOASSERTION` or nothing: no license is declared.
    case undeclared
    /// `NONE`: the declaration is that no license applies.
    case noLicense

    init(_ id: String?) {
        let trimmed = (id ?? "").trimmingSpaces
        let upper = trimmed.uppercased()
        if trimmed.isEmpty || upper == "NOASSERTION" {
            self = .undeclared
        } else if upper == "NONE" {
            self = .noLicense
        } else if trimmed.contains("(") || [" AND ", " OR ", " WITH "].contains(where: (" " + upper + " ").contains) {
            self = .expression(trimmed)
        } else if upper.hasPrefix("LICENSEREF-") {
            self = .reference("LicenseRef-" + trimmed.dropFirst("LicenseRef-".count))
        } else if let listed = Self.listedIDs.first(where: { $0.uppercased() == upper }) {
            self = .listed(listed)
        } else {
            self = .unlisted(trimmed)
        }
    }

    /// A valid SPDX license expression for this license (an unlisted name becomes a
    /// `LicenseRef-`), or `nil` when none is declared.
    var spdxExpression: String? {
        switch self {
        case let .listed(id), let .expression(id): return id
        case let .reference(id): return "LicenseRef-" + Self.idString(String(id.dropFirst("LicenseRef-".count)))
        case let .unlisted(name): return "LicenseRef-" + Self.idString(name)
        case .undeclared, .noLicense: return nil
        }
    }

    /// `name` reduced to the characters an SPDX `idstring` allows.
    static func idString(_ name: String) -> String {
        String(name.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "-": return Character(scalar)
            default: return "-"
            }
        })
    }

    /// Identifiers from the SPDX License List (3.28) that models, their code and their data
    /// commonly carry; others are exported by name.
    static let listedIDs: [String] = [
        "0BSD", "AFL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.1", "Apache-2.0", "Artistic-2.0",
        "BSD-1-Clause", "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSD-4-Clause", "BSL-1.0",
        "C-UDA-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-NC-2.0", "CC-BY-NC-3.0",
        "CC-BY-NC-4.0", "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-4.0", "CC-BY-NC-SA-2.0", "CC-BY-NC-SA-3.0",
        "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0",
        "CDLA-Permissive-1.0", "CDLA-Permissive-2.0", "CDLA-Sharing-1.0", "ECL-2.0", "EPL-1.0", "EPL-2.0",
        "EUPL-1.1", "EUPL-1.2", "GFDL-1.3-only", "GFDL-1.3-or-later", "GPL-2.0-only", "GPL-2.0-or-later",
        "GPL-3.0-only", "GPL-3.0-or-later", "ISC", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
        "LGPL-3.0-or-later", "LPPL-1.3c", "MIT", "MIT-0", "MPL-1.1", "MPL-2.0", "MS-PL", "MulanPSL-2.0",
        "NCSA", "O-UDA-1.0", "ODC-By-1.0", "ODbL-1.0", "OFL-1.1", "OpenMDW-1.0", "OSL-3.0", "PDDL-1.0",
        "PostgreSQL", "PSF-2.0", "Python-2.0", "Unicode-3.0", "Unlicense", "UPL-1.0", "W3C", "WTFPL",
        "X11", "Zlib",
    ]
}

/// Small pieces the three exporters share.
enum ExportSupport {
    /// The base of the URIs pedigree mints for exported documents.
    static let namespace = "https://pedigree.dev"

    /// `value` with everything but unreserved characters and `/` percent-encoded, so a file
    /// name or model name can sit in an IRI or a bom-ref.
    static func percentEncoded(_ value: String, keepSlash: Bool = true) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out += "/"
            default:
                let hex = hexString([byte]).uppercased()
                out += "%" + hex
            }
        }
        return out
    }

    /// A name-based UUID (RFC 9562 version 8, built from SHA-256 as its Appendix B.2 shows)
    /// of `name` in the URL namespace, as a `urn:uuid:`.
    static func uuidURN(_ name: String) -> String {
        // The URL namespace UUID 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
        let namespace: [UInt8] = [
            0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
        ]
        var bytes = Array(SHA256.hash(namespace + Array(name.utf8)).bytes.prefix(16))
        bytes[6] = (bytes[6] & 0x0f) | 0x80
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = hexString(bytes)
        func slice(_ from: Int, _ to: Int) -> Substring {
            hex[hex.index(hex.startIndex, offsetBy: from)..<hex.index(hex.startIndex, offsetBy: to)]
        }
        return "urn:uuid:\(slice(0, 8))-\(slice(8, 12))-\(slice(12, 16))-\(slice(16, 20))-\(slice(20, 32))"
    }

    /// An RFC 3339 time as UTC with whole seconds (`YYYY-MM-DDTHH:MM:SSZ`), the form SPDX
    /// requires; `nil` when `text` is not an RFC 3339 date-time.
    static func utcTimestamp(_ text: String) -> String? {
        let chars = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= chars.count else { return nil }
            var value = 0
            for c in chars[from..<from + count] {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ at: Int) -> UInt8? { at < chars.count ? chars[at] : nil }
        guard let year = number(0, 4), byte(4) == UInt8(ascii: "-"), let month = number(5, 2),
            byte(7) == UInt8(ascii: "-"), let day = number(8, 2),
            let t = byte(10), t == UInt8(ascii: "T") || t == UInt8(ascii: "t") || t == UInt8(ascii: " "),
            let hour = number(11, 2), byte(13) == UInt8(ascii: ":"), let minute = number(14, 2),
            byte(16) == UInt8(ascii: ":"), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        if byte(index) == UInt8(ascii: ".") {
            index += 1
            let start = index
            while let c = byte(index), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { index += 1 }
            guard index > start else { return nil }
        }
        var offset = 0
        switch byte(index) {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = byte(index) == UInt8(ascii: "-") ? -1 : 1
            guard let hours = number(index + 1, 2), byte(index + 3) == UInt8(ascii: ":"),
                let minutes = number(index + 4, 2), hours < 24, minutes < 60
            else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
            index += 6
        default:
            return nil
        }
        guard index == chars.count else { return nil }
        let fields = UTCFields(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
        return Timestamp.format(Clock.seconds(fields) - offset)
    }

    /// A digest as a descriptor's digest set: `sha256:<hex>` or bare 64-digit hex give
    /// `sha256`; `<algorithm>:<value>` gives that algorithm; `nil` for anything else.
    static func digestSet(_ text: String?) -> (algorithm: String, value: String)? {
        guard let text, !text.isEmpty else { return nil }
        if let digest = SHA256Digest(hex: text) { return ("sha256", digest.hex) }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        var algorithm = text[..<colon].lowercased()
        if algorithm == "sha-256" || algorithm == "sha_256" { algorithm = "sha256" }
        let value = String(text[text.index(after: colon)...])
        guard !algorithm.isEmpty, !value.isEmpty else { return nil }
        if algorithm == "sha256" {
            guard let digest = SHA256Digest(hex: value) else { return nil }
            return ("sha256", digest.hex)
        }
        return (algorithm, value)
    }

    /// The copyright notices of a predicate, retained first, one per line.
    static func copyrightText(_ predicate: ModelPredicate?) -> String? {
        guard let notices = predicate?.notices else { return nil }
        let lines = notices.retained.filter { $0.kind == .copyright }.map(\.text)
            + notices.added.filter { $0.kind == .copyright }.map(\.text)
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// The modification notices (§3.1(3)) as sentences: what was changed, and how.
    static func modificationNotes(_ predicate: ModelPredicate?) -> [String] {
        (predicate?.modifications ?? []).map { modification in
            modification.files.isEmpty
                ? modification.description
                : "\(modification.description) (modified: \(modification.files.joined(separator: ", ")))"
        }
    }

    /// `value` as compact, key-sorted JSON text.
    static func compactJSON<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSON.compact(value), as: UTF8.self)
    }

    /// A notice as compact JSON (kind, text, origin), as the manifest records it.
    static func compactJSON(_ notice: RetainedNotice) throws -> String { try StatementCodec.compactJSON(notice) }

    /// A notice as compact JSON (kind, text).
    static func compactJSON(_ notice: Notice) throws -> String { try StatementCodec.compactJSON(notice) }

    /// A dropped notice as compact JSON (kind, text, origin, reason).
    static func compactJSON(_ notice: DroppedNotice) throws -> String {
        try StatementCodec.compactJSON(notice)
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
