/// Names of files inside a model folder: POSIX paths relative to the folder.
public enum RelativePath {
    /// Why `name` is not a safe relative path, or `nil` if it is one.
    ///
    /// Safe means: not empty, not absolute, no backslash, no NUL, no empty, `.` or `..`
    /// component. A name that passes can only ever name something inside the folder.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "is empty" }
        let bytes = Array(name.utf8)
        if bytes.first == UInt8(ascii: "/") { return "is an absolute path" }
        if bytes.contains(0) { return "contains a NUL byte" }
        if bytes.contains(UInt8(ascii: "\\")) { return "contains a backslash" }
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if component.isEmpty { return "has an empty path component" }
            if component.elementsEqual([UInt8(ascii: ".")]) { return "has a '.' component" }
            if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return "leaves the folder ('..')" }
        }
        return nil
    }

    /// The path's components as byte strings.
    static func components(_ name: String) -> [ArraySlice<UInt8>] {
        Array(name.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    }

    /// The order `model_signing` sorts files in: path components compared one by one, each
    /// by its bytes, a path before the paths inside it (`a` < `a/b` < `a-b`).
    ///
    /// Compared in place, byte by byte, with `/` ranked below every byte: ordering the joined
    /// bytes so is the same as ordering the components one by one (a component that ends first
    /// meets `/` or the end where the other still has a byte), and it allocates nothing — the
    /// root digest sorts every file of a manifest with it.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let common = min(x.count, y.count)
                for index in 0..<common where x[index] != y[index] {
                    let slash = UInt8(ascii: "/")
                    if x[index] == slash { return true }
                    if y[index] == slash { return false }
                    return x[index] < y[index]
                }
                return x.count < y.count
            }
        }
    }

    /// `precedes` as it was first written, on arrays of components: the reference the tests
    /// compare the in-place comparison with.
    static func precedesByComponents(_ a: String, _ b: String) -> Bool {
        components(a).lexicographicallyPrecedes(components(b)) { $0.lexicographicallyPrecedes($1) }
    }
}

/// A string compared and hashed by its UTF-8 bytes.
///
/// Swift's `String` equality treats canonically equivalent text as equal (`é` precomposed or
/// not), but a file system does not: two such names are two files. Keys of file names use
/// this type so no file can hide behind another's name.
///
/// It keeps the string itself (sharing its storage, so a key costs no allocation of its own,
/// which counts with a key per file of a large folder) and compares its UTF-8 bytes.
public struct ByteKey: Hashable, Sendable {
    private let text: String

    public init(_ string: String) { text = string }

    /// The key's UTF-8 bytes.
    public var bytes: [UInt8] { Array(text.utf8) }

    public static func == (a: ByteKey, b: ByteKey) -> Bool {
        a.text.utf8.count == b.text.utf8.count && a.text.utf8.elementsEqual(b.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var text = self.text
        hasher.combine(text.utf8.count)
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
