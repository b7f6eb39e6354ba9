import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// Writing a signed manifest to its file (`ManifestFile`): the bytes the encoder writes, and
/// nothing written or changed when it cannot be.
@Suite struct ManifestFileTests {
    private static func bundle(payloadBytes: Int) -> ManifestBundle {
        let payload = (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let envelope = Envelope(payloadType: MediaTypes.inToto, payload: payload, signatures: [EnvelopeSignature(keyid: "k", sig: [9, 8])])
        return ManifestBundle(kind: .pedigree, dsseEnvelope: envelope)
    }

    @Test func theFileHoldsTheEncodedBundleAndIsReplacedOnlyWhenAsked() throws {
        let folder = try TemporaryFolder()
        let path = folder.url("pedigree.json")
        let first = Self.bundle(payloadBytes: 100_000)
        try ManifestFile.write(first, to: path, overwrite: false)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == (try first.encoded()))

        let second = Self.bundle(payloadBytes: 10)
        let refusal = #expect(throws: ManifestWriteError.self) { try ManifestFile.write(second, to: path, overwrite: false) }
        #expect(refusal == .cannotWrite(FileError(path: path, reason: .exists)))
        #expect(refusal?.exitStatus == .cannotCreate)
        #expect(refusal?.description == FileError(path: path, reason: .exists).description)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == (try first.encoded()))

        try ManifestFile.write(second, to: path, overwrite: true)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == (try second.encoded()))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["pedigree.json"])
    }

    @Test func aFolderThatDoesNotExistLeavesNothing() throws {
        let folder = try TemporaryFolder()
        let path = folder.url("missing/pedigree.json")
        #expect(throws: ManifestWriteError.cannotWrite(FileError(path: path, reason: .system(ENOENT)))) {
            try ManifestFile.write(Self.bundle(payloadBytes: 3), to: path, overwrite: true)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func aTooLargeManifestIsADataErrorNamingItsTable() {
        let refusal = ManifestWriteError.tooLarge(ManifestTooLarge(bytes: 9, limit: 8, tensorCount: 3))
        #expect(refusal.exitStatus == .dataError)
        #expect(refusal.description.hasPrefix("the manifest would take 9 bytes with its table of 3 tensors"))
        #expect(ManifestWriteError.unencodable("x").exitStatus == .software)
    }
}
