import PedigreeCrypto
@testable import PedigreeKit
import Testing

private let hexA = String(repeating: "a", count: 64)
private let hexB = String(repeating: "b", count: 64)

@Suite struct DigestLists {
    @Test func sha256sumTextAndTagLinesBecomeNamesRelativeToTheFolder() throws {
        let text = "\(hexA)  ./weights/a.bin\nSHA256 (./config.json) = \(hexB)\n"
        let list = try DigestList.parse(Array(text.utf8), list: "sums", folder: nil)
        #expect(list.entries.map(\.name) == ["weights/a.bin", "config.json"])
        #expect(list.entries.map(\.digest.hex) == [hexA, hexB])
        #expect(list.entries.map(\.location) == [ListLocation(list: "sums", line: 1), ListLocation(list: "sums", line: 2)])
        #expect(list.lacksSizes)
        #expect(list.formats == [.sha256sum])
    }

    @Test func theFolderPrefixIsDroppedOnlyWhenEveryNameCarriesIt() throws {
        let both = "\(hexA)  models/tiny/a.bin\n\(hexB)  models/tiny/sub/b.bin\n"
        #expect(try DigestList.parse(Array(both.utf8), list: "l", folder: "./models/tiny/").entries.map(\.name) == ["a.bin", "sub/b.bin"])
        let mixed = "\(hexA)  models/tiny/a.bin\n\(hexB)  b.bin\n"
        #expect(try DigestList.parse(Array(mixed.utf8), list: "l", folder: "models/tiny").entries.map(\.name) == ["models/tiny/a.bin", "b.bin"])
    }

    @Test func aHashReportGivesSizes() throws {
        let json = #"{"version": 1, "command": "hash", "files": [{"path": "m/a.bin", "status": "ok", "sha256": "\#(hexA)", "size": 12}], "summary": {"files": 1}}"#
        let list = try DigestList.parse(Array(json.utf8), list: "r.json", folder: "m")
        #expect(list.entries == [ListedDigest(name: "a.bin", digest: try #require(SHA256Digest(hex: hexA)), size: 12,
                                              location: ListLocation(list: "r.json", entry: 0))])
        #expect(list.formats == [.pedigreeHashJSON])
    }

    @Test(arguments: [
        (#"[]"#, DigestListError.malformedReport(list: "r", reason: "the top level is a list, expected an object")),
        (#"{"files": []}"#, .malformedReport(list: "r", reason: "it is not the report of 'pedigree hash --json' (command 'hash', mode 'hash')")),
        (#"{"command": "hash", "mode": "check", "version": 1, "lists": []}"#, .malformedReport(list: "r", reason: "it is not the report of 'pedigree hash --json' (command 'hash', mode 'hash')")),
        (#"{"command": "hash", "version": 2, "files": []}"#, .malformedReport(list: "r", reason: "its 'version' is not 1, the report version this pedigree reads")),
        (#"{"command": "hash", "version": 1}"#, .malformedReport(list: "r", reason: "it has no 'files'")),
        (#"{"command": "hash", "version": 1, "files": [{"sha256": "x"}]}"#, .malformedReport(list: "r", reason: "files[0].path is missing or not a string")),
        (#"{"command": "hash", "version": 1, "files": [{"path": "a", "status": "ok", "sha256": "\#(hexA)", "size": -1}]}"#, .malformedReport(list: "r", reason: "files[0].size is not a whole number of bytes")),
        (#"{"command": "hash", "version": 1, "files": [{"path": "a", "status": "ok", "sha256": "\#(hexA)", "size": 1.5}]}"#, .malformedReport(list: "r", reason: "files[0].size is not a whole number of bytes")),
        (#"{"command": "hash", "version": 1, "files": [{"path": "a", "sha256": "\#(hexA)"}]}"#, .malformedReport(list: "r", reason: "files[0].status is not 'ok'")),
        (#"{"command": "hash", "version": 1, "files": []}"#, .empty(list: "r")),
    ])
    func malformedReportsAreRefusedNamingWhere(_ json: String, _ error: DigestListError) {
        #expect(throws: error) { try DigestList.parse(Array(json.utf8), list: "r", folder: nil) }
        #expect(error.exitStatus == .dataError)
    }

    @Test func aLineThatIsNotUTF8IsMalformed() {
        let bytes = Array("\(hexA)  a.bin\n\(hexB)  ".utf8) + [0xff, 0xfe] + Array("\n".utf8)
        #expect(throws: DigestListError.malformedLines(list: "l", lines: [2])) { try DigestList.parse(bytes, list: "l", folder: nil) }
    }

    @Test func spotCheckCountsAndPercentages() {
        #expect(SpotCheck(argument: "5") == .count(5))
        #expect(SpotCheck(argument: "0") == .count(0))
        #expect(SpotCheck(argument: "12.5%") == .percent(12.5))
        for bad in ["-1", "0%", "101%", "x", "%", "nan%", ""] { #expect(SpotCheck(argument: bad) == nil, "\(bad)") }
        #expect(SpotCheck.count(5).sampleSize(of: 3) == 3)
        #expect(SpotCheck.percent(1).sampleSize(of: 1_000) == 10)
        #expect(SpotCheck.percent(0.01).sampleSize(of: 7) == 1)
        #expect(SpotCheck.percent(100).sampleSize(of: 7) == 7)
    }

    @Test func everyErrorSaysItsExitStatus() {
        let mismatch = DigestSigningError.doesNotMatchFolder([.notListed(name: "a")])
        #expect(mismatch.exitStatus == .failure)
        #expect(DigestSigningError.spotCheckFailed(checked: 1, []).exitStatus == .failure)
        #expect(DigestSigningError.list(.unreadable(FileError(path: "l", reason: .system(2)))).exitStatus == .noInput)
        #expect(DigestSigningError.list(.unreadable(FileError(path: "l", reason: .tooLarge(limit: 1)))).exitStatus == .dataError)
        #expect(DigestSigningError.sign(.empty("m")).exitStatus == .dataError)
        let many = DigestSigningError.doesNotMatchFolder((0..<25).map { .notListed(name: "f\($0)") })
        #expect(many.description.hasSuffix("  'f19' is in the folder but not in the list\n  … and 5 more"))
    }
}
