import PedigreeCrypto

/// A license pedigree knows: how to name it, and how to recognise its text.
public struct KnownLicense: Equatable, Sendable {
    /// SPDX identifier, or a `LicenseRef-` for licenses SPDX does not list.
    public let id: String
    public let name: String
    /// Where the text is published.
    public let url: String
    /// Phrases whose presence (all of them, whitespace-insensitive) marks a file as this
    /// license's text or a copy of it.
    let phrases: [String]
    /// SHA-256 of the text with runs of white space folded to one space and the ends trimmed,
    /// for the published texts pedigree recognises as genuine.
    let normalizedDigests: Set<String>
    /// Alternative spellings users type for `--license`.
    let aliases: [String]
}

/// Recognises the licenses whose distribution conditions `pedigree check` evaluates.
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
        normalizedDigests: ["b33ec74c6763470eec9c27785ec4f0189f8aba6674cd0578cd15cbfc94696c7a"],
        aliases: ["openatom", "openatom-model-license-1.0", "OpenAtom-Model-License-1.0", "openatom-1.0"]
    )

    /// The Apache License, Version 2.0.
    public static let apache2 = KnownLicense(
        id: "Apache-2.0",
        name: "Apache License 2.0",
        url: "https://www.apache.org/licenses/LICENSE-2.0",
        phrases: ["Apache License", "Version 2.0, January 2004", "Redistribution"],
        normalizedDigests: [],
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

    /// What a file's text is, as far as pedigree can tell.
    public struct Recognition: Equatable, Sendable {
        public let license: KnownLicense
        /// True when the text is, white space aside, the published text itself.
        public let isGenuineText: Bool
    }

    /// Recognises the license whose text `bytes` carries, if it is one pedigree knows.
    public static func recognize(_ bytes: [UInt8]) -> Recognition? {
        let text = String(decoding: bytes, as: UTF8.self)
        let normalized = normalize(text)
        let digest = SHA256.hash(Array(normalized.utf8)).hex
        for license in all {
            if license.normalizedDigests.contains(digest) {
                return Recognition(license: license, isGenuineText: true)
            }
            if license.phrases.allSatisfy({ normalized.contains(normalize($0)) }) {
                return Recognition(license: license, isGenuineText: false)
            }
        }
        return nil
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
