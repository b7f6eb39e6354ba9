#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the real path `path` is `root` or lies inside it, comparing bytes (two spellings
/// of one name in different Unicode forms are two different folders).
func isWithin(_ path: String, _ root: String) -> Bool {
    if path.utf8.elementsEqual(root.utf8) { return true }
    let prefix = root.utf8.last == UInt8(ascii: "/") ? Array(root.utf8) : Array(root.utf8) + [UInt8(ascii: "/")]
    return path.utf8.starts(with: prefix)
}

/// The target text of the symbolic link `name` in `dirfd`.
func readLink(at dirfd: Int32, _ name: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlinkat(dirfd, name, &buffer, buffer.count - 1)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The canonical absolute path with every link resolved, or `nil` if it does not exist.
public func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
