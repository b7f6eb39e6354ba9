import PedigreeCrypto

/// A Git LFS pointer file: what a clone holds in place of a file whose content Git LFS has not
/// downloaded (Git LFS specification, `docs/spec.md`, "The Pointer").
///
/// Parsed strictly as that section states it: UTF-8; lines `{key} {value}\n`, each ending in a
/// newline, one space between key and value; keys of `[a-z0-9.-]`; `version` first and exactly
/// `https://git-lfs.github.com/spec/v1` (compared as a string); the other keys in strictly
/// ascending order; `oid` (`sha256:` and 64 lowercase hex digits) and `size` (decimal bytes)
/// required; other keys (extensions) kept out of the way but allowed, since the spec asks tools
/// to preserve keys they do not know. Files of `maximumBytes` or more are never pointers
/// (git-lfs itself reads no further than that).
public struct LFSPointer: Equatable, Sendable {
    /// The one pointer version the spec defines.
    public static let version = "https://git-lfs.github.com/spec/v1"
    /// Pointer files are smaller than this.
    public static let maximumBytes = 1024

    /// The SHA-256 of the content the pointer stands for.
    public let oid: SHA256Digest
    /// The content's size in bytes.
    public let size: Int64

    /// Parses `bytes` as a pointer file.
    ///
    /// - Throws: `LFSPointerError` naming the first rule the bytes break.
    public init(parsing bytes: [UInt8]) throws(LFSPointerError) {
        guard bytes.count < Self.maximumBytes else { throw .tooLarge }
        guard bytes.last == UInt8(ascii: "\n") else { throw .notNewlineTerminated }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        lines.removeLast()  // after the final newline
        var previous: [UInt8]?
        var oid: SHA256Digest?
        var size: Int64?
        for (index, line) in lines.enumerated() {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { throw .malformedLine(index + 1) }
            let key = Array(line[..<space])
            let value = Array(line[(space + 1)...])
            guard !key.isEmpty, key.allSatisfy(Self.isKeyByte) else { throw .malformedLine(index + 1) }
            guard !value.isEmpty, value.first != UInt8(ascii: " "), !value.contains(UInt8(ascii: "\r")) else {
                throw .malformedLine(index + 1)
            }
            let keyText = String(decoding: key, as: UTF8.self)
            if index == 0 {
                guard keyText == "version" else { throw .versionNotFirst }
                guard value.elementsEqual(Self.version.utf8) else { throw .unknownVersion }
                continue
            }
            if let previous, !previous.lexicographicallyPrecedes(key) { throw .keysOutOfOrder(keyText) }
            previous = key
            switch keyText {
            case "version": throw .keysOutOfOrder(keyText)
            case "oid":
                let prefix = Array("sha256:".utf8)
                guard value.starts(with: prefix), value.count == prefix.count + 64,
                    value.dropFirst(prefix.count).allSatisfy(Self.isLowercaseHex),
                    let digest = SHA256Digest(hex: String(decoding: value.dropFirst(prefix.count), as: UTF8.self))
                else { throw .badOID }
                oid = digest
            case "size":
                guard value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                    value.count == 1 || value.first != UInt8(ascii: "0"),
                    let number = Int64(String(decoding: value, as: UTF8.self))
                else { throw .badSize }
                size = number
            default:
                break
            }
        }
        guard !lines.isEmpty else { throw .versionNotFirst }
        guard let oid else { throw .missing("oid") }
        guard let size else { throw .missing("size") }
        self.oid = oid
        self.size = size
    }

    /// The canonical text of a pointer to `oid` and `size`, as `git lfs pointer` writes it.
    public static func text(oid: SHA256Digest, size: Int64) -> String {
        "version \(version)\noid sha256:\(oid.hex)\nsize \(size)\n"
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}

/// Why some bytes are not a Git LFS pointer.
public enum LFSPointerError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLarge
    case notNewlineTerminated
    case notUTF8
    case malformedLine(Int)
    case versionNotFirst
    case unknownVersion
    case keysOutOfOrder(String)
    case badOID
    case badSize
    case missing(String)

    public var description: String {
        switch self {
        case .tooLarge: return "\(LFSPointer.maximumBytes) bytes or more"
        case .notNewlineTerminated: return "does not end with a newline"
        case .notUTF8: return "not UTF-8"
        case let .malformedLine(line): return "line \(line) is not '{key} {value}'"
        case .versionNotFirst: return "the first line is not 'version'"
        case .unknownVersion: return "the version is not \(LFSPointer.version)"
        case let .keysOutOfOrder(key): return "key '\(printable(key))' is out of order or repeated"
        case .badOID: return "oid is not 'sha256:' and 64 lowercase hex digits"
        case .badSize: return "size is not a decimal number of bytes"
        case let .missing(key): return "no '\(key)' line"
        }
    }
}
