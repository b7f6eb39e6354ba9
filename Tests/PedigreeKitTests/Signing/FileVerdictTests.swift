import Foundation
import PedigreeCrypto
import Testing

@testable import PedigreeKit

/// A verdict keeps digests as digests and writes them as the hex strings it always wrote.
@Suite struct FileVerdictEncoding {
    @Test func digestsAreWrittenAsHexAndAbsentOnesLeftOut() throws {
        let expected = SHA256.hash(Array("a".utf8))
        let actual = SHA256.hash(Array("b".utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let modified = FileVerdict(name: "w.bin", status: .modified, expectedDigest: expected, actualDigest: actual)
        #expect(modified.expected == expected.hex && modified.actual == actual.hex)
        #expect(String(decoding: try encoder.encode(modified), as: UTF8.self)
            == #"{"actual":"\#(actual.hex)","expected":"\#(expected.hex)","name":"w.bin","status":"MODIFIED"}"#)
        let unexpected = FileVerdict(name: "x", status: .unexpected, detail: "a link")
        #expect(unexpected.expected == nil && unexpected.actual == nil)
        #expect(String(decoding: try encoder.encode(unexpected), as: UTF8.self) == #"{"detail":"a link","name":"x","status":"UNEXPECTED"}"#)
    }
}

/// A verdict is compact, and its rarely given fields read back what was set.
@Suite struct FileVerdictLayout {
    @Test func aVerdictTakesNoMoreThan96Bytes() {
        #expect(MemoryLayout<FileVerdict>.stride <= 96)
    }

    @Test func fieldsReadBackWhatWasSetAndCleared() {
        let digest = SHA256.hash(Array("a".utf8))
        var verdict = FileVerdict(name: "m.bin", status: .missing)
        #expect(verdict.expectedDigest == nil && verdict.actualDigest == nil && verdict.detail == nil && verdict.lfsPointer == nil)
        verdict.actualDigest = digest
        #expect(verdict.actualDigest == digest && verdict.expectedDigest == nil)
        verdict.expectedDigest = digest
        verdict.detail = "why"
        let pointer = LFSPointerVerdict(oid: digest.hex, size: 7, matchesExpected: true)
        verdict.lfsPointer = pointer
        #expect(verdict.detail == "why" && verdict.lfsPointer == pointer)
        let copy = verdict
        verdict.detail = nil
        #expect(verdict.detail == nil && verdict.lfsPointer == pointer && copy.detail == "why")
        #expect(verdict != copy)
        verdict.detail = "why"
        #expect(verdict == copy)
        verdict.actualDigest = nil
        #expect(verdict.actualDigest == nil && verdict.expectedDigest == digest && verdict != copy)
        // Equal digests are equal whatever an absent one held before.
        var other = FileVerdict(name: "m.bin", status: .missing, expectedDigest: digest, detail: "why", lfsPointer: pointer)
        #expect(other == verdict)
        other.lfsPointer = nil
        #expect(other != verdict && other.detail == "why")
    }
}
