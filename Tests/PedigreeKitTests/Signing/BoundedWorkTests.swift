import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// A chain of `generations` manifests, each the parent of the next, every envelope padded
/// to `Limits.signaturesPerEnvelope` signatures by `extra(generation, slot)`: the shape of
/// the 15 MB bundle that once took 97 s of CPU to reject.
private func paddedChain(
    generations: Int, key: PrivateKey, extra: (Int, Int) -> EnvelopeSignature
) throws -> ManifestBundle {
    let signer = ModelSigner()
    var envelopes: [Envelope] = []
    var previous: SignResult?
    for generation in 0..<generations {
        var lineage: Lineage?
        if let previous {
            lineage = Lineage(
                parents: NonEmptyArray(ParentReference(
                    name: previous.predicate.model.name, manifestDigest: previous.manifestDigest,
                    rootDigest: previous.rootDigest, relation: .finetune, role: .base, signers: [previous.keyID],
                    trusted: false, format: .pedigree)),
                derivation: Derivation(), changes: [])
        }
        let predicate = ModelPredicate(
            model: ModelInfo(name: "g\(generation)"),
            resources: [Resource(
                name: try ResourceName("w"), digest: SHA256.hash(Array("\(generation)".utf8)), size: 1, role: .weights)],
            serialization: Serialization(allowSymlinks: false, ignorePaths: ModelFolder.defaultIgnores), license: nil,
            notices: Notices(), lineage: lineage, modifications: [], distribution: .hosted, generator: Generator(),
            createdAt: "2026-01-01T00:00:00Z")
        let result = try signer.sign(predicate, key: key)
        var envelope = result.bundle.dsseEnvelope
        for slot in 1..<Limits.signaturesPerEnvelope { envelope.signatures.append(extra(generation, slot)) }
        envelopes.append(envelope)
        previous = result
    }
    let top = envelopes.removeLast()
    return ManifestBundle(kind: .pedigree, dsseEnvelope: top, ancestors: envelopes.reversed().map { AncestorEntry(dsseEnvelope: $0) })
}

/// A DER-encoded ECDSA P-384 signature (valid in form, over other bytes).
private let derSignature: [UInt8] = {
    (try? PrivateKey.generate(.ecdsaP384).sign(Array("something else".utf8))) ?? []
}()

@Suite(.serialized) struct BoundedSignatureWork {
    @Test func signaturesByUnknownKeysCostNoVerification() throws {
        let folder = try TemporaryFolder()
        let stranger = try PrivateKey.generate(.ed25519)
        let bundle = try paddedChain(generations: Limits.ancestors + 1, key: stranger) { generation, slot in
            EnvelopeSignature(keyid: SHA256.hash(Array("\(generation)/\(slot)".utf8)).hex, sig: derSignature)
        }
        #expect(bundle.ancestors.count == Limits.ancestors)
        let path = try folder.write("pedigree.json", Data(try bundle.encoded()))
        try folder.makeFolder("model")
        let trusted = TrustedKey(key: try PrivateKey.generate(.ecdsaP384).publicKey, label: "trusted.pub")
        let report = ManifestVerifier(keys: [trusted]).verify(folder: folder.url("model"), manifestPath: path)
        // The work is counted, not timed: the old 97 s of CPU were these verifications.
        #expect(report.signatureVerifications == 0)
        #expect(report.ancestors.count == Limits.ancestors)
        #expect(report.ancestors.allSatisfy { $0.trust == .untrusted })
        #expect(report.problems.contains { $0.hasPrefix("no signature is by a trusted key") })
        #expect(!report.verified)
    }

