/// Standard Base64 (RFC 4648 §4) with padding.
public func base64Encode(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    base64Encode(bytes, appendingTo: &out)
    return String(decoding: out, as: UTF8.self)
}

/// The number of characters `base64Encode` makes of `count` bytes.
public func base64EncodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

/// Appends standard Base64 (RFC 4648 §4, padded) of `bytes` to `out`, growing it once: a
/// writer of a large document encodes a payload straight into the document's bytes.
///
/// Written through raw pointers into the grown array, one table look-up per character: a
/// manifest's payload is megabytes, and a checked `append` per character cost more than the
/// rest of writing the manifest.
public func base64Encode(_ bytes: [UInt8], appendingTo out: inout [UInt8]) {
    bytes.withUnsafeBufferPointer { base64Encode($0, appendingTo: &out) }
}

/// `base64Encode(_:appendingTo:)` of the bytes at `input`: a writer encodes a large payload a
/// piece at a time (every piece but the last a multiple of three bytes long, so the pieces'
/// Base64 joined is the whole's).
public func base64Encode(_ input: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]) {
    let start = out.count
    let added = base64EncodedCount(input.count)
    guard added > 0 else { return }
    out.append(contentsOf: repeatElement(0, count: added))
    out.withUnsafeMutableBufferPointer { output in
        base64Alphabet.withUTF8Buffer { alphabet in
            guard let source = input.baseAddress, let table = alphabet.baseAddress,
                  var target = output.baseAddress.map({ $0 + start }) else { return }
            let whole = input.count / 3 * 3
            var index = 0
            while index < whole {
                let value = UInt32(source[index]) << 16 | UInt32(source[index + 1]) << 8 | UInt32(source[index + 2])
                target[0] = table[Int(value >> 18)]
                target[1] = table[Int(value >> 12 & 63)]
                target[2] = table[Int(value >> 6 & 63)]
                target[3] = table[Int(value & 63)]
                target += 4
                index += 3
            }
            let rest = input.count - whole
            if rest > 0 {
                let value = UInt32(source[whole]) << 16 | (rest == 2 ? UInt32(source[whole + 1]) << 8 : 0)
                target[0] = table[Int(value >> 18)]
                target[1] = table[Int(value >> 12 & 63)]
                target[2] = rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                target[3] = UInt8(ascii: "=")
            }
        }
    }
}

private let base64Alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/// Decodes Base64 in the standard or the URL-safe alphabet (RFC 4648 §4, §5), with or
/// without padding, as DSSE allows; `nil` for any other character, misplaced padding or
/// a length no encoder produces.
///
/// One pass over the text into an output sized once: a manifest's payload is most of its
/// bytes, and no intermediate list of the characters' values is made.
public func base64Decode(_ text: String) -> [UInt8]? {
    var text = text
    return text.withUTF8 { chars -> [UInt8]? in
        var end = chars.count
        while end > 0, chars[end - 1] == UInt8(ascii: "=") { end -= 1 }
        let padding = chars.count - end
        let remainder = end % 4
        guard remainder != 1, padding <= 2 else { return nil }
        if padding > 0 { guard (end + padding) % 4 == 0 else { return nil } }
        var out: [UInt8] = []
        out.reserveCapacity(end / 4 * 3 + 2)
        var index = 0
        var v: UInt32 = 0
        while index < end {
            // Padding before the end ("Zg==Zg==") is not one of the 64 values: refused here.
            guard let value = base64Value(chars[index]) else { return nil }
            v = v << 6 | UInt32(value)
            index += 1
            if index % 4 == 0 {
                out.append(UInt8(v >> 16 & 0xff))
                out.append(UInt8(v >> 8 & 0xff))
                out.append(UInt8(v & 0xff))
                v = 0
            }
        }
        if remainder == 2 {
            guard v & 0xf == 0 else { return nil }  // non-canonical trailing bits
            out.append(UInt8(v >> 4 & 0xff))
        } else if remainder == 3 {
            guard v & 0x3 == 0 else { return nil }
            out.append(UInt8(v >> 10 & 0xff))
            out.append(UInt8(v >> 2 & 0xff))
        }
        return out
    }
}

/// The 6-bit value of a Base64 character of either alphabet; `nil` for any other byte.
private func base64Value(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
    case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
    case UInt8(ascii: "+"), UInt8(ascii: "-"): return 62
    case UInt8(ascii: "/"), UInt8(ascii: "_"): return 63
    default: return nil
    }
}
