import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// The evidence `sign --parent P --relation R` computes, through the same library calls the
/// command makes: parents loaded, the child hashed with its tensors, evidence assessed and attached.
@Suite("Evidence for a claimed relation")
struct ParentEvidenceTests {
    let key: PrivateKey
    let trusted: [TrustedKey]

    init() throws {
        key = try PrivateKey.generate(.ed25519)
        trusted = [TrustedKey(key: try key.publicKey, label: "signer.pub")]
    }

    /// Signs `folder` (no parents) into its pedigree.json.
    func signPlain(_ folder: String) throws {
        let signer = ModelSigner()
        let predicate = try signer.describe(SignRequest(folder: folder, createdAt: "2026-01-01T00:00:00Z"))
        try AtomicFile.write(try signer.sign(predicate, key: key).bundle.encoded(), to: folder + "/pedigree.json", overwrite: true)
    }

    /// Signs `child` as `relation` of `parent` (a folder or a manifest), as `pedigree sign` does;
    /// returns the evidence signed for the parent.
    @discardableResult
    func signDerivative(_ child: String, parent: String, _ relation: Relation, force: Bool = false) throws -> TensorEvidence? {
        let request = DerivationRequest(
            parents: [ParentSource(path: parent)], relation: relation, derivation: Derivation(),
            modifications: [ModificationRule(glob: Glob("*"), description: "derived")], drops: [], trustedKeys: trusted)
        let parents = try Deriver.loadParents(request)
        var signRequest = SignRequest(folder: child, createdAt: "2026-01-01T00:00:00Z")
        signRequest.tensorsIfReadable = ParentEvidence.available(parents)
        let described = try ModelSigner().describeWithTensors(signRequest)
        var predicate = described.predicate
        let ancestors = try Deriver.apply(request, parents: parents, to: &predicate)
        let evidence = try ParentEvidence.assess(
            relation: relation, parents: parents, child: described.tensors, childError: described.tensorError, childFolder: child).evidence
        try ParentEvidence.attach(evidence, to: &predicate, force: force)
        let result = try ModelSigner().sign(predicate, key: key, ancestors: ancestors)
        try AtomicFile.write(try result.bundle.encoded(), to: child + "/pedigree.json", overwrite: true)
        return try ModelChain.load(child + "/pedigree.json").manifest.predicate?.lineage?.parents.first.evidence
    }

