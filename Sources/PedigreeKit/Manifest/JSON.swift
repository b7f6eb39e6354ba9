import Foundation

/// JSON as pedigree writes it: keys sorted, slashes unescaped, so the same value always
/// gives the same bytes.
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

    /// Decodes `T`, turning a decoding failure into a sentence that names the field.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(JSONProblem) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw JSONProblem(describing: error)
        } catch {
            throw JSONProblem(message: "not valid JSON (\(error))")
        }
    }
}

/// Why some bytes could not be read as the JSON expected: a sentence naming the field.
public struct JSONProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    init(message: String) { self.message = message }

    init(describing error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let index = key.intValue {
                    out += "[\(index)]"
                } else {
                    out += out.isEmpty ? key.stringValue : "." + key.stringValue
                }
            }
            return out.isEmpty ? "the top level" : out
        }
        switch error {
        case let .keyNotFound(key, context):
            message = "\(path(context.codingPath + [key])) is missing"
        case let .typeMismatch(type, context):
            message = "\(path(context.codingPath)) is not \(describe(type))"
        case let .valueNotFound(type, context):
            message = "\(path(context.codingPath)) is null, expected \(describe(type))"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
                message = "not valid JSON (\(underlying ?? context.debugDescription))"
            } else {
                message = "\(path(context.codingPath)): \(context.debugDescription)"
            }
        @unknown default:
            message = "not valid JSON"
        }
    }
}

private func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type, is Int64.Type: return "an integer"
    case is Bool.Type: return "true or false"
    default:
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "a valid value"
    }
}
