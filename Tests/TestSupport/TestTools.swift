import Foundation

/// The external tools the tests cross-check pedigree against, found in one place.
///
/// `bash Scripts/bootstrap.sh --tests` (the README's test command) installs them: the system
/// tools (`openssl`, `sha256sum`, `dot`, `node`) with apt where they are missing, and the Python
/// tools (`model_signing`, the validators' packages, …) in a virtual environment at
/// `.build/test-tools/venv` inside the package, with the Mermaid grammar beside it in
/// `.build/test-tools/` — or under the folder `PEDIGREE_TEST_TOOLS` names, laid out the same.
///
/// Every accessor throws a ``ToolError`` that says what is missing and how to install it, so a
/// test that needs a missing tool fails loudly (it is never skipped: CI installs the tools).
///
/// ```swift
/// let result = try TestTools.validate("validate-cyclonedx.py", [file])
/// let signed = try run(TestTools.modelSigning, ["sign", "key", ...])
/// let svg = try run(TestTools.dot, ["-Tsvg", "lineage.dot", "-o", "lineage.svg"])
/// ```
public enum TestTools {
    /// The command that installs every test tool.
    public static let installCommand = "bash Scripts/bootstrap.sh --tests"

    /// The folder holding the virtual environment and the Mermaid grammar.
    public static let folder: String = {
        if let custom = ProcessInfo.processInfo.environment["PEDIGREE_TEST_TOOLS"], !custom.isEmpty { return custom }
        return packageRoot + "/.build/test-tools"
    }()

    /// The test tools' Python virtual environment.
    public static var venv: String { folder + "/venv" }

    /// The pinned Python requirements the virtual environment is built from.
    public static var requirementsFile: String { packageRoot + "/Scripts/test-requirements.txt" }

    /// The Python interpreter of the virtual environment, which has every package of
    /// `Scripts/test-requirements.txt`.
    public static var python: String {
        get throws {
            let path = venv + "/bin/python3"
            guard isExecutable(path) else {
                throw missing("the test tools' Python (a virtual environment)", at: path)
            }
            try checkRequirementsAreCurrent()
            return path
        }
    }

    /// The OpenSSF reference signer's command-line tool, `model_signing` 1.1.1.
    public static var modelSigning: String { get throws { try venvTool("model_signing") } }

    /// Graphviz's `dot`.
    public static var dot: String { get throws { try systemTool("dot", package: "graphviz") } }

    /// Node.js.
    public static var node: String { get throws { try systemTool("node", package: "nodejs") } }

    /// The `openssl` command-line tool.
    public static var openssl: String { get throws { try systemTool("openssl", package: "openssl") } }

    /// coreutils' `sha256sum`.
    public static var sha256sum: String { get throws { try systemTool("sha256sum", package: "coreutils") } }

    /// The Mermaid grammar (a self-contained Node.js parser from the PyPI package
    /// mermaid-syntax-parser) that `Scripts/validate-mermaid.sh` runs.
    public static var mermaidParser: String {
        get throws {
            let path = folder + "/mermaid_parser/lib/mermaid_syntax_parser.cjs"
            guard FileManager.default.fileExists(atPath: path) else { throw missing("the Mermaid grammar", at: path) }
            return path
        }
    }

    /// An environment for tools run by the tests: the virtual environment's `bin` first on
    /// `PATH`, and `PEDIGREE_TEST_TOOLS` set, so a script that calls `python3`, `model_signing`
    /// or `node` gets the same tools as the tests.
    public static var environment: [String: String] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return ["PATH": venv + "/bin:" + path, "PEDIGREE_TEST_TOOLS": folder]
    }

    /// Runs a Python script with the test tools' Python.
    @discardableResult
    public static func runPython(
        _ script: String, _ arguments: [String] = [], stdin: Data? = nil, currentDirectory: String? = nil,
        timeout: TimeInterval = 120
    ) throws -> ProcessResult {
        try run(try python, [script] + arguments, stdin: stdin, environment: environment,
                currentDirectory: currentDirectory, timeout: timeout)
    }

    /// Runs `Scripts/<script>` on `files`: a Python validator (`validate-manifest.py`,
    /// `validate-cyclonedx.py`, `validate-spdx.py`, `validate-slsa.py`, …) with the test tools'
    /// Python, or `validate-mermaid.sh` with Node.js and the Mermaid grammar.
    @discardableResult
    public static func validate(
        _ script: String, _ files: [String], currentDirectory: String? = nil, timeout: TimeInterval = 120
    ) throws -> ProcessResult {
        let path = packageRoot + "/Scripts/" + script
        guard FileManager.default.fileExists(atPath: path) else {
            throw ToolError(message: "the validator Scripts/\(script) does not exist")
        }
        if script.hasSuffix(".py") {
            return try runPython(path, files, currentDirectory: currentDirectory, timeout: timeout)
        }
        if script == "validate-mermaid.sh" {
            _ = try node
            _ = try mermaidParser
        }
        return try run("/bin/bash", [path] + files, environment: environment, currentDirectory: currentDirectory, timeout: timeout)
    }

    /// A console script of the virtual environment.
    static func venvTool(_ name: String) throws -> String {
        _ = try python
        let path = venv + "/bin/" + name
        guard isExecutable(path) else { throw missing("\(name) (a Python package of Scripts/test-requirements.txt)", at: path) }
        return path
    }

    /// A tool from the system, found on `PATH` as a shell would find it.
    static func systemTool(_ name: String, package: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        throw ToolError(message: """
            test tool missing: \(name) is not on PATH (\(path)); install it with `\(installCommand)` \
            (Debian package \(package))
            """)
    }

    /// The virtual environment was built from the requirements as they are now: a stale one
    /// would fail tests in ways that hide the reason.
    static func checkRequirementsAreCurrent() throws {
        let stamp = venv + "/pedigree-requirements.txt"
        guard let wanted = FileManager.default.contents(atPath: requirementsFile),
              let built = FileManager.default.contents(atPath: stamp), wanted == built
        else {
            throw ToolError(message: """
                test tools out of date: the virtual environment \(venv) was not built from the current \
                Scripts/test-requirements.txt; run `\(installCommand)`
                """)
        }
    }

    static func missing(_ what: String, at path: String) -> ToolError {
        ToolError(message: "test tool missing: \(what) is not at \(path); install the test tools with `\(installCommand)`")
    }

    static func isExecutable(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}
