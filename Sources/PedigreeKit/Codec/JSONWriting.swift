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

    /// The range of the one occurrence of `needle` in `haystack`; `nil` if there is none or
    /// several (the encoders that fill a hole in encoded JSON use it to find the hole).
    static func onlyOccurrence(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard let first = needle.first else { return nil }
        var found: Range<Int>?
        var start = 0
        while start + needle.count <= haystack.count {
            if haystack[start] == first, haystack[start..<(start + needle.count)].elementsEqual(needle) {
                if found != nil { return nil }
                found = start..<(start + needle.count)
            }
            start += 1
        }
        return found
    }
}
