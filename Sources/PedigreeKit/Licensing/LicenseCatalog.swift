import PedigreeCrypto

/// A license pedigree knows: how to name it, and how to recognise its text.
public struct KnownLicense: Equatable, Sendable {
    /// SPDX identifier, or a `LicenseRef-` for licenses SPDX does not list.
    public let id: String
    public let name: String
    /// Where the text is published.
    public let url: String
    /// Phrases whose presence (all of them, whitespace-insensitive) marks a file as naming this
    /// license: its text, an altered copy, or a long excerpt.
    let phrases: [String]
    /// SHA-256 of each published form of the whole text, normalized (`LicenseCatalog.normalize`).
    let publishedDigests: Set<String>
    /// The license's own terms inside a longer file, for licenses whose files often carry more
    /// than the terms (a copyright line above them, a filled-in appendix below).
    let terms: LicenseTerms?
    /// Alternative spellings users type for `--license`.
    let aliases: [String]
}

/// Where a license's terms begin and end in its normalized text, and the SHA-256 of that span.
///
/// The span runs from the first character of `first` to the last of `last` and is `byteCount`
/// bytes of UTF-8 long; `appendixDigest` is the SHA-256 of what the published file has after
/// the span, so an unchanged appendix is not reported as other text.
struct LicenseTerms: Equatable, Sendable {
    let first: String
    let last: String
    let byteCount: Int
    let digest: String
    let appendixDigest: String?
}

/// Recognises the licenses whose distribution conditions `pedigree check` evaluates.
///
/// Every license here is recognised by the SHA-256 of its published text with white space
/// folded (`normalize`), never by similarity: a text is the published one or it is not, and a
/// file that only names the license (its identifying phrases without the exact text) is
/// reported as such. Quote styles, `http`/`https` in a URL or a reworded sentence all make a
/// different text; a person decides whether such a copy satisfies the license.
public enum LicenseCatalog {
    /// The OpenAtom Model License, Version 1.0, stewarded by the OpenAtom Foundation.
    ///
    /// Its text is recognised by phrases from its title and §3.1, and as the genuine bilingual
    /// text by the digest of its normalized form.
    public static let openAtom = KnownLicense(
        id: "LicenseRef-OpenAtom-Model-License-1.0",
        name: "OpenAtom Model License 1.0",
        url: "https://openatom.org",
        phrases: ["OpenAtom Model License, Version 1.0", "Conditions of Distribution", "Hosted Service"],
        publishedDigests: ["b33ec74c6763470eec9c27785ec4f0189f8aba6674cd0578cd15cbfc94696c7a"],
        terms: nil,
        aliases: ["openatom", "openatom-model-license-1.0", "OpenAtom-Model-License-1.0", "openatom-1.0"]
    )

    /// The Apache License, Version 2.0.
    ///
    /// The published text is `LICENSE-2.0.txt` as apache.org serves it, byte for byte the file
    /// Debian ships as `/usr/share/common-licenses/Apache-2.0` (11,358 bytes, SHA-256
    /// `cfc7749b…bc523d30`): the terms (§1–9, from the title to "END OF TERMS AND CONDITIONS")
    /// and the appendix on how to apply them. Both the whole file and the terms alone are the
    /// published text. The terms inside a longer file (a copyright line above them, the
    /// appendix filled in with the licensor's name) are recognised too, and the other text is
    /// reported with them.
    public static let apache2 = KnownLicense(
        id: "Apache-2.0",
        name: "Apache License 2.0",
        url: "https://www.apache.org/licenses/LICENSE-2.0",
        phrases: ["Apache License", "Version 2.0, January 2004", "Redistribution"],
        publishedDigests: [
            "0ffddef9e48f8a09aed5caf2d44f7ba1c1be2d9b8e0a6f693b1635b2d5566645",  // with the appendix
            "59d8f0ba87ad9a2f1a431123c8d16646e5b89ba53653e818f16d136d77263c99",  // the terms alone
        ],
        terms: LicenseTerms(
            first: "Apache License Version 2.0, January 2004", last: "END OF TERMS AND CONDITIONS", byteCount: 9_129,
            digest: "59d8f0ba87ad9a2f1a431123c8d16646e5b89ba53653e818f16d136d77263c99",
            appendixDigest: "15e0e14d590e112dcf1801fb0ca4a74c6178f468147941bfe6840cb55fa84ca4"),
        aliases: ["apache-2.0", "apache2", "apache"]
    )

