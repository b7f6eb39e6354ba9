@testable import PedigreeKit
import Testing

@Suite struct PathOrderInPlace {
    static let names = [
        "", "/", "//", "a", "A", "a/", "a//b", "a/b", "a/b/c", "a-b", "a.b", "a0", "ab", "b", "a/\u{0}", "a\u{0}",
        "é", "e\u{301}", "z/é", "z/e\u{301}", "README.md", "docs/README.md", "docs-x/a", "docs/x/y", "\u{7f}", "a/\u{7f}",
    ]

    @Test func theInPlaceComparisonAgreesWithTheComponentComparisonOnEveryPair() {
        for a in Self.names {
            for b in Self.names {
                #expect(RelativePath.precedes(a, b) == RelativePath.precedesByComponents(a, b), "\(a.debugDescription) \(b.debugDescription)")
            }
        }
    }

    @Test func utf8OrderIsTheBytesOrder() {
        for a in Self.names {
            for b in Self.names {
                #expect(utf8Precedes(a, b) == Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)), "\(a.debugDescription) \(b.debugDescription)")
            }
        }
    }
}
