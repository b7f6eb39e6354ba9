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
public struct KeyFileError: Error, Equatable, Sendable, CustomStringConvertible, ExitStatusProviding {
    public var path: String
    public var reason: String
    /// Whether the file could not be read at all (missing, unreadable), as opposed to read and
    /// found not to be a usable key.
    public var isUnreadable: Bool
    public var description: String { "\(printable(path)): \(reason)" }

    /// 66 when the file could not be read, 65 when it is not a usable key.
    public var exitStatus: ExitStatus { isUnreadable ? .noInput : .dataError }

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
    ///
    /// - Throws: when the file cannot be read, holds no public key, or holds more than one
    ///   key (which one a reader takes would be a guess: OpenSSL takes the first).
    public static func publicKey(_ path: String) throws(KeyFileError) -> TrustedKey {
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: 1 << 20)
        } catch {
            throw KeyFileError(error)
        }
        try requireOneKey(bytes, path: path)
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
    ///
    /// - Throws: when the file cannot be read, holds no private key, or holds more than one key.
    public static func privateKey(_ path: String, passphrase: [UInt8]?) throws(KeyFileError) -> PrivateKey {
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: 1 << 20)
        } catch {
            throw KeyFileError(error)
        }
        try requireOneKey(bytes, path: path)
        do {
            return try PrivateKey(pem: bytes, passphrase: passphrase)
        } catch {
            throw KeyFileError(path: path, reason: error.description)
        }
    }

    /// The labels of the PEM blocks in `bytes` that hold keys (`PUBLIC KEY`, `PRIVATE KEY`,
    /// `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, …), in order. Other blocks, such as the
    /// `EC PARAMETERS` that `openssl ecparam -genkey` writes before its key, are not keys.
    static func keyBlockLabels(_ bytes: [UInt8]) -> [String] {
        let marker = Array("-----BEGIN ".utf8)
        var labels: [String] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            var text = line[...]
            if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
            guard text.starts(with: marker) else { continue }
            let label = String(decoding: text.dropFirst(marker.count).prefix { $0 != UInt8(ascii: "-") }, as: UTF8.self)
            if label.hasSuffix("KEY") { labels.append(label) }
        }
        return labels
    }

    /// Refuses a file holding more than one key.
    private static func requireOneKey(_ bytes: [UInt8], path: String) throws(KeyFileError) {
        let labels = keyBlockLabels(bytes)
        guard labels.count <= 1 else {
            throw KeyFileError(
                path: path,
                reason: "holds \(labels.count) keys (\(labels.joined(separator: ", "))); a key file must hold exactly one, "
                    + "so which is meant is not guessed")
        }
    }
}
