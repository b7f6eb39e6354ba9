import Testing

@testable import PedigreeKit

@Suite("Strict JSON reader")
struct JSONReaderTests {
    private func parse(_ text: String) throws(JSONReadError) -> JSONValue {
        try JSONReader.parse(Array(text.utf8))
    }

    private func message(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func readsEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5e3, true, false, null, "x\u00e9\ud83d\ude00\n"], "b": {}} "#)
        guard case .object(let object) = value, case .array(let list)? = object["a"] else {
            Issue.record("not an object with a list: \(value)")
            return
        }
        #expect(object.keys == ["a", "b"])
        #expect(list.count == 6)
        #expect(list[0] == .number(JSONNumber(text: "1")))
        #expect(list[1] == .number(JSONNumber(text: "-2.5e3")))
        #expect(list[5] == .string("xé😀\n"))
        #expect(object["b"] == .object(JSONObject(members: [], index: [:])))
    }

    @Test func aKeyGivenTwiceIsRefusedWithItsNameAndPath() {
        #expect(message(#"{"a": {"digest": "A", "digest": "B"}}"#)?.hasPrefix("a: the key 'digest' appears twice in one object") == true)
        #expect(message(#"{"x": 1, "x": 1}"#)?.contains("the key 'x' appears twice") == true)
        // The same key in two different objects is fine.
        #expect(message(#"[{"x": 1}, {"x": 2}]"#) == nil)
    }

    @Test func numbersKeepTheirSpelling() throws {
        let cases: [(String, Int64?)] = [
            ("1208", 1208), ("1208.0", nil), ("1.208e3", nil), ("-0", 0), ("9223372036854775807", Int64.max),
            ("9223372036854775808", nil),
        ]
        for (text, expected) in cases {
            guard case .number(let number) = try parse(text) else {
                Issue.record("\(text) is not a number")
                continue
            }
            #expect(number.int64 == expected, "\(text)")
            #expect(number.text == text)
        }
        guard case .number(let big) = try parse("18446744073709551615") else { return }
        #expect(big.uint64 == UInt64.max)
    }

    @Test(arguments: [
        ("01", "leading zero"), ("1.", "digit after '.'"), ("-", "digit after '-'"), ("1e", "exponent"),
        ("+1", "unexpected '+'"), (".5", "unexpected '.'"), ("NaN", "unexpected 'N'"), ("[1,]", "unexpected ']'"),
        (#"{"a":1,}"#, "expected a key"), (#"{'a':1}"#, "expected a key"), ("[1 2]", "expected ',' or ']'"),
        ("", "empty"), ("1 2", "after the end"), (#""abc"#, "ends inside a string"), (#""\x""#, "not a JSON escape"),
        ("\"a\u{01}b\"", "control character (0x01)"), (#""\ud800""#, "high surrogate without a low one"),
        (#""\udc00""#, "low surrogate without a high one"), (#""\ud800\u0041""#, "not a low one"), ("tru", "unexpected 't'"),
    ])
    func malformedTextIsRefused(text: String, expected: String) {
        let found = message(text)
        #expect(found?.contains(expected) == true, "\(text): \(found ?? "accepted")")
    }

    /// Runs of plain bytes are copied whole around escapes; a string without any is the text's
    /// bytes as they stand, and errors still name the byte they are at.
    @Test(arguments: [
        (#""""#, ""), (#""plain é 😀""#, "plain é 😀"), (#""\n""#, "\n"), (#""ab\ncd""#, "ab\ncd"),
        (#""\u00e9x\"y\\""#, "éx\"y\\"), (#""é\té""#, "é\té"), (#""\/\/""#, "//"), (#""x\u0000""#, "x\u{0}"),
    ])
    func stringsAreReadAroundTheirEscapes(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test func aLongStringWithoutEscapesIsReadWhole() throws {
        let long = String(repeating: "QUJD", count: 250_000)
        guard case .array(let list) = try parse("[\"" + long + "\", \"a\\n" + long + "\"]"), list.count == 2 else {
            Issue.record("not a list of two")
            return
        }
        #expect(list[0] == .string(long))
        #expect(list[1] == .string("a\n" + long))
        do {
            _ = try parse("\"ab\\ncd\u{01}\"")
            Issue.record("accepted a control character")
        } catch {
            #expect(error.offset == 7 && error.message.contains("control character (0x01)"))
        }
    }

    @Test func invalidUTF8IsRefused() {
        for bytes: [UInt8] in [[0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xE2, 0x82, 0x22]] {
            #expect(throws: JSONReadError.self) { try JSONReader.parse(bytes) }
        }
        #expect(throws: JSONReadError.self) { try JSONReader.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(message(deep)?.contains("nested more than 64 deep") == true)
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try parse(fine)
        // Far deeper than any stack allows, still a clean error.
        let hostile = String(repeating: "[", count: 1_000_000)
        #expect(message(hostile)?.contains("nested more than") == true)
    }

    @Test func messagesNameThePathToTheProblem() {
        #expect(message(#"{"predicate": {"resources": [{"size": 01}]}}"#)?.hasPrefix("predicate.resources[0].size: ") == true)
    }
}

/// The reader that hands a list's elements to a sink reads and refuses exactly what the
/// tree-building reader does; only where the elements go differs.
@Suite struct StreamingJSONReader {
    private func streamed(_ text: String) -> (result: Result<(JSONValue, Bool), JSONReadError>, elements: [(Int, JSONValue)]) {
        let box = Box()
        let result = Result { () throws(JSONReadError) -> (JSONValue, Bool) in
            let parsed = try JSONReader.parse(Array(text.utf8), streamingListAt: ["p", "r"]) { box.elements.append(($0, $1)) }
            return (parsed.value, parsed.streamed)
        }
        return (result, box.elements)
    }

    private final class Box: @unchecked Sendable { var elements: [(Int, JSONValue)] = [] }

    @Test func elementsGoToTheSinkInOrderAndTheTreeKeepsAnEmptyList() throws {
        let (result, elements) = streamed(#"{"a":[1],"p":{"r":[{"x":1},"two",[3]],"s":[4]}}"#)
        let (value, found) = try result.get()
        #expect(found)
        #expect(elements.map(\.0) == [0, 1, 2])
        #expect(elements.map(\.1) == [.object(try #require(JSONReader.parse(Array(#"{"x":1}"#.utf8)).objectValue)), .string("two"), .array([.number(JSONNumber(text: "3"))])])
        #expect(value == (try JSONReader.parse(Array(#"{"a":[1],"p":{"r":[],"s":[4]}}"#.utf8))))
    }

    @Test(arguments: [#"{"p":{"r":{"k":1}}}"#, #"{"r":[1],"p":{"q":[1]}}"#, #"{"p":[{"r":[1]}]}"#, #"[{"p":{"r":[1]}}]"#])
    func aListElsewhereIsKeptInTheTree(_ text: String) throws {
        let (result, elements) = streamed(text)
        let (value, found) = try result.get()
        #expect(!found && elements.isEmpty)
        #expect(value == (try JSONReader.parse(Array(text.utf8))))
    }

    @Test(arguments: [
        #"{"p":{"r":[1],"r":[2]}}"#, #"{"p":{"r":[{"a":1,"a":2}]}}"#, #"{"p":{"r":[1,]}}"#, #"{"p":{"r":[1"#,
        #"{"p":{"r":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}"#,
        #"{"p":{"r":["\ud800"]}}"#, #"{"p":{"r":[01]}}"#,
    ])
    func malformedTextIsRefusedWithTheSameMessage(_ text: String) {
        let expected: String
        do {
            _ = try JSONReader.parse(Array(text.utf8))
            Issue.record("parsed: \(text)")
            return
        } catch {
            expected = error.message
        }
        guard case .failure(let error) = streamed(text).result else {
            Issue.record("the streaming reader accepted \(text)")
            return
        }
        #expect(error.message == expected)
    }
}

private extension JSONValue {
    var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }
}
