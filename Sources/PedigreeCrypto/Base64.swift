/// Standard Base64 (RFC 4648 §4) with padding.
public func base64Encode(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index + 3 <= bytes.count {
        let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
        out.append(alphabet[Int(value >> 18 & 63)])
        out.append(alphabet[Int(value >> 12 & 63)])
        out.append(alphabet[Int(value >> 6 & 63)])
        out.append(alphabet[Int(value & 63)])
        index += 3
    }
    let rest = bytes.count - index
    if rest > 0 {
        let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
        out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)]]
        out += rest == 2 ? [alphabet[Int(value >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
    }
    return String(decoding: out, as: UTF8.self)
}

/// Decodes Base64 in the standard or the URL-safe alphabet (RFC 4648 §4, §5), with or
/// without padding, as DSSE allows; `nil` for any other character, misplaced padding or
/// a length no encoder produces.
public func base64Decode(_ text: String) -> [UInt8]? {
    var values: [UInt8] = []
    values.reserveCapacity(text.utf8.count)
    var padding = 0
    for c in text.utf8 {
        if c == UInt8(ascii: "=") {
            padding += 1
            continue
        }
        guard padding == 0 else { return nil }  // data after padding
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "+"), UInt8(ascii: "-"): values.append(62)
        case UInt8(ascii: "/"), UInt8(ascii: "_"): values.append(63)
        default: return nil
        }
    }
    let remainder = values.count % 4
    guard remainder != 1, padding <= 2 else { return nil }
    if padding > 0 { guard (values.count + padding) % 4 == 0 else { return nil } }
    var out: [UInt8] = []
    out.reserveCapacity(values.count * 3 / 4)
    var index = 0
    while index + 4 <= values.count {
        let v = UInt32(values[index]) << 18 | UInt32(values[index + 1]) << 12 | UInt32(values[index + 2]) << 6 | UInt32(values[index + 3])
        out.append(UInt8(v >> 16 & 0xff))
        out.append(UInt8(v >> 8 & 0xff))
        out.append(UInt8(v & 0xff))
        index += 4
    }
    if remainder == 2 {
        let v = UInt32(values[index]) << 18 | UInt32(values[index + 1]) << 12
        guard v & 0xffff == 0 else { return nil }  // non-canonical trailing bits
        out.append(UInt8(v >> 16 & 0xff))
    } else if remainder == 3 {
        let v = UInt32(values[index]) << 18 | UInt32(values[index + 1]) << 12 | UInt32(values[index + 2]) << 6
        guard v & 0xff == 0 else { return nil }
        out += [UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff)]
    }
    return out
}
