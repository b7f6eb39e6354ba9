import Foundation
import PedigreeKit
import Testing
import TestSupport

@Suite struct ShowCommand {
    @Test func showsWhatTheManifestSaysWithFullKeyIds() throws {
        let work = try Workspace()
        try work.apacheBaseAndChild()
        let keyid = try work.bundle("child/pedigree.json").dsseEnvelope.signatures[0].keyid
        let shown = try work.run(["show", "child", "--trusted-key", "child.pub"])
        #expect(shown.status == 0, "\(shown)")
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "manifest        child/pedigree.json")
        #expect(lines.contains("model           child"))
        #expect(lines.contains { $0.hasPrefix("parent          finetune of ") && $0.hasSuffix(", base, untrusted when signed)") })
        #expect(lines.contains("  method          m"))
        #expect(lines.contains("  changes         7 unchanged, 1 modified, 1 added"))
        #expect(lines.contains("  weights         model.safetensors"))
        #expect(lines.contains("signature 1     \(keyid) trusted (Ed25519, child.pub)"))
        // Without keys nothing is judged.
        let unverified = try work.run(["show", "child/pedigree.json"])
        #expect(unverified.stdout.contains("signature 1     \(keyid) unverified\n"))
        let json = try work.jsonReport(["show", "child", "--json"])
        #expect((json["signatures"] as? [[String: Any]])?.first?["keyid"] as? String == keyid)
        #expect((json["roles"] as? [String: Int])?["weights"] == 1)
        #expect(((json["lineage"] as? [String: Any])?["parents"] as? [[String: Any]])?.first?["embedded"] as? Bool == true)
    }

    @Test func aMultiLineNoticeCannotPassForAReportLine() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--attribution", "Thanks\nsignature 9     forged"]).status == 0)
        let shown = try work.run(["show", "model"])
        #expect(shown.stdout.contains("  attribution     Thanks\n                  signature 9     forged\n"))
        #expect(!shown.stdout.split(separator: "\n").contains { $0.hasPrefix("signature 9") })
    }

    @Test func manifestsThatCannotBeShown() throws {
        let work = try Workspace()
        let missing = try work.run(["show", "nothing.json"])
        #expect(missing.status == 66)
        #expect(missing.stderr == "pedigree: nothing.json: No such file or directory\n")
        #expect(missing.stdout == "")
        try work.folder.write("junk.json", "{\"mediaType\": 1}")
        let junk = try work.run(["show", "junk.json"])
        #expect(junk.status == 65)
        #expect(junk.stderr.hasPrefix("pedigree: junk.json: "))
        // A chain missing an ancestor is shown, and the problem named, with exit 1.
        try work.apacheBaseAndChild()
        var object = try JSONSerialization.jsonObject(with: try work.read("child/pedigree.json")) as! [String: Any]
        object.removeValue(forKey: "ancestors")
        try work.folder.write("child/pedigree.json", try JSONSerialization.data(withJSONObject: object))
        let broken = try work.run(["show", "child"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains(", NOT EMBEDDED)"))
        #expect(broken.stderr.contains("is not among the embedded ancestors"))
    }
}
