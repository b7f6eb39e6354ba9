import Foundation
import FuzzHarnesses
import Testing
import TestSupport

/// Every input of the fuzz corpus (`Fuzz/Corpus/<harness>/`), seeds and the crashes found
/// since, through its harness: what a fuzzer once broke stays fixed, in CI, without libFuzzer.
@Suite struct FuzzCorpusReplay {
    static let corpus = packageRoot + "/Fuzz/Corpus"

    @Test(arguments: FuzzHarness.all.keys.sorted())
    func everyInputOfTheCorpusRunsThroughItsHarness(_ name: String) throws {
        let harness = try #require(FuzzHarness.all[name])
        let folder = Self.corpus + "/" + name
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        #expect(!files.isEmpty, "every harness has a seed corpus in Fuzz/Corpus/\(name)/")
        for file in files {
            harness(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))))
        }
    }

    @Test func everyCorpusFolderHasAHarness() throws {
        // Folders only: Fuzz/Corpus also holds the script that rebuilds the tensor seeds.
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).filter { name in
            var isFolder: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: Self.corpus + "/" + name, isDirectory: &isFolder)
                && isFolder.boolValue
        }
        #expect(Set(folders) == Set(FuzzHarness.all.keys))
    }
}
