import PedigreeCrypto
import PedigreeKit

/// A checksum list as `pedigree hash --check` reads it; every entry, written back in either
/// line format, must parse to the same name and digest.
func fuzzChecksumList(_ data: [UInt8]) {
    let list = ChecksumList(parsing: String(decoding: data, as: UTF8.self))
    for entry in list.entries {
        for format in [ChecksumLine.text, .tag] {
            let line = format.format(digest: entry.digest, path: entry.path)
            let reread = ChecksumList(parsing: line + "\n").entries
            fuzzCheck(
                reread.count == 1 && reread[0].path.utf8.elementsEqual(entry.path.utf8) && reread[0].digest == entry.digest,
                "the \(format) line for an entry does not parse back to it")
        }
    }
}
