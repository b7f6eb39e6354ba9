import PedigreeCrypto

/// The line format of GNU `sha256sum` output, both the default and the `--tag` (BSD) form.
public enum ChecksumLine: Equatable, Sendable {
    /// `<hex>  <path>` (the default form).
    case text
    /// `SHA256 (<path>) = <hex>`.
    case tag

    /// One output line (without the newline), escaped as `sha256sum` escapes names holding
    /// a backslash, a line feed or a carriage return.
    public func format(digest: SHA256Digest, path: String) -> String {
        let needsEscape = path.utf8.contains { $0 == 0x5c || $0 == 0x0a || $0 == 0x0d }
        let name = needsEscape ? escape(path) : path
        let prefix = needsEscape ? "\\" : ""
        switch self {
        case .text: return "\(prefix)\(digest.hex)  \(name)"
        case .tag: return "\(prefix)SHA256 (\(name)) = \(digest.hex)"
        }
    }

    private func escape(_ path: String) -> String {
        var out = ""
        for scalar in path.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// One properly formatted line of a checksum list.
public struct ChecksumEntry: Equatable, Sendable {
    public var path: String
    public var digest: SHA256Digest
    /// The 1-based line number in the list.
    public var line: Int

    public init(path: String, digest: SHA256Digest, line: Int) {
        self.path = path
        self.digest = digest
        self.line = line
    }
}

/// A parsed checksum list: its entries and the numbers of the lines that were not
/// properly formatted.
public struct ChecksumList: Equatable, Sendable {
    public var entries: [ChecksumEntry]
    public var malformedLines: [Int]

    /// Parses the text written by `sha256sum` or `sha256sum --tag` (or this tool).
    ///
    /// Works on Unicode scalars, not characters, so a carriage return before a line feed or a
    /// combining mark after a space cannot merge with its neighbour.
    public init(parsing text: String) {
        entries = []
        malformedLines = []
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for (offset, line) in lines.enumerated() {
            let number = offset + 1
            if let entry = Self.parse(Array(line), line: number) {
                entries.append(entry)
            } else {
                malformedLines.append(number)
            }
        }
    }

    private static let tagPrefix = Array("SHA256 (".unicodeScalars)
    private static let tagSeparator = Array(") = ".unicodeScalars)

    private static func parse(_ raw: [Unicode.Scalar], line: Int) -> ChecksumEntry? {
        var text = raw[...]
        if text.last == "\r" { text = text.dropLast() }
        let escaped = text.first == "\\"
        if escaped { text = text.dropFirst() }
        var path: ArraySlice<Unicode.Scalar>
        let hex: ArraySlice<Unicode.Scalar>
        if text.starts(with: tagPrefix) {
            // The digest is the last 64 scalars, after ") = "; the name may hold anything.
            guard text.count >= tagPrefix.count + 1 + tagSeparator.count + 64 else { return nil }
            hex = text.suffix(64)
            let beforeHex = text.dropLast(64)
            guard beforeHex.suffix(tagSeparator.count).elementsEqual(tagSeparator) else { return nil }
            path = beforeHex.dropFirst(tagPrefix.count).dropLast(tagSeparator.count)
        } else {
            guard text.count > 65 else { return nil }
            hex = text.prefix(64)
            var rest = text.dropFirst(64)
            guard rest.first == " " else { return nil }
            rest = rest.dropFirst()
            if rest.first == " " || rest.first == "*" { rest = rest.dropFirst() }
            path = rest
        }
        var hexString = ""
        hexString.unicodeScalars.append(contentsOf: hex)
        guard !path.isEmpty, let digest = SHA256Digest(hex: hexString) else { return nil }
        if escaped {
            guard let unescaped = unescape(path) else { return nil }
            path = unescaped[...]
        }
        var name = ""
        name.unicodeScalars.append(contentsOf: path)
        return ChecksumEntry(path: name, digest: digest, line: line)
    }

    private static func unescape(_ text: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar]? {
        var out: [Unicode.Scalar] = []
        var iterator = text.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\\" else {
                out.append(scalar)
                continue
            }
            switch iterator.next() {
            case "\\": out.append("\\")
            case "n": out.append("\n")
            case "r": out.append("\r")
            default: return nil
            }
        }
        return out
    }
}
