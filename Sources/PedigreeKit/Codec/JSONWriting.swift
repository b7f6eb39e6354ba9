import Foundation

/// JSON as pedigree writes its own documents: keys sorted, slashes unescaped, so the same
/// value always gives the same bytes (a signed Statement's digest depends on it).
enum JSON {
    /// Compact, key-sorted JSON (signed payloads).
    static func compact<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Indented, key-sorted JSON with a final newline (files people read).
    static func pretty<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return Array(try encoder.encode(value)) + [UInt8(ascii: "\n")]
    }
}