    /// Every license pedigree checks.
    public static let all = [openAtom, apache2]

    /// The license a `--license` value names, by id (any case) or alias.
    public static func license(named value: String) -> KnownLicense? {
        let lower = value.lowercased()
        return all.first { $0.id.lowercased() == lower || $0.aliases.contains { $0.lowercased() == lower } }
    }

    /// The id to record for a `--license` value: a known license's canonical id, else the
    /// value as given (an SPDX id or a `LicenseRef-` of the user's).
    public static func canonicalID(_ value: String) -> String {
        license(named: value)?.id ?? value
    }

    /// How a file's text relates to a license's published text.
    public enum TextMatch: Equatable, Sendable {
        /// White space aside, the published text (or, for a license with separate terms, the
        /// terms alone).
        case published
        /// The published terms, complete and unchanged, with other text before or after them
        /// (normalized, empty when there is none): a copyright line, a filled-in appendix.
        case publishedWithOtherText(before: String, after: String)
        /// Names the license (its identifying phrases) but is not its published text.
        case namesOnly
    }

    /// What a file's text is, as far as pedigree can tell.
    public struct Recognition: Equatable, Sendable {
        public let license: KnownLicense
        public let text: TextMatch

        /// True when the file carries the published text, alone or with other text around it.
        public var isGenuineText: Bool { text != .namesOnly }
    }

    /// Recognises the license whose text `bytes` carries, if it is one pedigree knows.
    public static func recognize(_ bytes: [UInt8]) -> Recognition? {
        let normalized = normalize(String(decoding: bytes, as: UTF8.self))
        let digest = SHA256.hash(Array(normalized.utf8)).hex
        for license in all {
            if license.publishedDigests.contains(digest) {
                return Recognition(license: license, text: .published)
            }
            if let terms = license.terms, let match = termsMatch(normalized, terms) {
                return Recognition(license: license, text: match)
            }
            if license.phrases.allSatisfy({ normalized.contains(normalize($0)) }) {
                return Recognition(license: license, text: .namesOnly)
            }
        }
        return nil
    }

    /// The published terms inside `normalized`, with the text around them; `nil` when no span
    /// from `terms.first` to `terms.last` has the terms' digest.
    ///
    /// Only spans of the terms' length are hashed, and only from the first few occurrences of
    /// `first`, so a hostile file repeating the markers costs a few digests of a few KiB.
    private static func termsMatch(_ normalized: String, _ terms: LicenseTerms) -> TextMatch? {
        let text = Array(normalized.utf8)
        let last = Array(terms.last.utf8)
        for start in occurrences(of: Array(terms.first.utf8), in: text).prefix(8) {
            let stop = start + terms.byteCount
            guard stop <= text.count, text[(stop - last.count)..<stop].elementsEqual(last),
                SHA256.hash(Array(text[start..<stop])).hex == terms.digest
            else { continue }
            let before = String(decoding: text[..<start], as: UTF8.self).trimmingSpace
            var after = String(decoding: text[stop...], as: UTF8.self).trimmingSpace
            if let appendix = terms.appendixDigest, SHA256.hash(Array(after.utf8)).hex == appendix { after = "" }
            return before.isEmpty && after.isEmpty ? .published : .publishedWithOtherText(before: before, after: after)
        }
        return nil
    }

    /// The byte offsets where `needle` starts in `haystack`.
    private static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
        var found: [Int] = []
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) {
                found.append(index)
                index += needle.count
            } else {
                index += 1
            }
        }
        return found
    }

    /// The text with a byte-order mark removed and every run of white space folded to one space.
    static func normalize(_ text: String) -> String {
        var out = ""
        var pendingSpace = false
        for character in text where character != "\u{FEFF}" {
            if character.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(character)
            }
        }
        return out
    }
}

extension String {
    /// Without the spaces `LicenseCatalog.normalize` leaves between a span and its neighbours.
    fileprivate var trimmingSpace: String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
