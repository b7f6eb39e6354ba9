import PedigreeCrypto

/// A public key a verifier trusts, with the name of the file it came from.
public struct TrustedKey: Sendable {
    public let key: PublicKey
    /// Where the key came from (a file path), to say who signed.
    public let label: String

    public init(key: PublicKey, label: String) {
        self.key = key
        self.label = label
    }
}

/// Why a key file could not be used.
public struct KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// Whether the file could not be read at all (missing, unreadable), as opposed to read and
    /// found not to be a usable key.
    public var isUnreadable: Bool
    public var description: String { "\(printable(path)): \(reason)" }

    public init(path: String, reason: String, isUnreadable: Bool = false) {
        self.path = path
        self.reason = reason
        self.isUnreadable = isUnreadable
    }

    init(_ error: FileError) {
        if case .system = error.reason {
            self.init(path: error.path, reason: error.reasonText, isUnreadable: true)
        } else {
            self.init(path: error.path, reason: error.reasonText)
        }
    }
}

/// Loading keys from files.
public enum KeyFiles {
    /// Loads a PEM public key from `path`.
    public static func publicKey(_ path: String) throws(KeyFileError) -> TrustedKey {
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: 1 << 20)
        } catch {
            throw KeyFileError(error)
        }
        do {
            return TrustedKey(key: try PublicKey(pem: bytes), label: path)
        } catch {
            throw KeyFileError(path: path, reason: error.description)
        }
    }

    /// Loads every `*.pub` and `*.pem` public key in `folder` (not recursively), sorted by name.
    ///
    /// - Throws: when the folder cannot be read, a key file is not a public key, or no key is found.
    public static func publicKeys(inFolder folder: String) throws(KeyFileError) -> [TrustedKey] {
        let names: [String]
        do {
            names = try DirectoryHandle(path: folder).entries(displayPath: folder).names
        } catch {
            throw KeyFileError(error)
        }
        let keyFiles = names.filter { $0.hasSuffix(".pub") || $0.hasSuffix(".pem") }
        guard !keyFiles.isEmpty else {
            throw KeyFileError(path: folder, reason: "holds no public key (*.pub or *.pem)")
        }
        return try keyFiles.map { (name) throws(KeyFileError) in try publicKey(joinPath(folder, name)) }
    }

    /// Loads a PEM private key from `path`, decrypting it with `passphrase` if it is encrypted.
    public static func privateKey(_ path: String, passphrase: [UInt8]?) throws(KeyFileError) -> PrivateKey {
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: 1 << 20)
        } catch {
            throw KeyFileError(error)
        }
        do {
            return try PrivateKey(pem: bytes, passphrase: passphrase)
        } catch {
            throw KeyFileError(path: path, reason: error.description)
        }
    }
}
