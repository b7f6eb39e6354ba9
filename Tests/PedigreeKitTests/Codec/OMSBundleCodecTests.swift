import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// The example bundles of the OMS v1.0 specification (`test-vectors/`) read as the spec says.
@Suite(.needsOMSSpec) struct OMSSpecTestVectors {
    private func load(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try Reference.omsSpecFolder() + "/test-vectors/" + relative)))
    }

    private func failure(_ relative: String) throws -> String {
        do {
            let bundle = try ManifestBundle.parse(try load(relative))
            _ = try SignedManifest(envelope: bundle.dsseEnvelope)
            return ""
        } catch let error as ManifestError {
            return error.description
        }
    }

    /// §4.1: each valid example is read with its signing method and its Statement decodes.
    @Test(arguments: [
        ("valid/key.bundle.json", SigningMethod.key, 0),
        ("valid/certificate.bundle.json", .certificate, 2),
        ("valid/sigstore.bundle.json", .sigstore, 1),
    ])
    func validExamplesParse(_ relative: String, _ method: SigningMethod, _ certificates: Int) throws {
        let bundle = try ManifestBundle.parse(try load(relative))
        #expect(bundle.kind == .sigstore)
        let material = try #require(bundle.verificationMaterial)
        #expect(material.method == method)
        #expect((material.certificateChain?.count ?? (material.sigstoreCertificate == nil ? 0 : 1)) == certificates)
        let manifest = try SignedManifest(envelope: bundle.dsseEnvelope)
        #expect(manifest.format == .oms)
        #expect(!manifest.entries.isEmpty)
        #expect(manifest.contradictions() == [])
        if method == .key { #expect(material.publicKeyHint?.count == 64) }
        if method == .sigstore { #expect(material.logEntries == 1) }
    }

    @Test func invalidExamplesFailWithTheReason() throws {
        #expect(try failure("invalid/empty.bundle.json").hasPrefix("not valid JSON ("))
        #expect(try failure("invalid/missing-envelope.bundle.json") == "dsseEnvelope is missing")
        #expect(try failure("invalid/missing-tlog-entries.bundle.json")
            == "verificationMaterial holds a Sigstore 'certificate' without 'tlogEntries'; OMS v1.0 §4.1 requires at least one "
            + "transparency-log entry for the sigstore method")
        #expect(try failure("invalid/missing-verification-material.bundle.json")
            == "verificationMaterial is missing; an OMS bundle says how it was signed (OMS v1.0 §4.1)")
        #expect(try failure("invalid-payload/wrong-predicate.bundle.json")
            == "predicateType 'https://example.com/wrong-predicate/v1.0' is neither 'https://pedigree.dev/model-manifest/v1' nor 'https://model_signing/signature/v1.0'")
    }
}

/// Verification material in every shape OMS v1.0 §4.1 and §11.1 allow, and the ones it does not.
@Suite struct VerificationMaterialDecoding {
    private let envelope = #""dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}"#

    private func parse(_ material: String) throws(ManifestError) -> ManifestBundle {
        try ManifestBundle.parse(Array(#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":\#(material),\#(envelope)}"#.utf8))
    }

    private func problem(_ material: String) -> String {
        do {
            _ = try parse(material)
            return ""
        } catch {
            return error.description
        }
    }

    @Test func everyAcceptedShapeIsRead() throws {
        #expect(try parse(#"{"publicKey":{"hint":"ab"}}"#).verificationMaterial == VerificationMaterial(publicKeyHint: "ab"))
        #expect(try parse(#"{"publicKey":{"rawBytes":"AQI=","keyDetails":"PKIX_ECDSA_P256_SHA_256"},"tlogEntries":[]}"#).verificationMaterial
            == VerificationMaterial(publicKeyRawBytes: [1, 2], keyDetails: "PKIX_ECDSA_P256_SHA_256"))
        let chain = try parse(#"{"x509CertificateChain":{"certificates":[{"rawBytes":"AQ=="},{"rawBytes":"Ag=="}]}}"#).verificationMaterial
        #expect(chain?.certificateChain == [[1], [2]])
        #expect(chain?.method == .certificate)
        let keyless = try parse(#"{"certificate":{"rawBytes":"AQ=="},"tlogEntries":[{}]}"#).verificationMaterial
        #expect(keyless?.method == .sigstore)
        #expect(keyless?.sigstoreCertificate == [1])
    }

    @Test func everyRefusedShapeSaysWhy() {
        #expect(problem("{}") == "verificationMaterial has none of 'publicKey', 'x509CertificateChain', 'certificate' (OMS v1.0 §4.1)")
        #expect(problem(#"{"publicKey":{"hint":"ab"},"certificate":{"rawBytes":"AQ=="},"tlogEntries":[{}]}"#)
            == "verificationMaterial has publicKey and certificate; a bundle carries the material of one signing method (OMS v1.0 §4.1)")
        #expect(problem(#"{"x509CertificateChain":{"certificates":[]}}"#)
            == "verificationMaterial.x509CertificateChain.certificates is empty; the certificate method needs the signing certificate")
        #expect(problem(#"{"publicKey":{"rawBytes":"***"}}"#) == "verificationMaterial.publicKey.rawBytes is not valid Base64")
        #expect(problem(#"{"x509CertificateChain":{"certificates":[\#(Array(repeating: #"{"rawBytes":"AQ=="}"#, count: 17).joined(separator: ","))]}}"#)
            == "verificationMaterial.x509CertificateChain.certificates holds 17 entries; at most 16 are read")
    }
}
