import Foundation
import PedigreeCrypto
import Testing

@testable import PedigreeKit

/// A pedigree Statement as JSON text, with a hole for each field a test varies.
private func statement(
    resource: String = #"{"algorithm":"sha256","digest":"\#(hex("a"))","name":"model.safetensors","role":"weights","size":12}"#,
    lineage: String? = nil, root: String? = nil
) -> String {
    let rootHex = root ?? RootDigest.compute([("model.safetensors", SHA256.hash(Array("a".utf8)))]).hex
    let lineageMember = lineage.map { #","lineage":\#($0)"# } ?? ""
    return #"""
        {"_type":"https://in-toto.io/Statement/v1","predicateType":"https://pedigree.dev/model-manifest/v1",
         "subject":[{"name":"m","digest":{"sha256":"\#(rootHex)"}}],
         "predicate":{"createdAt":"2026-01-01T00:00:00Z","distribution":"files","generator":{"name":"pedigree","version":"1"},
          "model":{"name":"m"},"modifications":[],"notices":{"added":[],"dropped":[],"retained":[]},
          "resources":[\#(resource)],
          "serialization":{"allow_symlinks":false,"hash_type":"sha256","ignore_paths":[],"method":"files"}\#(lineageMember)}}
        """#
}

private func hex(_ seed: String) -> String { SHA256.hash(Array(seed.utf8)).hex }

private func decode(_ text: String) throws(ManifestError) -> DecodedStatement { try StatementCodec.decode(Array(text.utf8)) }

private func problem(_ text: String) -> String? {
    do {
        _ = try decode(text)
        return nil
    } catch {
        return error.description
    }
}

private let parent = #"{"format":"pedigree","manifestDigest":"\#(hex("p"))","name":"p","relation":"finetune","role":"base","rootDigest":"\#(hex("r"))","signers":[],"trusted":false}"#
private let derivation = #"{"datasets":[],"parameters":{}}"#

@Suite struct StatementDecoding {
    @Test func aWellFormedStatementDecodesIntoDomainTypes() throws {
        let decoded = try decode(statement(lineage: #"{"changes":[],"derivation":\#(derivation),"parents":[\#(parent)]}"#))
        #expect(decoded.format == .pedigree)
        #expect(decoded.entries.map(\.name.string) == ["model.safetensors"])
        #expect(decoded.entries[0].size == 12)
        #expect(decoded.entries[0].role == .weights)
        let lineage = try #require(decoded.predicate?.lineage)
        #expect(lineage.parents.first.role == .base)
        #expect(lineage.parents.first.manifestDigest.hex == hex("p"))
    }

    @Test func whatTheSignerWritesTheReaderReadsBackUnchanged() throws {
        let result = try ExportFixtures.threeGenerations().quantized
        let decoded = try SignedManifest(envelope: result.bundle.dsseEnvelope)
        #expect(decoded.predicate == result.predicate)
        #expect(decoded.rootDigest == result.rootDigest)
        // And the bytes: encoding the decoded predicate gives the signed payload again.
        #expect(try StatementCodec.encode(try #require(decoded.predicate), root: decoded.rootDigest) == result.bundle.dsseEnvelope.payload)
    }

    @Test func suppliedDigestsReadBackAndAreAbsentWhenNotSupplied() throws {
        let base = try ExportFixtures.threeGenerations().base
        #expect(!String(decoding: base.bundle.dsseEnvelope.payload, as: UTF8.self).contains("suppliedDigests"))
        #expect(try SignedManifest(envelope: base.bundle.dsseEnvelope).predicate?.suppliedDigests == nil)
        var predicate = base.predicate
        predicate.suppliedDigests = SuppliedDigests(spotChecked: 3, checkedAgainstFolder: false)
        let signed = try ModelSigner().sign(predicate, key: PrivateKey.generate(.ed25519))
        #expect(String(decoding: signed.bundle.dsseEnvelope.payload, as: UTF8.self)
                    .contains(#""suppliedDigests":{"checkedAgainstFolder":false,"spotChecked":3}"#))
        let decoded = try SignedManifest(envelope: signed.bundle.dsseEnvelope)
        #expect(decoded.predicate == predicate)
        #expect(try StatementCodec.encode(try #require(decoded.predicate), root: decoded.rootDigest) == signed.bundle.dsseEnvelope.payload)
    }

    @Test(arguments: [
        (#"{"spotChecked":1,"checkedAgainstFolder":true,"verified":true}"#,
         "predicate.suppliedDigests.verified is not a known field (expected checkedAgainstFolder, spotChecked)"),
        (#"{"spotChecked":-1,"checkedAgainstFolder":true}"#, "predicate.suppliedDigests.spotChecked is out of range"),
        (#"{"spotChecked":1}"#, "predicate.suppliedDigests.checkedAgainstFolder is missing"),
    ])
    func suppliedDigestsAreReadStrictly(_ value: String, _ expected: String) {
        let text = statement().replacingOccurrences(of: #""createdAt""#, with: #""suppliedDigests":\#(value),"createdAt""#)
        let message = problem(text) ?? "accepted"
        #expect(message.hasPrefix("the signed payload is not an in-toto Statement v1: " + expected), "\(message)")
    }

    @Test func anEmptyParentListCannotBeDecoded() {
        #expect(problem(statement(lineage: #"{"changes":[],"derivation":\#(derivation),"parents":[]}"#))
                == "the signed payload is not an in-toto Statement v1: predicate.lineage.parents is empty; a lineage names at least one parent")
    }

    @Test(arguments: [
        ("12.0", "is not an integer (12.0)"), ("1.2e1", "is not an integer (1.2e1)"), ("12E0", "is not an integer (12E0)"),
        ("9223372036854775808", "is out of range (9223372036854775808; expected 0…9223372036854775807)"),
        ("18446744073709551616", "is out of range (18446744073709551616; expected 0…9223372036854775807)"),
        ("-1", "is out of range (-1; expected 0…9223372036854775807)"),
        ("true", "is true or false, not an integer"), ("null", "is null, not an integer"),
    ])
    func sizesAreIntegersInRange(_ size: String, _ expected: String) {
        let resource = #"{"algorithm":"sha256","digest":"\#(hex("a"))","name":"model.safetensors","role":"weights","size":\#(size)}"#
        #expect(problem(statement(resource: resource)) == "the signed payload is not an in-toto Statement v1: predicate.resources[0].size \(expected)")
    }

    @Test func theLargestSizeIsAccepted() throws {
        let resource = #"{"algorithm":"sha256","digest":"\#(hex("a"))","name":"model.safetensors","role":"weights","size":9223372036854775807}"#
        #expect(try decode(statement(resource: resource)).entries[0].size == Int64.max)
    }

    @Test func aKeyGivenTwiceIsNamed() {
        let resource = #"{"algorithm":"sha256","digest":"\#(hex("a"))","digest":"\#(hex("b"))","name":"model.safetensors","role":"weights","size":12}"#
        let message = problem(statement(resource: resource)) ?? ""
        #expect(message.hasPrefix("the signed payload is not an in-toto Statement v1: not valid JSON (predicate.resources[0]: the key 'digest' appears twice in one object"))
    }

    @Test(arguments: [
        (#""role":"weights""#, #""role":"weight""#, "predicate.resources[0].role is 'weight', expected one of 'weights', "),
        (#""digest":"\#(hex("a"))""#, #""digest":"\#(hex("a").uppercased())""#, "predicate.resources[0].digest is not a lowercase SHA-256 hex digest"),
        (#""algorithm":"sha256""#, #""algorithm":"md5""#, "predicate.resources[0].algorithm is 'md5', expected 'sha256'"),
    ])
    func fieldsAreCheckedAgainstTheirTypes(_ original: String, _ replacement: String, _ expected: String) {
        let text = statement().replacingOccurrences(of: original, with: replacement)
        #expect(problem(text)?.hasPrefix("the signed payload is not an in-toto Statement v1: " + expected) == true, "\(problem(text) ?? "accepted")")
    }

    @Test func parentRolesFormatsAndDigestsAreChecked() {
        for (field, value, expected) in [
            ("role", "\"student\"", "predicate.lineage.parents[0].role is 'student', expected one of 'base', 'teacher'"),
            ("format", "\"gguf\"", "predicate.lineage.parents[0].format is 'gguf', expected one of 'pedigree', 'oms'"),
            ("manifestDigest", "\"abc\"", "predicate.lineage.parents[0].manifestDigest is not a lowercase SHA-256 hex digest"),
        ] {
            let edited = parent.replacingOccurrences(
                of: #"\#(field)":"# + (parent.components(separatedBy: "\(field)\":")[1].components(separatedBy: ",")[0]),
                with: #"\#(field)":\#(value)"#)
            let text = statement(lineage: #"{"changes":[],"derivation":\#(derivation),"parents":[\#(edited)]}"#)
            #expect(problem(text) == "the signed payload is not an in-toto Statement v1: \(expected)")
        }
    }

    @Test func unsafeNamesAreAllListed() {
        let resources = [
            #"{"algorithm":"sha256","digest":"\#(hex("a"))","name":"../x","role":"other","size":1}"#,
            #"{"algorithm":"sha256","digest":"\#(hex("a"))","name":"ok","role":"other","size":1}"#,
            #"{"algorithm":"sha256","digest":"\#(hex("a"))","name":"a\\b","role":"other","size":1}"#,
        ].joined(separator: ",")
        #expect(throws: ManifestError.unsafeNames([
            "resource 1: name '../x' leaves the folder ('..')", "resource 3: name 'a\\b' contains a backslash",
        ])) {
            try decode(statement(resource: resources))
        }
    }
}

@Suite struct BundleDecoding {
    private func bundle(_ envelope: String, extra: String = "") -> String {
        #"{"mediaType":"\#(MediaTypes.bundle)","dsseEnvelope":\#(envelope)\#(extra)}"#
    }

    private let envelope = #"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"k","sig":"AAAA"}]}"#

    private func problem(_ text: String) -> String? {
        do {
            _ = try ManifestBundle.parse(Array(text.utf8))
            return nil
        } catch {
            return error.description
        }
    }

    @Test func base64IsDecodedOnce() throws {
        let parsed = try ManifestBundle.parse(Array(bundle(envelope).utf8))
        #expect(parsed.dsseEnvelope.payload == Array("{}".utf8))
        #expect(parsed.dsseEnvelope.signatures == [EnvelopeSignature(keyid: "k", sig: [0, 0, 0])])
        #expect(parsed.kind == .pedigree)
        #expect(parsed.ancestors.isEmpty)
    }

    @Test func twoEnvelopesAreRefused() {
        #expect(problem(bundle(envelope, extra: #","dsseEnvelope":\#(envelope)"#))?
            .hasPrefix("not valid JSON (the key 'dsseEnvelope' appears twice in one object; a key may be given once") == true)
    }

    @Test func limitsAreCheckedBeforeAnythingElseIsDecoded() {
        let signatures = Array(repeating: #"{"keyid":"k","sig":"!"}"#, count: 65).joined(separator: ",")
        let crowded = #"{"payloadType":"x","payload":"e30=","signatures":[\#(signatures)]}"#
        #expect(problem(bundle(crowded)) == "dsseEnvelope.signatures holds 65 signatures; at most 64 are read")
        let ancestors = Array(repeating: #"{"dsseEnvelope":\#(envelope)}"#, count: 1025).joined(separator: ",")
        #expect(problem(bundle(envelope, extra: #","ancestors":[\#(ancestors)]"#)) == "ancestors holds 1025 manifests; at most 1024 are read")
        #expect(problem(bundle(envelope, extra: #","ancestors":[{"dsseEnvelope":{"payloadType":"x","payload":"e30=","signatures":[]}}]"#))
                == "ancestors[0].dsseEnvelope.signatures is empty: the manifest is not signed")
        #expect(problem(bundle(#"{"payloadType":"x","payload":"e30","signatures":[{"sig":"%"}]}"#))
                == "dsseEnvelope.signatures[0].sig is not valid Base64")
    }

    @Test func duplicateAncestorsAreRefusedByTheChain() throws {
        let base = try ExportFixtures.threeGenerations().base
        let entry = AncestorEntry(dsseEnvelope: base.bundle.dsseEnvelope)
        let bundle = ManifestBundle(kind: .pedigree, dsseEnvelope: base.bundle.dsseEnvelope, ancestors: [entry, entry])
        #expect(throws: ManifestError.duplicateAncestor(first: 1, second: 2, base.manifestDigest)) {
            try ModelChain(bundle: bundle)
        }
    }
}

@Suite struct DerivationSpecs {
    private func problem(_ text: String) -> String? {
        do {
            _ = try DerivationSpec.parse(text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func scalarsKeepTheirTextAndRolesAreEnums() throws {
        let spec = try DerivationSpec.parse("""
            parents: [{path: a}, {path: b, role: teacher}]
            relation: distillation
            parameters: {lr: 2e-5, epochs: 3, packing: true}
            tool: x@1.0
            method: ~
            """)
        #expect(spec.parents?.map(\.role) == [nil, .teacher])
        #expect(spec.parameters == ["lr": "2e-5", "epochs": "3", "packing": "true"])
        #expect(spec.tool == Tool(name: "x", version: "1.0"))
        #expect(spec.method == nil)
    }

    @Test(arguments: [
        ("relation: finetune\nrelation: merge\n", "duplicated key(s): 'relation'"),
        ("parameters: {1: a, \"1\": b}\n", "the key '1' appears twice in one mapping (at parameters)"),
        ("relaton: finetune\n", "relaton is not a known field"),
        ("parents: [{path: a, role: student}]\n", "parents[0].role is 'student', expected one of 'base', 'teacher'"),
        ("parents: {path: a}\n", "parents is an object, not a list"),
        ("method: [a, b]\n", "method is a list, not a string"),
    ])
    func badSpecsAreNamed(_ text: String, _ expected: String) {
        let message = problem(text)
        #expect(message?.contains(expected) == true, "\(message ?? "accepted")")
    }

    @Test func aliasesCannotExpandWithoutBound() {
        // Nine levels of ten references each: 10^9 values if expanded.
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(refs)]")
        }
        lines.append("method: done")
        // The message says where expansion stopped: at the cap, not after 10^9 values.
        let message = problem(lines.joined(separator: "\n") + "\n")
        #expect(message == "not valid YAML or JSON: the document expands to more than 100000 values")
    }
}

/// The Statement's resource list is written straight into the output; it must be byte for byte
/// what `JSONEncoder` writes, or every signature's manifest digest would change.
@Suite struct StatementEncodingFastPath {
    @Test func everyCharacterIsEscapedAsJSONEncoderEscapesIt() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let scalars = Array(0...0x7F) + [0x80, 0xA0, 0xE9, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0x1F600]
        for value in scalars {
            let text = "a" + String(Character(try #require(Unicode.Scalar(UInt32(value))))) + "/b"
            var ours: [UInt8] = []
            StatementCodec.appendJSONString(text, to: &ours)
            let theirs = Array(try encoder.encode([text]).dropFirst().dropLast())
            #expect(ours == theirs, "U+\(String(value, radix: 16)): \(String(decoding: ours, as: UTF8.self))")
        }
    }

    @Test(arguments: [0, 1, 3, 500])
    func aStatementEqualsTheOneJSONEncoderWrites(count: Int) throws {
        let names = ["model.safetensors", "a \"quoted\" name", #"back\slash"#, "tab\there", "é/ü/日本.bin", "LICENSE", "x/y/z.json"]
        var resources: [Resource] = []
        for index in 0..<count {
            let base = names[index % names.count]
            let name = index < names.count ? base : "\(index)/\(base)"
            guard let valid = try? ResourceName(name) else { continue }
            resources.append(Resource(
                name: valid, digest: SHA256.hash(Array(name.utf8)), size: index == 2 ? Int64.max : Int64(index * 977),
                role: Role.allCases[index % Role.allCases.count]))
        }
        let predicate = ModelPredicate(
            model: ModelInfo(name: "m \"resources\":[]", version: "1"), resources: resources,
            serialization: Serialization(allowSymlinks: false, ignorePaths: [".git", "pedigree.json"]),
            license: LicenseInfo(id: "Apache-2.0", name: nil, files: []),
            notices: Notices(added: [], additionalTerms: nil), lineage: nil, modifications: [], distribution: .files,
            generator: Generator(), createdAt: "2026-01-01T00:00:00Z")
        let root = RootDigest.compute(resources.map { ($0.name.string, $0.digest) })
        let fast = try StatementCodec.encode(predicate, root: root)
        #expect(fast == (try StatementCodec.encodeWhole(predicate, root: root)))
        #expect(try StatementCodec.decode(fast).entries.map(\.name) == resources.map(\.name))
    }
}

/// The resource list is decoded as it is read: the errors are those of a walk of the list.
@Suite struct StreamedResourceDecoding {
    private static let good = #"{"algorithm":"sha256","digest":"\#(hex("a"))","name":"model.safetensors","role":"weights","size":12}"#

    @Test func theFirstBadResourceInListOrderIsNamed() {
        let badSize = Self.good.replacingOccurrences(of: #""size":12"#, with: #""size":1.5"#)
        let badDigest = Self.good.replacingOccurrences(of: hex("a"), with: "x")
        #expect(problem(statement(resource: [Self.good, badSize, badDigest].joined(separator: ",")))
            == "the signed payload is not an in-toto Statement v1: predicate.resources[1].size is not an integer (1.5)")
        #expect(problem(statement(resource: [Self.good, badDigest, badSize].joined(separator: ",")))
            == "the signed payload is not an in-toto Statement v1: predicate.resources[1].digest is not a lowercase SHA-256 hex digest")
        #expect(problem(statement(resource: [Self.good, "7"].joined(separator: ",")))
            == "the signed payload is not an in-toto Statement v1: predicate.resources[1] is a number, not an object")
    }

    @Test func aResourceListThatIsNotAListIsNamed() {
        let text = statement().replacingOccurrences(of: #""resources":[\#(Self.good)]"#, with: #""resources":{"x":[\#(Self.good)]}"#)
        #expect(problem(text) == "the signed payload is not an in-toto Statement v1: predicate.resources is an object, not a list")
    }

    @Test func manyResourcesDecodeInOrder() throws {
        let names = (0..<300).map { "d\($0 / 100)/f\($0).bin" }
        let list = names.map { Self.good.replacingOccurrences(of: "model.safetensors", with: $0) }.joined(separator: ",")
        let decoded = try decode(statement(resource: list))
        #expect(decoded.entries.map(\.name.string) == names)
        #expect(decoded.predicate?.resources.allSatisfy { $0.size == 12 && $0.role == .weights } == true)
    }
}
