import Foundation
import Testing
import TestSupport

@testable import PedigreeKit

extension Tag {
    /// Tests that build artifacts with Python's numpy, safetensors and gguf.
    @Tag static var tensorFixtures: Self
    /// Timings printed, never asserted; run with PEDIGREE_BENCHMARK=1.
    @Tag static var tensorBenchmark: Self
}

/// Where the tensor tests find their tools and artifacts.
enum TensorTools {
    /// The Python interpreter with numpy, safetensors and gguf: `PEDIGREE_TEST_PYTHON`, else the
    /// shared test venv. The one place to switch to `TestTools.python` when the set-up branch
    /// brings it.
    static let python: String? = {
        if let chosen = ProcessInfo.processInfo.environment["PEDIGREE_TEST_PYTHON"], !chosen.isEmpty { return chosen }
        let venv = "/work/coord/venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()

    /// Why the fixture tests cannot run, or `nil` when they can.
    static let unavailable: String? = {
        guard let python else {
            return "no Python with numpy, safetensors and gguf: set PEDIGREE_TEST_PYTHON to one"
        }
        guard let probe = try? run(python, ["-c", "import numpy, safetensors, gguf"]), probe.status == 0 else {
            return "\(python) lacks numpy, safetensors or gguf (pip install numpy safetensors gguf)"
        }
        return nil
    }()

    static var available: Bool { unavailable == nil }

    /// The reason printed when the fixture tests are skipped.
    static var skipComment: Comment { Comment(rawValue: unavailable ?? "") }
}

/// The artifacts `Scripts/make-tensor-fixtures.py` builds, made once per test run in a temporary
/// folder, and what the reference readers said about them (`expected.json`).
final class TensorFixtures: Sendable {
    let folder: TemporaryFolder
    let expected: JSONValue

    /// The shared set; building it runs the Python script (about a second).
    static let shared: Result<TensorFixtures, ToolError> = {
        guard let python = TensorTools.python else { return .failure(ToolError(message: TensorTools.unavailable ?? "no python")) }
        do {
            let folder = try TemporaryFolder()
            let result = try run(python, [packageRoot + "/Scripts/make-tensor-fixtures.py", folder.path], timeout: 300)
            guard result.status == 0 else { return .failure(ToolError(message: "make-tensor-fixtures.py failed: \(result)")) }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.url("expected.json")))
            return .success(TensorFixtures(folder: folder, expected: try JSONReader.parse(Array(bytes))))
        } catch {
            return .failure(ToolError(message: "building the tensor fixtures failed: \(error)"))
        }
    }()

    static func get() throws -> TensorFixtures { try shared.get() }

    init(folder: TemporaryFolder, expected: JSONValue) {
        self.folder = folder
        self.expected = expected
    }

    func path(_ relative: String) -> String { folder.url(relative) }

    /// The inventory of one artifact folder (`base`, `gguf-q8_0`, …).
    func inventory(_ name: String, chunkSize: Int = 1 << 20) throws -> TensorInventory {
        try TensorInventory.read(folder: path(name), chunkSize: chunkSize)
    }

    /// `expected.json`'s entry for one file (`base/model.safetensors`).
    func file(_ relative: String) -> JSONValue? { expected["files"]?[relative] }

    /// The relative paths of the files of one format.
    func files(withSuffix suffix: String) -> [String] {
        guard case .object(let files)? = expected["files"] else { return [] }
        return files.keys.filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Copies an artifact folder into a fresh temporary folder a test may change.
    func copy(_ name: String) throws -> (TemporaryFolder, String) {
        let scratch = try TemporaryFolder()
        let target = scratch.url(name)
        try FileManager.default.copyItem(atPath: path(name), toPath: target)
        return (scratch, target)
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var int64: Int64? {
        if case .number(let number) = self { return number.int64 }
        return nil
    }

    var uint64: UInt64? {
        if case .number(let number) = self { return number.uint64 }
        return nil
    }

    var double: Double? {
        if case .number(let number) = self { return number.double }
        return nil
    }

    var list: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}

/// The message of the error `body` throws, or a note that it threw none.
func tensorErrorMessage<T>(_ body: () throws(TensorFileError) -> T) -> String {
    do {
        _ = try body()
        return "(no error)"
    } catch {
        return error.description
    }
}

/// The error `body` throws, or `nil`.
func tensorError<T>(_ body: () throws(TensorFileError) -> T) -> TensorFileError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
