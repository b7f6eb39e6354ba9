import Foundation
import Testing
import TestSupport

extension Tag {
    /// Starts a Dask cluster or another tool that takes seconds to come up.
    @Tag static var slow: Self
}

/// The test tools' Python, which has `dask[distributed]`.
func scalePython() throws -> String { try TestTools.python }

@Suite struct DistributedExample {
    @Test(.tags(.slow), .timeLimit(.minutes(5)))
    func hashesAModelZooOnALocalDaskClusterAndSignsEachModel() throws {
        let python = try scalePython()
        let work = try Workspace()
        try work.folder.makeFolder("zoo")
        try work.exampleModel("zoo/tiny")
        try work.exampleModel("zoo/sharded")
        for index in 0..<60 {
            try work.folder.write("zoo/sharded/shards/part-\(String(index).leftPadded(3)).bin", pseudoRandomBytes(100 + index * 37, seed: UInt64(index)))
        }
        try work.keygen("signer")
        let example = packageRoot + "/Examples/distributed/hash_with_dask.py"
        let result = try run(
            python,
            [example, "zoo/tiny", "zoo/sharded", "--key", "signer.key", "--pedigree", pedigreeExecutable,
             "--files-per-task", "8", "--jobs", "1", "--", "--spot-check", "5"],
            environment: work.scaleEnvironment, currentDirectory: work.path, timeout: 240)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("zoo/sharded: 67 files in 9 tasks"), "\(result.stderr)")
        #expect(result.stdout.contains("signed sharded: 67 files, "))
        for model in ["tiny", "sharded"] {
            let verified = try work.scaled(["verify", "zoo/\(model)", "--trusted-key", "signer.pub"])
            #expect(verified.status == 0, "\(verified)")
            #expect(verified.stdout.contains("digests: supplied in a list, checked against the folder's names and sizes; 5 files re-hashed by the signer"))
            // The same resources as a signer that reads every file itself.
            let read = try work.scaled(["sign", "zoo/\(model)", "--key", "signer.key", "-o", "\(model)-read.json", "--no-cache"])
            #expect(read.status == 0)
            let distributed = try work.predicate("zoo/\(model)/pedigree.json")["resources"] as! [[String: Any]]
            let local = try work.predicate("\(model)-read.json")["resources"] as! [[String: Any]]
            #expect(distributed.map { $0["name"] as! String } == local.map { $0["name"] as! String })
            #expect(distributed.map { $0["digest"] as! String } == local.map { $0["digest"] as! String })
        }
    }

    @Test(.tags(.slow), .timeLimit(.minutes(5)))
    func aFileNoWorkerCanReadStopsItsModel() throws {
        let python = try scalePython()
        let work = try Workspace()
        try work.folder.makeFolder("zoo")
        try work.exampleModel("zoo/tiny")
        try work.keygen("signer")
        try shell("mkfifo zoo/tiny/pipe", currentDirectory: work.path)
        let result = try run(
            python,
            [packageRoot + "/Examples/distributed/hash_with_dask.py", "zoo/tiny", "--key", "signer.key",
             "--pedigree", pedigreeExecutable, "--workers", "1"],
            environment: work.scaleEnvironment, currentDirectory: work.path, timeout: 240)
        // The FIFO is not a regular file, so it is not sent to a worker; the folder then has a
        // file the list lacks, and sign refuses it.
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("pedigree: cannot sign, 1 problem in the folder:\n  pipe: is a FIFO; refused, never read"), "\(result.stderr)")
        #expect(!work.exists("zoo/tiny/pedigree.json"))
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
