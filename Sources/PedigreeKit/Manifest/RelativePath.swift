/// Names of files inside a model folder: POSIX paths relative to the folder.
public enum RelativePath {
    /// Why `name` is not a safe relative path, or `nil` if it is one.
    ///
    /// Safe means: not empty, not absolute, no backslash, no NUL, no empty, `.` or `..`
    /// component. A name that passes can only ever name something inside the folder.
    ///
    /// One pass over the name's bytes in place, with no array made: `sign` checks every file's
    /// name. A NUL or a backslash anywhere is named before a bad component.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "is empty" }
        var name = name
        return name.withUTF8 { bytes -> String? in
            let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
            if bytes[0] == slash { return "is an absolute path" }
            var hasNUL = false, hasBackslash = false
            var component: String?
            var start = 0
            for index in 0...bytes.count {
                let byte = index < bytes.count ? bytes[index] : slash
                if byte == 0 {
                    hasNUL = true
                } else if byte == UInt8(ascii: "\\") {
                    hasBackslash = true
                } else if byte == slash {
                    if component == nil {
                        let length = index - start
                        if length == 0 {
                            component = "has an empty path component"
                        } else if length == 1 && bytes[start] == dot {
                            component = "has a '.' component"
                        } else if length == 2 && bytes[start] == dot && bytes[start + 1] == dot {
                            component = "leaves the folder ('..')"
                        }
                    }
                    start = index + 1
                }
            }
            if hasNUL { return "contains a NUL byte" }
            if hasBackslash { return "contains a backslash" }
            return component
        }
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
