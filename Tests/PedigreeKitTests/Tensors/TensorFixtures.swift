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

/// The artifacts `Scripts/make-tensor-fixtures.py` builds, made once per test run in a temporary
/// folder, and what the reference readers said about them (`expected.json`).
final class TensorFixtures: Sendable {
    let folder: TemporaryFolder
    let expected: JSONValue

    /// The shared set; building it runs the Python script (about a second).
    static let shared: Result<TensorFixtures, ToolError> = {
        do {
            let python = try TestTools.python
            let folder = try TemporaryFolder()
            let result = try run(python, [packageRoot + "/Scripts/make-tensor-fixtures.py", folder.path], timeout: 300)
            guard result.status == 0 else { return .failure(ToolError(message: "make-tensor-fixtures.py failed: \(result)")) }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.url("expected.json")))
            return .success(TensorFixtures(folder: folder, expected: try JSONReader.parse(Array(bytes))))
        } catch let error as ToolError {
            return .failure(error)
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
