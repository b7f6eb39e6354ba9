import PedigreeCrypto
import PedigreeKit

/// One signing key for every run: signing is how a predicate is written.
private let key: PrivateKey? = try? PrivateKey.generate(.ed25519)

/// A signed payload as every reader decodes it (`SignedManifest`), and, when it holds
/// pedigree's predicate, signed again by `ModelSigner`: the Statement it writes must decode
/// to the same predicate.
func fuzzStatement(_ data: [UInt8]) {
    let envelope = Envelope(payloadType: MediaTypes.inToto, payload: data, signatures: [])
    guard let manifest = try? SignedManifest(envelope: envelope) else { return }
    _ = manifest.contradictions()
    guard let predicate = manifest.predicate, let key, let signed = try? ModelSigner().sign(predicate, key: key) else { return }
    let reread = try? SignedManifest(envelope: signed.bundle.dsseEnvelope)
    fuzzCheck(reread?.predicate == predicate, "a predicate does not read back as it was signed")
    fuzzCheck(reread?.entries == manifest.entries, "the entries of a re-signed predicate differ")
}
