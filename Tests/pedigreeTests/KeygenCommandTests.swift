import Foundation
import Testing
import TestSupport

@Suite struct KeygenCommand {
    @Test(arguments: [("ed25519", "ED25519"), ("ecdsa-p256", "prime256v1"), ("ecdsa-p384", "secp384r1"), ("ecdsa-p521", "secp521r1")])
    func writesAKeyPairOpensslReads(_ algorithm: String, _ opensslName: String) throws {
        let work = try Workspace()
        let result = try work.keygen("signer", algorithm)
        var st = stat()
        #expect(stat(work.folder.url("signer.key"), &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        let text = try shell("openssl pkey -in signer.key -noout -text", currentDirectory: work.path)
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains(opensslName) || text.stdout.contains("ED25519"))
        let pubDER = try shell("openssl pkey -pubin -in signer.pub -outform DER | sha256sum", currentDirectory: work.path)
        let keyID = String(pubDER.stdout.prefix(64))
        #expect(result.stdout.contains("key id       \(keyID)\n"))
        #expect(try String(decoding: work.read("signer.key"), as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test func neverOverwritesAKey() throws {
        let work = try Workspace()
        try work.keygen("signer")
        let before = try work.read("signer.key")
        let again = try work.run(["keygen", "--out", "signer.key"])
        #expect(again.status == 73)
        #expect(again.stderr == "pedigree: signer.key: already exists; keys are never overwritten\n")
        #expect(try work.read("signer.key") == before)
        // Nor a lone public key of that name.
        try work.folder.write("other.pub", "keep me")
        let blocked = try work.run(["keygen", "--out", "other.key"])
        #expect(blocked.status == 73)
        #expect(!work.exists("other.key"))
        #expect(try work.read("other.pub") == Data("keep me".utf8))
    }

    @Test func encryptsWithAPassphraseFromAFileOrTheEnvironment() throws {
        let work = try Workspace()
        try work.folder.write("pass.txt", "s3cret phrase\n")
        #expect(try work.run(["keygen", "--out", "a.key", "--password-file", "pass.txt"]).status == 0)
        #expect(try work.run(["keygen", "--out", "b.key"], environment: ["PEDIGREE_PASSWORD": "env pass"]).status == 0)
        #expect(try String(decoding: work.read("a.key"), as: UTF8.self).hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        #expect(try shell("openssl pkey -in a.key -passin 'pass:s3cret phrase' -noout", currentDirectory: work.path).status == 0)
        #expect(try shell("openssl pkey -in b.key -passin 'pass:env pass' -noout", currentDirectory: work.path).status == 0)
        #expect(try shell("openssl pkey -in a.key -passin pass:wrong -noout", currentDirectory: work.path).status != 0)
    }

    @Test func aPassphraseIsNeverAFlagValue() throws {
        let work = try Workspace()
        let result = try work.run(["keygen", "--out", "a.key", "--password", "visible-in-ps"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Unknown option '--password'"))
        #expect(!work.exists("a.key"))
    }
}
