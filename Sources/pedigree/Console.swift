#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PedigreeCrypto
import PedigreeKit
import Synchronization

/// The one place the tool writes to the terminal: results on stdout, diagnostics on stderr.
///
/// Lines are `TerminalText`, so every name from a file system or a manifest in them is
/// escaped; JSON reports go through `JSONOutput`, whose escapes are terminal-safe too, and
/// documents (exports) through their format's writer. Every write first erases the progress
/// line if one is showing, under one lock, so no output lands in the middle of it.
enum Console {
    private static let state = Mutex(State())

    private struct State {
        /// Whether a progress line is on stderr now.
        var progressShown = false
    }

    /// Writes `text` and a newline to standard output.
    static func out(_ text: TerminalText) { write(STDOUT_FILENO, text.rendered + "\n") }

    /// Writes `pedigree: <text>` to standard error.
    static func error(_ text: TerminalText) { write(STDERR_FILENO, "pedigree: \(text.rendered)\n") }

    /// Writes `pedigree: warning: <text>` to standard error.
    static func warning(_ text: TerminalText) { error("warning: \(text)") }

    /// Writes `text` and a newline to standard error.
    static func note(_ text: TerminalText) { write(STDERR_FILENO, text.rendered + "\n") }

    /// Writes `value` as a JSON report on standard output (`JSONOutput`).
    static func json(_ value: some Encodable) throws(JSONOutput.EncodingFailure) {
        write(STDOUT_FILENO, try JSONOutput.text(value))
    }

    /// Writes a piece of a JSON report made by `JSONOutput` on standard output, as it is.
    static func text(_ text: String) { write(STDOUT_FILENO, text) }

    /// Writes a document made by a format's own writer (an export) on standard output, as it is.
    static func document(_ bytes: [UInt8]) { write(STDOUT_FILENO, String(decoding: bytes, as: UTF8.self)) }

    /// Writes a line in `sha256sum`'s format on standard output: byte for byte what `sha256sum`
    /// would print (it escapes `\`, line feed and carriage return in names itself) when the
    /// output is data for another program; on a terminal, other unsafe characters are escaped too.
    static func checksumLine(_ line: ChecksumOutputLine) {
        let text = stdoutIsTerminal ? TerminalText.escaping(line.text).rendered : line.text
        write(STDOUT_FILENO, text + "\n")
    }

    /// Writes an ArgumentParser message (help, usage, a parse error): its lines as laid out,
    /// each escaped, on stdout for help and stderr otherwise.
    static func parserMessage(_ message: String, toStandardOutput: Bool) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.escaping($0).rendered }
        write(toStandardOutput ? STDOUT_FILENO : STDERR_FILENO, lines.joined(separator: "\n") + "\n")
    }

    /// Draws `line` as the progress line on stderr, replacing the one shown.
    static func showProgress(_ line: TerminalText) {
        state.withLock { state in
            rawWrite(STDERR_FILENO, "\r\u{1B}[K" + line.rendered)
            state.progressShown = true
        }
    }

    /// Erases the progress line, if one is shown.
    static func clearProgress() {
        state.withLock { state in
            if state.progressShown { rawWrite(STDERR_FILENO, "\r\u{1B}[K") }
            state.progressShown = false
        }
    }

    /// Whether standard error is a terminal (progress is shown only there).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Whether standard output is a terminal.
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    private static func write(_ fd: Int32, _ text: String) {
        state.withLock { state in
            if state.progressShown {
                rawWrite(STDERR_FILENO, "\r\u{1B}[K")
                state.progressShown = false
            }
            rawWrite(fd, text)
        }
    }

    /// Writes all of `text` to `fd`, unbuffered, so stdout and stderr keep their order.
    private static func rawWrite(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
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
}

/// A line of `sha256sum` output, built only from a digest line or a check result.
struct ChecksumOutputLine {
    fileprivate let text: String

    /// `<hex>  <path>` or `SHA256 (<path>) = <hex>`, escaped as `sha256sum` escapes names.
    init(format: ChecksumLine, digest: SHA256Digest, path: String) {
        text = format.format(digest: digest, path: path)
    }

    /// `<path>: OK` and the like, as `sha256sum -c` writes them (a name holding `\`, a line
    /// feed or a carriage return is escaped and the line starts with `\`).
    init(path: String, result: StaticString) {
        guard path.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A || $0 == 0x0D }) else {
            text = path + ": " + result.description
            return
        }
        var name = ""
        for scalar in path.unicodeScalars {
            switch scalar {
            case "\\": name += "\\\\"
            case "\n": name += "\\n"
            case "\r": name += "\\r"
            default: name.unicodeScalars.append(scalar)
            }
        }
        text = "\\" + name + ": " + result.description
    }
}
