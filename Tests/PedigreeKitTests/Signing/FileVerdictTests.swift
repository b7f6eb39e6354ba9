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
