import ArgumentParser
import Foundation
import PedigreeCrypto
import PedigreeKit

/// Exit statuses beyond success (0), failure (1) and usage errors (64), from `sysexits.h`.
enum Exit {
    /// Input that exists but is malformed: a manifest, a key, a spec, a folder that cannot be signed.
    static let dataError: Int32 = 65
    /// An input file or folder that does not exist or cannot be read.
    static let noInput: Int32 = 66
    /// An output that cannot be created: it exists (without `--force`) or cannot be written.
    static let cannotCreate: Int32 = 73
}

/// Prints `pedigree: message` on stderr and exits with `code`.
func fail(_ message: String, code: Int32) -> ExitCode {
    Console.error(message)
    return ExitCode(code)
}

/// The exit status for a file that could not be read: missing or unreadable → 66, else 65.
func inputStatus(_ error: FileError) -> Int32 {
    switch error.reason {
    case .system: return Exit.noInput
    default: return Exit.dataError
    }
}

/// Where a key's passphrase comes from: a file, or the `PEDIGREE_PASSWORD` environment
/// variable; never a command-line value, which other users of the machine could read.
struct PassphraseOptions: ParsableArguments {
    @Option(help: "Read the key's passphrase from the first line of this file.")
    var passwordFile: String?

    /// The passphrase bytes, or `nil` when none was given.
    func passphrase() throws -> [UInt8]? {
        if let passwordFile {
            let bytes: [UInt8]
            do {
                bytes = try readSmallFile(passwordFile, limit: 64 << 10, allowPipes: true)
            } catch {
                throw fail(error.description, code: inputStatus(error))
            }
            let line = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            let trimmed = line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : Array(line)
            guard !trimmed.isEmpty else { throw fail("\(passwordFile): the passphrase is empty", code: Exit.dataError) }
            return trimmed
        }
        if let value = ProcessInfo.processInfo.environment["PEDIGREE_PASSWORD"], !value.isEmpty {
            return Array(value.utf8)
        }
        return nil
    }
}

/// Options every hashing command shares.
struct HashingOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Files hashed at once (default: all processors).")
    var jobs: Int?

    @Flag(name: .shortAndLong, help: "No progress line.")
    var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    var engine: HashEngine { HashEngine(jobs: jobs) }
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

/// Loads the trusted public keys named by `--key` and `--trusted-keys`.
func loadTrustedKeys(files: [String], folder: String?) throws -> [TrustedKey] {
    var keys: [TrustedKey] = []
    do {
        for file in files { keys.append(try KeyFiles.publicKey(file)) }
        if let folder { keys += try KeyFiles.publicKeys(inFolder: folder) }
    } catch {
        throw fail(error.description, code: error.isUnreadable ? Exit.noInput : Exit.dataError)
    }
    return keys
}

/// Loads the manifest chain at `path`, or exits naming the file and what is wrong with it:
/// 66 when it cannot be read, 65 when it is not a manifest.
func loadChain(_ path: String) throws -> ModelChain {
    do {
        return try ModelChain.load(path)
    } catch {
        if case .unreadable(let fileError) = error {
            throw fail("\(path): \(fileError.reasonText)", code: inputStatus(fileError))
        }
        throw fail("\(path): \(error)", code: Exit.dataError)
    }
}

/// Why the files of `folder` no longer match the manifest at `manifestPath`, one line each;
/// empty when every file matches. Signatures are not judged here: whoever signs next vouches.
func filesDifferingFromManifest(folder: String, manifestPath: String, engine: HashEngine) -> [String] {
    let verifier = ManifestVerifier(keys: [], engine: engine, acceptUntrustedSerialization: true)
    let report = verifier.verify(folder: folder, manifestPath: manifestPath)
    let problems = report.findings.filter { $0.kind != .untrusted }.map(\.message)
    return problems + report.files.filter { $0.status != .ok }.map { "\(printable($0.name)): \($0.status.rawValue)" }
}
