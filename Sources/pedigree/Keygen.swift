import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a signing key pair (PEM: PKCS#8 private key, SPKI public key).",
        discussion: """
            The private key is written with mode 0600 and encrypted (AES-256-CBC) when a \
            passphrase is given with --password-file or the PEDIGREE_PASSWORD environment \
            variable. Existing files are never overwritten.
            """
    )

    @Option(name: .shortAndLong, help: "The private key file to write.")
    var out: String

    @Option(help: "The public key file to write (default: the private key's name with .pub).")
    var publicOut: String?

    @Option(name: .shortAndLong, help: "The signature algorithm.")
    var algorithm: KeyAlgorithm = .ed25519

    @OptionGroup var passphrase: PassphraseOptions

    @OptionGroup var output: JSONOption

    var publicPath: String {
        if let publicOut { return publicOut }
        return out.hasSuffix(".key") ? String(out.dropLast(4)) + ".pub" : out + ".pub"
    }

    func validate() throws {
        if publicPath == out { throw ValidationError("the public key cannot be written over the private key") }
    }

    func run() throws {
        let secret = try passphrase.passphrase()
        for path in [out, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw CommandFailure("\(path): already exists; keys are never overwritten", status: .cannotCreate)
        }
        let key: PrivateKey
        let privatePEM: String
        let publicKey: PublicKey
        do {
            key = try PrivateKey.generate(algorithm)
            privatePEM = try key.pkcs8PEM(passphrase: secret)
            publicKey = try key.publicKey
        } catch {
            throw CommandFailure("key generation failed: \(error.description)", status: .software)
        }
        do {
            try AtomicFile.write(Array(privatePEM.utf8), to: out, mode: 0o600, overwrite: false)
        } catch {
            throw CommandFailure("\(error.description)", status: .cannotCreate)
        }
        do {
            try AtomicFile.write(Array(publicKey.pem.utf8), to: publicPath, mode: 0o644, overwrite: false)
        } catch {
            // Leave no half pair behind.
            unlink(out)
            throw CommandFailure("\(error.description)", status: .cannotCreate)
        }
        if output.json {
            try Console.json(KeygenReport(
                algorithm: algorithm.rawValue, keyid: publicKey.keyID, privateKey: out, publicKey: publicPath,
                encrypted: secret != nil))
        } else {
            Console.out("private key  \(out) (\(algorithm.displayName), PKCS#8\(secret == nil ? "" : ", encrypted"), mode 0600)")
            Console.out("public key   \(publicPath)")
            Console.out("key id       \(publicKey.keyID)")
        }
    }
}
