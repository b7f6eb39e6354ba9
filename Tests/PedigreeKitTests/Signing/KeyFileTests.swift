import Foundation
import PedigreeCrypto
@testable import PedigreeKit
import Testing
import TestSupport

@Suite struct KeyFilesHoldOneKey {
    @Test func twoPublicKeysInOneFileAreRefusedNamingTheFile() throws {
        let folder = try TemporaryFolder()
        let first = try PrivateKey.generate(.ed25519).publicKey.pem
        let second = try PrivateKey.generate(.ecdsaP256).publicKey.pem
        let path = try folder.write("both.pub", first + second)
        #expect(throws: KeyFileError(
            path: path,
            reason: "holds 2 keys (PUBLIC KEY, PUBLIC KEY); a key file must hold exactly one, so which is meant is not guessed")
        ) {
            try KeyFiles.publicKey(path)
        }
        // Each alone loads.
        #expect(try KeyFiles.publicKey(try folder.write("one.pub", second)).key.algorithm == .ecdsaP256)
    }

    @Test func twoPrivateKeysInOneFileAreRefused() throws {
        let folder = try TemporaryFolder()
        let text = try PrivateKey.generate(.ed25519).pkcs8PEM() + PrivateKey.generate(.ed25519).pkcs8PEM()
        let path = try folder.write("both.key", text)
        do {
            _ = try KeyFiles.privateKey(path, passphrase: nil)
            Issue.record("two private keys in one file were accepted")
        } catch {
            #expect(error.description == "\(path): holds 2 keys (PRIVATE KEY, PRIVATE KEY); a key file must hold exactly one, so which is meant is not guessed")
            #expect(error.exitStatus == .dataError)
        }
    }

    @Test func parametersBeforeAKeyAreNotASecondKey() {
        let text = """
            -----BEGIN EC PARAMETERS-----
            BggqhkjOPQMBBw==
            -----END EC PARAMETERS-----
            -----BEGIN EC PRIVATE KEY-----
            AAAA
            -----END EC PRIVATE KEY-----

            """
        #expect(KeyFiles.keyBlockLabels(Array(text.utf8)) == ["EC PRIVATE KEY"])
        #expect(KeyFiles.keyBlockLabels(Array("-----BEGIN PUBLIC KEY-----\r\nAA\r\n-----END PUBLIC KEY-----\r\n".utf8)) == ["PUBLIC KEY"])
    }
}