    @Test(.tags(.tensorFixtures), arguments: [
        ("gguf-f16", Relation.conversion, EvidenceGrade.supported, EvidenceBasis.values),
        ("gguf-q8_0", .quantization, .supported, .values),
        ("gguf-q4_0", .quantization, .supported, .values),
        ("finetune", .finetune, .consistent, .values),
        ("lora", .adapter, .supported, .digests),
    ])
    func eachDerivativeGetsItsGradeAgainstTheParentFolder(child: String, relation: Relation, grade: EvidenceGrade, basis: EvidenceBasis) throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, parent) = try fixtures.copy("base")
        try signPlain(parent)
        let childFolder = scratch.url(child)
        try FileManager.default.copyItem(atPath: fixtures.path(child), toPath: childFolder)
        let evidence = try #require(try signDerivative(childFolder, parent: parent, relation))
        #expect(evidence.grade == grade, "\(evidence.reasons)")
        #expect(evidence.relation.rawValue == relation.rawValue)
        #expect(evidence.basis == basis, "\(evidence)")
        // The signed evidence is recomputed as signed.
        let manifest = try ModelChain.load(childFolder + "/pedigree.json").manifest
        #expect(try ParentEvidence.recheck(manifest: manifest, childFolder: childFolder, parentFolder: parent) == [])
    }

    @Test(.tags(.tensorFixtures))
    func noEvidenceForARelationTheWeightsCannotShowOrWeightsThatCannotBeRead() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, parent) = try fixtures.copy("base")
        try signPlain(parent)
        let childFolder = scratch.url("gguf-f16")
        try FileManager.default.copyItem(atPath: fixtures.path("gguf-f16"), toPath: childFolder)
        #expect(try signDerivative(childFolder, parent: parent, .distillation) == nil)
        // A derivative whose weights file is not what its name says: nothing compared, the reason told.
        let broken = scratch.url("broken")
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        try Data("not a safetensors file".utf8).write(to: URL(fileURLWithPath: broken + "/model.safetensors"))
        let request = DerivationRequest(
            parents: [ParentSource(path: parent)], relation: .finetune, derivation: Derivation(), modifications: [], drops: [], trustedKeys: [])
        let parents = try Deriver.loadParents(request)
        var signRequest = SignRequest(folder: broken, createdAt: "2026-01-01T00:00:00Z")
        signRequest.tensorsIfReadable = true
        let described = try ModelSigner().describeWithTensors(signRequest)
        #expect(described.tensors == nil)
        let assessed = try ParentEvidence.assess(
            relation: .finetune, parents: parents, child: described.tensors, childError: described.tensorError, childFolder: broken)
        #expect(assessed.evidence == [nil])
        #expect(assessed.notComputed == [
            "no evidence: the derivative's tensors could not be read: model.safetensors: header length: is 7021991845529153390, more than the 100000000 allowed"
        ])
    }

    @Test(.tags(.tensorFixtures))
    func aParentKnownByItsTensorTableGivesDigestEvidence() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, parent) = try fixtures.copy("base")
        let signer = ModelSigner()
        var request = SignRequest(folder: parent, createdAt: "2026-01-01T00:00:00Z")
        request.tensors = true
        try AtomicFile.write(try signer.sign(try signer.describe(request), key: key).bundle.encoded(), to: scratch.url("base.json"), overwrite: false)
        let childFolder = scratch.url("gguf-f32")
        try FileManager.default.copyItem(atPath: fixtures.path("gguf-f32"), toPath: childFolder)
        // The parent given by its manifest alone: digests, dtypes and shapes compared.
        let evidence = try #require(try signDerivative(childFolder, parent: scratch.url("base.json"), .conversion))
        #expect(evidence.basis == .digests)
        #expect(evidence.counts.renamed > 0)
    }

    @Test(.tags(.tensorFixtures), arguments: [
        ("gguf-q8_0", Relation.conversion, "16 tensors are quantized (F32→Q8_0 ×16), not converted: their values are not the parent's; the relation is a quantization"),
        ("base", .quantization, "no tensor changed dtype and every tensor's data is identical to the parent's: a copy, not a quantization"),
        ("finetune-resized", .finetune, "2 tensors changed shape ('lm_head.weight' [128, 64] → [130, 64], 'model.embed_tokens.weight' [128, 64] → [130, 64]); a fine-tune keeps the architecture"),
    ])
    func aContradictedClaimIsRefusedAndForcedIsRecorded(child: String, relation: Relation, reason: String) throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, parent) = try fixtures.copy("base")
        try signPlain(parent)
        let childFolder = scratch.url("child")
        try FileManager.default.copyItem(atPath: fixtures.path(child), toPath: childFolder)
        try? FileManager.default.removeItem(atPath: childFolder + "/pedigree.json")
        do {
            try signDerivative(childFolder, parent: parent, relation)
            Issue.record("a contradicted claim was signed")
        } catch let error as EvidenceError {
            guard case .contradicted(let claims) = error else { throw error }
            #expect(claims.map(\.parent) == ["base"])
            #expect(claims.first?.evidence.reasons.first == reason)
            #expect(error.exitStatus == .failure)
            #expect(error.description == "the weights contradict the claim '\(relation.rawValue) of base': "
                + (claims.first?.evidence.reasons ?? []).joined(separator: "; ")
                + "\nnothing is signed (--force-relation signs it anyway, recorded as contradicted)")
        }
        #expect(!FileManager.default.fileExists(atPath: childFolder + "/pedigree.json"))
        let forced = try #require(try signDerivative(childFolder, parent: parent, relation, force: true))
        #expect(forced.grade == .contradicted)
        #expect(forced.reasons.first == reason)
    }

    @Test(.tags(.tensorFixtures))
    func aForgedEvidenceSummaryIsCaughtNamingTheField() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, parent) = try fixtures.copy("base")
        try signPlain(parent)
        let childFolder = scratch.url("gguf-q8_0")
        try FileManager.default.copyItem(atPath: fixtures.path("gguf-q8_0"), toPath: childFolder)
        try signDerivative(childFolder, parent: parent, .quantization)
        // Re-sign the manifest with its evidence edited, as a dishonest publisher could.
        let chain = try ModelChain.load(childFolder + "/pedigree.json")
        var predicate = try #require(chain.manifest.predicate)
        var lineage = try #require(predicate.lineage)
        var parents = Array(lineage.parents)
        var evidence = try #require(parents[0].evidence)
        evidence.counts.quantizedConsistent -= 1
        evidence.counts.castExact += 1
        parents[0].evidence = evidence
        lineage.parents = try #require(NonEmptyArray(parents))
        predicate.lineage = lineage
        let forged = try ModelSigner().sign(predicate, key: key, ancestors: chain.bundle.ancestors)
        try AtomicFile.write(try forged.bundle.encoded(), to: childFolder + "/pedigree.json", overwrite: true)
        let manifest = try ModelChain.load(childFolder + "/pedigree.json").manifest
        #expect(manifest.predicate?.lineage?.parents.first.evidence == evidence)
        #expect(try ParentEvidence.recheck(manifest: manifest, childFolder: childFolder, parentFolder: parent) == [
            "evidence for parent 'base': counts.castExact is 1 in the manifest, 0 recomputed",
            "evidence for parent 'base': counts.quantizedConsistent is 15 in the manifest, 16 recomputed",
        ])
        // Verified as a whole: the signature is good, the evidence is not.
        var report = ManifestVerifier(keys: trusted).verify(folder: childFolder, manifestPath: childFolder + "/pedigree.json")
        #expect(report.verified)
        report.recheckEvidence(folder: childFolder, manifestPath: childFolder + "/pedigree.json", parentFolders: [parent])
        #expect(!report.verified)
        #expect(report.findings.map(\.kind) == [.evidence, .evidence])
    }

    @Test(.tags(.tensorFixtures))
    func aParentFolderWhoseWeightsAreNotItsManifestsIsRefused() throws {
        let fixtures = try TensorFixtures.get()
        let (scratch, parent) = try fixtures.copy("base")
        try signPlain(parent)
        // The parent's weights replaced after it was signed.
        try FileManager.default.removeItem(atPath: parent + "/model.safetensors")
        try FileManager.default.copyItem(atPath: fixtures.path("unrelated/model.safetensors"), toPath: parent + "/model.safetensors")
        let childFolder = scratch.url("finetune")
        try FileManager.default.copyItem(atPath: fixtures.path("finetune"), toPath: childFolder)
        #expect(throws: EvidenceError.parentFileDiffers(folder: parent, file: "model.safetensors")) {
            try signDerivative(childFolder, parent: parent, .finetune)
        }
    }
}
