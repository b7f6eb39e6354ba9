import PedigreeCrypto
import PedigreeKit

/// A Git LFS pointer as `verify` reads one found in place of a listed file; a pointer that
/// parses must come back the same from its canonical text, and nothing of 1024 bytes or more
/// is ever a pointer.
func fuzzLFSPointer(_ data: [UInt8]) {
    guard let pointer = try? LFSPointer(parsing: data) else { return }
    fuzzCheck(data.count < LFSPointer.maximumBytes, "a pointer of \(data.count) bytes was accepted")
    let canonical = Array(LFSPointer.text(oid: pointer.oid, size: pointer.size).utf8)
    fuzzCheck((try? LFSPointer(parsing: canonical)) == pointer, "the canonical text of a pointer does not parse back to it")
}
