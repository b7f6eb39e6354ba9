import PedigreeCrypto
import PedigreeKit

/// A bundle file as `verify`, `lineage`, `check` and `export` read it: parsed, its chain
/// resolved and judged, and written back (what pedigree writes, it reads back the same); its
/// verification material's certificates parsed as `verify` parses them (an OMS
/// certificate-method chain, a Sigstore certificate) and its key material matched to a key.
func fuzzBundle(_ data: [UInt8]) {
    guard let bundle = try? ManifestBundle.parse(data) else { return }
    if let material = bundle.verificationMaterial {
        if let chain = material.certificateChain { _ = try? CertificateChain(derEncoded: chain) }
        if let certificate = material.sigstoreCertificate { _ = try? Certificate(derEncoded: certificate) }
        if let raw = material.publicKeyRawBytes { _ = try? PublicKey(pem: raw) }
    }
    if let rewritten = try? bundle.encoded() {
        fuzzCheck((try? ManifestBundle.parse(rewritten)) == bundle, "a bundle does not read back as it was written")
    }
    guard let chain = try? ModelChain(bundle: bundle) else { return }
    _ = chain.problems()
    for (ancestor, _) in chain.lineage() { _ = ancestor.contradictions() }
    _ = chain.manifest.contradictions()
    _ = chain.bundle.dsseEnvelope.checkSignatures(keys: [])
}
