import PedigreeKit

/// A derivation spec (YAML or JSON) as `sign --spec` and `notices --spec` read it.
func fuzzSpec(_ data: [UInt8]) {
    _ = try? DerivationSpec.parse(String(decoding: data, as: UTF8.self))
}
