/// A SHA-256 digest: 32 bytes, printed as 64 lowercase hex digits.
///
/// The bytes are held inline, as four big-endian 64-bit words, not in an array: a manifest of a
/// million files keeps a million digests, and an array would cost each of them a heap
/// allocation (about 80 bytes with the allocator's overhead) on top of the 32 bytes.
/// Comparing the words as unsigned integers orders digests as their bytes do.
public struct SHA256Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number of bytes in a SHA-256 digest.
    public static let byteCount = 32

    /// Bytes 0–7, 8–15, 16–23 and 24–31, the first byte of each the most significant.
    private let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The raw digest bytes, always `byteCount` long (a new array on every use; code that
    /// only reads them uses `withUnsafeBytes`).
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Wraps raw digest bytes; `nil` unless there are exactly 32 of them.
    public init?(bytes: some Sequence<UInt8>) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0
        for byte in bytes {
            guard count < Self.byteCount else { return nil }
            let value = UInt64(byte)
            switch count >> 3 {
            case 0: words.0 = words.0 << 8 | value
            case 1: words.1 = words.1 << 8 | value
            case 2: words.2 = words.2 << 8 | value
            default: words.3 = words.3 << 8 | value
            }
            count += 1
        }
        guard count == Self.byteCount else { return nil }
        (w0, w1, w2, w3) = words
    }

    /// Wraps the 32 bytes at `buffer` (which must hold exactly that many).
    public init?(_ buffer: UnsafeRawBufferPointer) {
        guard buffer.count == Self.byteCount else { return nil }
        func word(_ offset: Int) -> UInt64 {
            UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        (w0, w1, w2, w3) = (word(0), word(8), word(16), word(24))
    }

    /// Parses 64 hex digits (either case); `nil` for anything else.
    public init?(hex: some StringProtocol) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0
        for c in hex.utf8 {
            guard count < Self.byteCount * 2, let value = hexValue(c) else { return nil }
            let nibble = UInt64(value)
            switch count >> 4 {
            case 0: words.0 = words.0 << 4 | nibble
            case 1: words.1 = words.1 << 4 | nibble
            case 2: words.2 = words.2 << 4 | nibble
            default: words.3 = words.3 << 4 | nibble
            }
            count += 1
        }
        guard count == Self.byteCount * 2 else { return nil }
        (w0, w1, w2, w3) = words
    }

    /// Calls `body` with the 32 digest bytes, in order, without allocating.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var words = (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
        return try Swift.withUnsafeBytes(of: &words) { (buffer) throws(E) -> R in try body(buffer) }
    }

    /// Appends the 64 lowercase hex digits to `output` (writers of large documents use it
    /// instead of `hex`, which makes a string per digest).
    ///
    /// The 64 digits are written in place into the grown array (see `writeHex(to:)`): a
    /// manifest writes one per file.
    public func appendHex(to output: inout [UInt8]) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: Self.byteCount * 2))
        output.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            writeHex(to: base + start)
        }
    }

    /// Writes the 64 lowercase hex digits to the 64 bytes at `target`, a nibble of the digest's
    /// words at a time (writers that fill memory sized beforehand, on several threads).
    public func writeHex(to target: UnsafeMutablePointer<UInt8>) {
        hexAlphabet.withUTF8Buffer { digits in
            guard let table = digits.baseAddress else { return }
            @inline(__always) func put(_ word: UInt64, at start: UnsafeMutablePointer<UInt8>) {
                for index in 0..<16 {
                    start[index] = table[Int(truncatingIfNeeded: (word >> UInt64(60 - 4 * index)) & 0x0f)]
                }
            }
            put(w0, at: target)
            put(w1, at: target + 16)
            put(w2, at: target + 32)
            put(w3, at: target + 48)
        }
    }

    /// The `index`th of the 64 hex digits (0 is the high nibble of the first byte).
    private func hexDigit(_ index: Int) -> UInt8 {
        let word: UInt64
        switch index >> 4 {
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        default: word = w3
        }
        let shift = UInt64(60 - (index & 15) * 4)
        return hexDigits[Int(truncatingIfNeeded: (word >> shift) & 0x0f)]
    }

    /// The digest as 64 lowercase hex digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: Self.byteCount * 2) { buffer in
            for index in 0..<(Self.byteCount * 2) { buffer[index] = hexDigit(index) }
            return Self.byteCount * 2
        }
    }

    public var description: String { hex }

    public static func < (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

private let hexAlphabet: StaticString = "0123456789abcdef"

/// Lowercase hex of arbitrary bytes.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    var out = [UInt8]()
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
