import PedigreeCrypto
import PedigreeKit

/// A digest cache record as a re-sign reads it back from the database (`CacheRecord`), which a
/// torn page or a flipped bit may have damaged. The input gives a stamp (its first 64 bytes), a
/// digest (the next 32), a bit to flip (the next 2) and a record (the rest):
/// - the record packed from the stamp and digest reads back as that digest;
/// - the packed record with any one bit flipped reads back as nothing;
/// - the given record, if it reads back as a digest, is exactly the record packed from it.
func fuzzCacheRecord(_ data: [UInt8]) {
    guard data.count >= 98 else { return }
    func word(_ index: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[8 * index + $1]) << (8 * UInt64($1)) }
    }
    func signed(_ index: Int) -> Int64 { Int64(bitPattern: word(index)) }
    let stamp = FileStamp(
        fileSystem: word(0), device: word(1), inode: word(2), size: signed(3),
        modified: StampTime(seconds: signed(4), nanoseconds: signed(5)),
        changed: StampTime(seconds: signed(6), nanoseconds: signed(7)))
    guard let digest = SHA256Digest(bytes: data[64..<96]) else { return }
    let packed = CacheRecord.pack(stamp, digest)
    fuzzCheck(packed.count == CacheRecord.byteCount, "a packed record is \(packed.count) bytes")
    let read = packed.withUnsafeBytes { CacheRecord.digest($0, matching: stamp) }
    fuzzCheck(read == FileDigest(digest: digest, size: stamp.size), "a packed record does not read back as its digest")
    var flipped = packed
    let bit = (Int(data[96]) | Int(data[97]) << 8) % (8 * CacheRecord.byteCount)
    flipped[bit / 8] ^= 1 << UInt8(bit % 8)
    fuzzCheck(flipped.withUnsafeBytes { CacheRecord.digest($0, matching: stamp) } == nil, "a record with bit \(bit) flipped still reads as a digest")
    let record = Array(data[98...])
    if let found = record.withUnsafeBytes({ CacheRecord.digest($0, matching: stamp) }) {
        fuzzCheck(CacheRecord.pack(stamp, found.digest) == record, "a record that reads as a digest is not the record of that digest")
    }
}