    @Test func signaturesWithoutAKeyIdStopAtTheBudget() throws {
        let folder = try TemporaryFolder()
        let stranger = try PrivateKey.generate(.ed25519)
        let bundle = try paddedChain(generations: 40, key: stranger) { _, _ in EnvelopeSignature(keyid: "", sig: derSignature) }
        let path = try folder.write("pedigree.json", Data(try bundle.encoded()))
        let keys = try (0..<3).map { TrustedKey(key: try PrivateKey.generate(.ed25519).publicKey, label: "k\($0).pub") }
        // 40 envelopes × 63 anonymous signatures × 3 keys would be 7,560 verifications.
        let report = ManifestVerifier(keys: keys, signatureLimit: 500).verify(folder: folder.path, manifestPath: path)
        #expect(report.signatureVerifications == 500)
        #expect(report.problems.contains {
            $0.hasPrefix("signature checks stopped after 500 verifications, the most one run performs; ")
        })
        #expect(report.ancestors.contains { $0.signatures.contains { $0.status == .unchecked } })
        #expect(!report.verified)
        #expect(Limits.signatureVerificationsPerRun == 4 * Limits.ancestors)
    }

    @Test func aForgedSignatureNamingATrustedKeyCostsOneVerificationPerEnvelope() throws {
        let folder = try TemporaryFolder()
        let trustedKey = try PrivateKey.generate(.ed25519)
        let trustedID = try trustedKey.publicKey.keyID
        let stranger = try PrivateKey.generate(.ed25519)
        let bundle = try paddedChain(generations: 30, key: stranger) { _, _ in
            EnvelopeSignature(keyid: trustedID, sig: Array(repeating: 7, count: 64))
        }
        let path = try folder.write("pedigree.json", Data(try bundle.encoded()))
        let report = ManifestVerifier(keys: [TrustedKey(key: try trustedKey.publicKey, label: "t.pub")])
            .verify(folder: folder.path, manifestPath: path)
        // The first forged signature of each envelope proves it altered; the other 62 are not tried.
        #expect(report.signatureVerifications == 30)
        #expect(report.signatures.filter { $0.status == .invalid }.count == 1)
        #expect(report.signatures.filter { $0.status == .unchecked }.count == Limits.signaturesPerEnvelope - 2)
        #expect(report.ancestors.allSatisfy { $0.trust == .invalid })
    }
}

@Suite struct FilesOfTheWrongSize {
    @Test func aListedFileOfAnotherSizeIsModifiedWithoutBeingRead() throws {
        let folder = try TemporaryFolder()
        try folder.write("model/config.json", "{\"a\": 1}")
        try folder.write("model/model.safetensors", "weights")
        let key = try PrivateKey.generate(.ed25519)
        let signer = ModelSigner()
        let predicate = try signer.describe(SignRequest(folder: folder.url("model"), createdAt: "2026-01-01T00:00:00Z"))
        let result = try signer.sign(predicate, key: key)
        let manifest = try folder.write("pedigree.json", Data(try result.bundle.encoded()))
        // The weights replaced by a 1 GiB sparse file: reading it would cost a gigabyte.
        #expect(truncate(folder.url("model/model.safetensors"), 1 << 30) == 0)
        let read = ByteCounter()
        let report = ManifestVerifier(keys: [TrustedKey(key: try key.publicKey, label: "k.pub")])
            .verify(folder: folder.url("model"), manifestPath: manifest, progress: read)
        #expect(report.files.map(\.name) == ["config.json", "model.safetensors"])
        #expect(report.files.map(\.status) == [.ok, .modified])
        #expect(report.files[1].actual == nil)
        // Only config.json went through the hasher.
        #expect(read.total == 8)
    }
}

@Suite struct CountersigningTrust {
    @Test func aStrangersOwnPatternsAreRefusedUnlessTrustedOrAccepted() throws {
        let folder = try TemporaryFolder()
        try folder.write("model/config.json", "{}")
        try folder.write("model/evil.py", "import os")
        let stranger = try PrivateKey.generate(.ed25519)
        let signer = ModelSigner()
        let request = SignRequest(folder: folder.url("model"), ignore: ["*.py"], createdAt: "2026-01-01T00:00:00Z")
        let signed = try signer.sign(try signer.describe(request), key: stranger)
        let path = try folder.write("model/pedigree.json", Data(try signed.bundle.encoded()))
        let auditor = try PrivateKey.generate(.ecdsaP256)
        #expect(throws: CountersignError.untrustedSerialization(path: path, patterns: ["*.py"], followsLinks: false)) {
            try Countersigner.countersign(
                folder: folder.url("model"), manifestPath: path, key: auditor, trustedKeys: [], acceptManifestSerialization: false)
        }
        let trusted = try Countersigner.countersign(
            folder: folder.url("model"), manifestPath: path, key: auditor,
            trustedKeys: [TrustedKey(key: try stranger.publicKey, label: "s.pub")], acceptManifestSerialization: false)
        #expect(trusted.check.signerTrusted)
        #expect(trusted.check.manifestPatterns == ["*.py"])
        #expect(trusted.check.filesChecked == 1)
        #expect(trusted.signatures.elements == [AddedSignature(index: 2, keyID: try auditor.publicKey.keyID)])
        #expect(trusted.bundle.dsseEnvelope.payload == signed.bundle.dsseEnvelope.payload)
        let accepted = try Countersigner.countersign(
            folder: folder.url("model"), manifestPath: path, key: auditor, trustedKeys: [], acceptManifestSerialization: true)
        #expect(!accepted.check.signerTrusted)
        #expect(accepted.check.manifestPatterns == ["*.py"])
    }
}
