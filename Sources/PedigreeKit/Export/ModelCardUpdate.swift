/// Why a README's front matter could not be merged; the README is left as it was.
public enum ModelCardUpdateError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    /// The existing front matter is not YAML pedigree can read, or not a mapping.
    case unreadableFrontMatter
    /// The merged front matter would not read back with the user's other keys unchanged.
    case mergeChangedOtherKeys
    case emit(String)

    public var description: String {
        switch self {
        case .unreadableFrontMatter: return "its front matter is not a YAML mapping; not changed"
        case .mergeChangedOtherKeys: return "merging would change keys pedigree does not write; not changed"
        case let .emit(message): return "the front matter could not be written: \(message)"
        }
    }

    public var exitStatus: ExitStatus { .dataError }
}

extension ModelCard {
    /// The keys of the front matter pedigree writes; every other key is the user's.
    public static let managedKeys: Set<String> = ["license", "license_name", "license_link", "base_model", "base_model_relation"]

    /// `readme` with its Hugging Face front matter merged with what the signed manifest says
    /// (`metadata`): pedigree's keys replaced (or removed when the manifest says nothing of
    /// them), every other key kept as written and in its place, the body untouched.
    ///
    /// Nothing that the next signature would make stale is written: no digest, only names,
    /// the license and the relation (README.md is itself a signed file). A README without
    /// front matter gets one. The result is read back: if the user's keys do not come back
    /// the same, it is refused rather than written.
    ///
    /// - Throws: `ModelCardUpdateError`.
    public static func updatedReadme(_ readme: String, metadata: Metadata) throws(ModelCardUpdateError) -> String {
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var kept: [String] = []
        var body: [String]
        if lines.first?.trimmingTrailingWhitespace() == "---",
            let end = lines.dropFirst().firstIndex(where: { $0.trimmingTrailingWhitespace() == "---" })
        {
            guard frontMatter(in: readme) != nil || lines[1..<end].allSatisfy({ $0.trimmingTrailingWhitespace().isEmpty }) else {
                throw .unreadableFrontMatter
            }
            // Top-level entries: a line at column 0 with its key, and the indented or `- ` lines
            // under it. Entries whose key pedigree writes are dropped.
            var dropping = false
            for line in lines[1..<end] {
                let startsEntry = !line.isEmpty && !line.hasPrefix(" ") && !line.hasPrefix("\t") && !line.hasPrefix("-")
                    && !line.hasPrefix("#")
                if startsEntry {
                    let quotes: Set<Character> = [" ", "\"", "'"]
                    let key = String(String(line.prefix { $0 != ":" }).drop { quotes.contains($0) }.reversed().drop { quotes.contains($0) }.reversed())
                    dropping = managedKeys.contains(key)
                }
                if !dropping { kept.append(line) }
            }
            body = Array(lines[(end + 1)...])
        } else {
            body = [""] + lines
        }
        while kept.last?.trimmingTrailingWhitespace().isEmpty == true { kept.removeLast() }
        let ours: String
        do {
            ours = try YAMLFrontMatter.mapping(frontMatterPairs(metadata))
        } catch {
            throw .emit(error.message)
        }
        let front = (kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n") + ours
        let result = "---\n" + front + "---\n" + body.joined(separator: "\n")
        // The user's keys must read back as they were.
        let before = (frontMatter(in: readme) ?? [:]).filter { !managedKeys.contains($0.key) }
        guard let after = frontMatter(in: result) else { throw .mergeChangedOtherKeys }
        let others = after.filter { !managedKeys.contains($0.key) }
        guard Set(before.keys) == Set(others.keys),
            before.keys.allSatisfy({ "\(before[$0] ?? "")" == "\(others[$0] ?? "")" })
        else { throw .mergeChangedOtherKeys }
        return result
    }
}
