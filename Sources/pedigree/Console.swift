#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writing to the terminal: results on stdout, diagnostics on stderr.
enum Console {
    /// Writes `text` and a newline to standard output.
    static func out(_ text: String) { write(STDOUT_FILENO, text + "\n") }

    /// Writes `pedigree: <text>` to standard error.
    static func error(_ text: String) { write(STDERR_FILENO, "pedigree: \(text)\n") }

    /// Writes `text` and a newline to standard error as it is.
    static func note(_ text: String) { write(STDERR_FILENO, text + "\n") }

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
