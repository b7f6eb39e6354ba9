import Yams

/// YAML (and so JSON, which is YAML) read into the same `JSONValue` tree as `JSONReader`
/// gives, for documents people write by hand: derivation specs.
///
/// Every scalar becomes a string holding its text as written (`3`, `2e-5`, `true`), except
/// `null`/`~`/an empty value, which becomes `null`; a field that needs a number or a flag
/// reads it from the text. A key given twice in one mapping is an error naming it (Yams
/// refuses most repeats itself; two spellings of one text, such as `1` and `"1"`, are caught
/// here), as is a key that is not a scalar. Aliases are expanded, at most `maxNodes` nodes in
/// all, so a few lines of anchors cannot grow into millions of values.
enum YAMLReader {
    /// Why a text is not the YAML expected.
    struct Failure: Error, Equatable, Sendable {
        var message: String
    }

    static func parse(_ text: String, maxNodes: Int = Limits.specNodes) throws(Failure) -> JSONValue {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Failure(message: "\(error)")
        }
        guard let root else { return .object(JSONObject(members: [], index: [:])) }
        var budget = maxNodes
        return try convert(root, path: "", depth: 0, budget: &budget)
    }

    private static func convert(_ node: Node, path: String, depth: Int, budget: inout Int) throws(Failure) -> JSONValue {
        budget -= 1
        guard budget >= 0 else { throw Failure(message: "the document expands to more than \(Limits.specNodes) values") }
        guard depth <= Limits.jsonDepth else { throw Failure(message: "lists and mappings are nested more than \(Limits.jsonDepth) deep") }
        switch node {
        case .scalar(let scalar):
            if node.tag == Tag(.null) { return .null }
            return .string(scalar.string)
        case .sequence(let sequence):
            var values: [JSONValue] = []
            for (index, element) in sequence.enumerated() {
                values.append(try convert(element, path: "\(path)[\(index)]", depth: depth + 1, budget: &budget))
            }
            return .array(values)
        case .mapping(let mapping):
            var members: [JSONObject.Member] = []
            var index: [String: Int] = [:]
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else {
                    throw Failure(message: "\(path.isEmpty ? "the top level" : path) has a key that is not a plain value")
                }
                let name = scalar.string
                let child = path.isEmpty ? printableValue(name) : path + "." + printableValue(name)
                guard index[name] == nil else {
                    throw Failure(message: "the key '\(printableValue(name))' appears twice in one mapping\(path.isEmpty ? "" : " (at \(path))"); a key may be given once")
                }
                index[name] = members.count
                members.append(JSONObject.Member(key: name, value: try convert(value, path: child, depth: depth + 1, budget: &budget)))
            }
            return .object(JSONObject(members: members, index: index))
        case .alias:
            throw Failure(message: "\(path.isEmpty ? "the top level" : path) is an unresolved alias")
        }
    }
}
