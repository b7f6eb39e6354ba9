#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writing to the terminal: results on stdout, diagnostics on stderr.
///
/// Reports carry names from file systems and manifests, which may hold control characters;
/// `out`, `error` and `note` escape them (line breaks and tabs excepted) so that no name can
/// move the cursor, hide a line or retitle the terminal. `checksumLine` writes as `sha256sum`
/// does, byte for byte.
enum Console {
    /// Writes `text` and a newline to standard output, control characters escaped.
    static func out(_ text: String) { write(STDOUT_FILENO, safe(text) + "\n") }

    /// Writes a `sha256sum`-format line as it is (it escapes what it must itself).
    static func checksumLine(_ text: String) { write(STDOUT_FILENO, text + "\n") }

    /// Writes `pedigree: <text>` to standard error, control characters escaped.
    static func error(_ text: String) { write(STDERR_FILENO, "pedigree: \(safe(text))\n") }

    /// Writes `text` and a newline to standard error, control characters escaped.
    static func note(_ text: String) { write(STDERR_FILENO, safe(text) + "\n") }

    /// `text` with every control character but line feed and tab written as `\xNN` / `\u{…}`.
    static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out += scalar.value < 0x100 ? "\\x" + String(scalar.value, radix: 16).leftPadded(2) : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0a, 0x09: return false
        case 0x00..<0x20, 0x7f..<0xa0, 0x2028, 0x2029, 0x202a...0x202e, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// Writes `text` with no newline added: to standard error (progress lines) by default.
    static func raw(_ text: String, toStandardOutput: Bool = false) {
        write(toStandardOutput ? STDOUT_FILENO : STDERR_FILENO, text)
    }

    /// Writes all of `text` to `fd`, unbuffered, so stdout and stderr keep their order.
    private static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    return  // A closed pipe: nothing more can be said.
                }
            }
        }
    }

    /// Whether standard error is a terminal (progress is shown only there).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Prints `value` as pretty, key-sorted JSON on standard output.
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        out(String(decoding: data, as: UTF8.self))
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
