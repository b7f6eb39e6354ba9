import Foundation
import Testing
import TestSupport

@Suite struct Bootstrap {
    /// Without Swift on PATH the set-up says where Swift comes from, before it installs anything.
    @Test func saysWhereSwiftComesFromWhenItIsMissing() throws {
        let scratch = try TemporaryFolder()
        // A PATH holding only what the script needs to get that far: no swift, no apt.
        let bin = scratch.url("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for tool in ["dirname"] {
            try FileManager.default.createSymbolicLink(atPath: "\(bin)/\(tool)", withDestinationPath: "/usr/bin/\(tool)")
        }
        let result = try run("/bin/bash", ["\(packageRoot)/Scripts/bootstrap.sh"], environment: ["PATH": bin])
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout == "")
        #expect(
            result.stderr
                == "bootstrap: swift is not on PATH; install Swift 6 (https://www.swift.org/install/linux/) and put its usr/bin on PATH\n")
    }
}
