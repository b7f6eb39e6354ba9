import PedigreeKit

/// A digest list as `sign --digests` reads it (`sha256sum` lines or a `pedigree hash --json`
/// report): every name it accepts is one a manifest can hold, and none is listed twice.
func fuzzDigestList(_ data: [UInt8]) {
    guard let list = try? DigestList.parse(data, list: "list", folder: "model") else { return }
    var seen = Set<ResourceName>()
    for entry in list.entries {
        let name = try? ResourceName(entry.name)
        fuzzCheck(name != nil, "a listed name is not one a manifest can hold")
        if let name { fuzzCheck(seen.insert(name).inserted, "a name is listed twice") }
    }
}
