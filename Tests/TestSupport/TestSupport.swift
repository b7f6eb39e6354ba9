import Foundation

/// A fresh temporary folder, removed when the value is released.
public final class TemporaryFolder: @unchecked Sendable {
    public let path: String

    public init() throws {
        let template = NSTemporaryDirectory() + "pedigree-test-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        // Restore permissions a test may have taken away, then remove everything.
        _ = try? run("/bin/chmod", ["-R", "u+rwx", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `path/relative`.
    public func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes `contents` at `relative`, creating folders on the way.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> String {
        try write(relative, Data(contents.utf8))
    }

    /// Writes `data` at `relative`, creating folders on the way.
    @discardableResult
    public func write(_ relative: String, _ data: Data) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: full))
        return full
    }

    /// Creates the folder `relative` and its parents.
    @discardableResult
    public func makeFolder(_ relative: String) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}

/// Deterministic pseudo-random bytes (xorshift), so large test files need no entropy.
public func pseudoRandomBytes(_ count: Int, seed: UInt64) -> Data {
    var state = (seed &* 0x9E37_79B9_7F4A_7C15) | 1
    var data = Data(count: count)
    data.withUnsafeMutableBytes { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        var index = 0
        while index < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            var word = state
            for _ in 0..<8 where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
    }
    return data
}

/// What a finished process printed and how it ended.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var stdoutData: Data

    public var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs `executable` with `arguments` and waits, killing it after `timeout` seconds so a
/// hang fails the test instead of stalling the suite.
@discardableResult
public func run(
    _ executable: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil,
    currentDirectory: String? = nil, timeout: TimeInterval = 120
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let outPipe = Pipe()
    let errPipe = Pipe()
    let inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
    try process.run()
    if let stdin {
        inPipe.fileHandleForWriting.write(stdin)
        try? inPipe.fileHandleForWriting.close()
    }
    let collector = OutputCollector()
    let group = DispatchGroup()
    for (pipe, isOut) in [(outPipe, true), (errPipe, false)] {
        group.enter()
        DispatchQueue.global().async {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            collector.set(data, isOut: isOut)
            group.leave()
        }
    }
    let deadline = DispatchTime.now() + timeout
    if group.wait(timeout: deadline) == .timedOut {
        process.terminate()
        // A grandchild may still hold the pipes; do not wait for it forever.
        _ = group.wait(timeout: .now() + 5)
        throw TimeoutError(command: ([executable] + arguments).joined(separator: " "), seconds: timeout)
    }
    process.waitUntilExit()
    let (out, err) = collector.values
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self), stdoutData: out)
}

/// Runs a shell command line with `/bin/sh -c`.
@discardableResult
public func shell(_ command: String, currentDirectory: String? = nil, timeout: TimeInterval = 300) throws -> ProcessResult {
    try run("/bin/sh", ["-c", command], currentDirectory: currentDirectory, timeout: timeout)
}

/// A command ran longer than its test allows.
public struct TimeoutError: Error, CustomStringConvertible {
    public var command: String
    public var seconds: TimeInterval
    public var description: String { "\(command) did not finish within \(Int(seconds)) s" }
}

private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    func set(_ data: Data, isOut: Bool) {
        lock.lock()
        if isOut { out = data } else { err = data }
        lock.unlock()
    }

    var values: (Data, Data) {
        lock.lock()
        defer { lock.unlock() }
        return (out, err)
    }
}

/// The `sha256sum` digest of a file, from the system's coreutils.
public func systemSHA256(_ path: String) throws -> String {
    let result = try run("/usr/bin/sha256sum", ["--", path])
    guard result.status == 0, let hex = result.stdout.split(separator: " ").first else {
        throw ToolError(message: "sha256sum failed: \(result)")
    }
    return String(hex.hasPrefix("\\") ? hex.dropFirst() : hex)
}

/// An external tool a test relies on failed.
public struct ToolError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// The folder that holds the package's build products (where `pedigree` is built).
public func buildProductsFolder() -> String {
    // The test runner is itself a build product: .build/<triple>/<config>/pedigreePackageTests.xctest
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var folder = (exe as NSString).deletingLastPathComponent
    if folder.hasSuffix(".xctest") || folder.hasSuffix("/Contents/MacOS") {
        folder = (folder as NSString).deletingLastPathComponent
    }
    return folder
}

/// The path of the built `pedigree` executable.
public let pedigreeExecutable: String = buildProductsFolder() + "/pedigree"

/// Runs the built `pedigree` with `arguments`.
///
/// Unless the caller names its own `XDG_CACHE_HOME` or `HOME`, the digest cache goes to a
/// folder of this test run's, never the user's: a cache another build of pedigree wrote (an
/// older schema, which pedigree warns about and rebuilds) must not change what a test sees.
@discardableResult
public func pedigree(
    _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil,
    currentDirectory: String? = nil, timeout: TimeInterval = 120
) throws -> ProcessResult {
    var environment = environment ?? [:]
    if environment["XDG_CACHE_HOME"] == nil, environment["HOME"] == nil {
        environment["XDG_CACHE_HOME"] = testRunCacheFolder
    }
    return try run(
        pedigreeExecutable, arguments, stdin: stdin, environment: environment,
        currentDirectory: currentDirectory, timeout: timeout)
}

/// A cache folder for the command-line runs of this test process, beside nothing of the user's.
public let testRunCacheFolder: String = {
    let path = NSTemporaryDirectory() + "pedigree-test-cache-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

/// The folder of the package (found from this source file).
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
