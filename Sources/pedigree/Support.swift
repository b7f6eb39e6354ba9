import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

/// Why a command stopped, said in the command's words: the message (escaped already) and the
/// exit status. Library errors are thrown as they are; `Pedigree.main` reports both.
struct CommandFailure: Error, ExitStatusProviding {
    var message: TerminalText
    var exitStatus: ExitStatus

    init(_ message: TerminalText, status: ExitStatus) {
        self.message = message
        exitStatus = status
    }
}

/// The command has reported its outcome itself (a failed verification, a failed check): end
/// with this status and print nothing more.
struct Finished: Error {
    var status: ExitStatus
}

/// Where a key's passphrase comes from: a file, or the `PEDIGREE_PASSWORD` environment
/// variable; never a command-line value, which other users of the machine could read.
struct PassphraseOptions: ParsableArguments {
    @Option(help: "Read the key's passphrase from the first line of this file.")
    var passwordFile: String?

    /// The passphrase bytes, or `nil` when none was given.
    func passphrase() throws -> [UInt8]? {
        if let passwordFile {
            let bytes = try readSmallFile(passwordFile, limit: 64 << 10, allowPipes: true)
            let line = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            let trimmed = line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : Array(line)
            guard !trimmed.isEmpty else { throw CommandFailure("\(passwordFile): the passphrase is empty", status: .dataError) }
            return trimmed
        }
        if let value = ProcessInfo.processInfo.environment["PEDIGREE_PASSWORD"], !value.isEmpty {
            return Array(value.utf8)
        }
        return nil
    }

    /// The private keys at `paths`, decrypted with the passphrase if they are encrypted.
    func privateKeys(_ paths: [String]) throws -> [PrivateKey] {
        let secret = try passphrase()
        return try paths.map { try KeyFiles.privateKey($0, passphrase: secret) }
    }
}

/// Options every command that hashes shares.
struct HashingOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Files hashed at once (default: all processors).")
    var jobs: Int?

    @Flag(name: .shortAndLong, help: "No progress line.")
    var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    var engine: HashEngine { HashEngine(jobs: jobs) }

    /// A progress display for a run, off with `--quiet` or `--json` (and off the terminal).
    func progress(json: Bool = false) -> (counter: ByteCounter, line: ProgressLine) {
        let counter = ByteCounter()
        return (counter, ProgressLine(counter: counter, enabled: !quiet && !json))
    }
}

/// The public keys a command checks signatures with: given the same way on every command.
struct TrustOptions: ParsableArguments {
    @Option(name: .customLong("trusted-key"), help: "A trusted public key (PEM; repeatable).")
    var trustedKey: [String] = []

    @Option(help: "A folder of trusted public keys (*.pub, *.pem).")
    var trustedKeys: String?

    /// Whether any key was given.
    var given: Bool { !trustedKey.isEmpty || trustedKeys != nil }

    /// The keys given, files first, then the folder's (sorted by name).
    func load() throws -> [TrustedKey] {
        var keys: [TrustedKey] = []
        for file in trustedKey { keys.append(try KeyFiles.publicKey(file)) }
        if let trustedKeys { keys += try KeyFiles.publicKeys(inFolder: trustedKeys) }
        return keys
    }

    /// The keys given, or `nil` when none was.
    func loadIfGiven() throws -> [TrustedKey]? { given ? try load() : nil }
}

/// `--json`, on every command that reports.
/// The signing certificate and its chain for the OMS certificate method (OMS v1.0 §4.1).
struct CertificateOptions: ParsableArguments {
    @Option(help: "Sign with this certificate (PEM or DER) for --key: the OMS certificate method.")
    var signingCert: String?

    @Option(help: "A certificate of the chain above --signing-cert (PEM, one or more per file; repeatable), leaf side first.")
    var certChain: [String] = []

    var given: Bool { signingCert != nil || !certChain.isEmpty }

    /// The signing certificate followed by the chain files' certificates, in order; `nil`
    /// without --signing-cert.
    func load() throws -> CertificateChain? {
        guard let signingCert else {
            if !certChain.isEmpty { throw ValidationError("--cert-chain goes with --signing-cert") }
            return nil
        }
        let certificates = try ([signingCert] + certChain).flatMap(readCertificates)
        do {
            return try CertificateChain(leafFirst: certificates)
        } catch {
            throw CommandFailure("\(signingCert): \(error)", status: .dataError)
        }
    }
}

/// Every certificate (PEM, one or more, or DER) in the file at `path`.
private func readCertificates(_ path: String) throws -> [Certificate] {
    let bytes: [UInt8]
    do {
        bytes = try readSmallFile(path, limit: 1 << 20)
    } catch {
        throw CommandFailure("\(error.description)", status: error.isUnreadable ? .noInput : .dataError)
    }
    do {
        return try Certificate.parse(pemOrDER: bytes)
    } catch {
        throw CommandFailure("\(path): \(error)", status: .dataError)
    }
}

/// CA certificates a verifier trusts, for bundles signed with the certificate method.
struct TrustedCAOptions: ParsableArguments {
    @Option(help: "A CA certificate (PEM, one or more per file; repeatable) that certificate-signed bundles must chain to.")
    var trustedCA: [String] = []

    @Option(help: ArgumentHelp(
        "When the signing certificate must be valid: now, or leaf-not-before (as model_signing 1.1.1 checks).",
        valueName: "now|leaf-not-before"))
    var certificateTime: CertificateTime = .now

    enum CertificateTime: String, ExpressibleByArgument { case now, leafNotBefore = "leaf-not-before" }

    var policyTime: ChainValidationPolicy.Time { certificateTime == .now ? .now : .leafNotBefore }

    /// The anchors, every certificate of every file.
    func load() throws -> [Certificate] {
        try trustedCA.flatMap(readCertificates)
    }
}

struct JSONOption: ParsableArguments {
    @Flag(help: "Print the report as JSON.")
    var json = false
}

extension KeyAlgorithm: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "ed25519": self = .ed25519
        case "ecdsa-p256", "p256", "p-256", "ecdsa": self = .ecdsaP256
        case "ecdsa-p384", "p384", "p-384": self = .ecdsaP384
        case "ecdsa-p521", "p521", "p-521": self = .ecdsaP521
        default: return nil
        }
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension Distribution: ExpressibleByArgument {}
extension Relation: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

/// `GLOB=ROLE` from `--role`.
struct RoleOverride: ExpressibleByArgument {
    var glob: Glob
    var role: Role

    init?(argument: String) {
        guard let equals = argument.lastIndex(of: "="), let role = Role(rawValue: String(argument[argument.index(after: equals)...])),
            equals != argument.startIndex
        else { return nil }
        glob = Glob(String(argument[..<equals]))
        self.role = role
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// Loads the manifest chain at `path`, or fails naming the file and what is wrong with it:
/// 66 when it cannot be read, 65 when it is not a manifest.
func loadChain(_ path: String) throws -> ModelChain {
    do {
        return try ModelChain.load(path)
    } catch {
        throw CommandFailure("\(path): \(error.description)", status: error.exitStatus)
    }
}

/// Whether `path` names an existing folder.
func isFolder(_ path: String) -> Bool {
    var isFolder: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
}

/// The time to record: `SOURCE_DATE_EPOCH` when set, else now.
func createdAt() throws -> String {
    try Timestamp.now(environment: ProcessInfo.processInfo.environment)
}

/// The contents of a small text file named on the command line.
func readText(_ path: String) throws -> String {
    String(decoding: try readSmallFile(path, limit: 16 << 20), as: UTF8.self)
}
