import Foundation
import PedigreeKit
import Testing
import TestSupport

/// One grammar across commands: each case with its exact message, its exit status, and
/// nothing written.
@Suite struct Grammar {
    private func usage(_ command: String) throws -> String {
        let help = try pedigree([command, "--help"])
        let line = help.stdout.split(separator: "\n").first { $0.hasPrefix("USAGE: ") } ?? ""
        return String(line.dropFirst("USAGE: ".count))
    }

    @Test func anUnknownOptionIsReportedBeforeAnyOtherCheck() throws {
        let work = try Workspace()
        try work.exampleModel()
        // verify has no key here (its own check would complain) and sign none (a missing
        // --key): the unknown option is what is reported.
        let verify = try work.run(["verify", "model", "--trusted-kye", "k.pub"])
        #expect(verify.status == 64)
        #expect(verify.stderr == """
            Error: Unknown option '--trusted-kye'.
            Usage: \(try usage("verify"))
              See 'pedigree verify --help' for more information.

            """)
        let sign = try work.run(["sign", "model", "--bogus"])
        #expect(sign.status == 64)
        #expect(sign.stderr.hasPrefix("Error: Unknown option '--bogus'.\n"))
        let short = try work.run(["hash", "-qZ", "model"])
        #expect(short.status == 64)
        #expect(short.stderr.hasPrefix("Error: Unknown option '-Z'.\n"))
        // What follows an option that takes a value is that option's business, not an unknown option.
        let value = try work.run(["sign", "model", "--key", "nothing.key", "--attribution", "--bogus"])
        #expect(value.status == 64, "\(value)")
        #expect(value.stderr.hasPrefix("Error: Missing value for '--attribution <attribution>'\n"))
        #expect(!work.exists("model/pedigree.json"))
    }

    @Test func verifyTakesPublicKeysAsEveryCommandDoes() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        let old = try work.run(["verify", "model", "--key", "signer.pub"])
        #expect(old.status == 64)
        #expect(old.stderr.hasPrefix("""
            Error: Unknown option '--key' (public keys are given with --trusted-key FILE or --trusted-keys DIR; --key is the signing key).

            """))
        let none = try work.run(["verify", "model"])
        #expect(none.status == 64)
        #expect(none.stderr.hasPrefix(
            "Error: give the signer's public key with --trusted-key FILE, or a folder of keys with --trusted-keys DIR, "
                + "or for a certificate-signed bundle its CA with --trusted-ca FILE\n"))
        try work.folder.makeFolder("keys")
        try FileManager.default.copyItem(atPath: work.folder.url("signer.pub"), toPath: work.folder.url("keys/signer.pub"))
        for arguments in [["--trusted-key", "signer.pub"], ["--trusted-keys", "keys"]] {
            #expect(try work.run(["verify", "model"] + arguments).status == 0)
            #expect(try work.run(["lineage", "model"] + arguments).stdout.contains("(trusted)"))
            #expect(try work.run(["show", "model"] + arguments).stdout.contains("trusted (Ed25519, "))
        }
        let lineage = try work.run(["lineage", "model", "-k", "signer.pub"])
        #expect(lineage.status == 64)
        #expect(lineage.stderr.hasPrefix("Error: Unknown option '-k' (public keys are given with --trusted-key FILE"))
    }

    @Test func theModelVersionIsNotTheToolVersion() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        let old = try work.run(["sign", "model", "--key", "signer.key", "--version", "1.0"])
        #expect(old.status == 64)
        #expect(old.stderr.hasPrefix(
            "Error: Unknown option '--version' (the model's version is --model-version; --version is pedigree's own).\n"))
        #expect(!work.exists("model/pedigree.json"))
        let hashVersion = try work.run(["hash", "model", "--version"])
        #expect(hashVersion.status == 64)
        #expect(hashVersion.stdout == "")
        #expect(try work.run(["--version"]).stdout == "0.1.0\n")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--model-version", "1.0"]).status == 0)
        let statement = try work.statement("model/pedigree.json")
        #expect(((statement["predicate"] as? [String: Any])?["model"] as? [String: Any])?["version"] as? String == "1.0")
    }

    @Test func eachSigningKeySignsThePayload() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("a")
        try work.keygen("b", "ecdsa-p256")
        let twice = try work.run(["sign", "model", "--key", "a.key", "--key", "./a.key"])
        #expect(twice.status == 64)
        #expect(twice.stderr.hasPrefix("pedigree: ./a.key and a.key are the same key ("))
        #expect(twice.stderr.hasSuffix("…); each key signs once\n"))
        #expect(!work.exists("model/pedigree.json"))
        let signed = try work.run(["sign", "model", "--key", "a.key", "--key", "b.key", "--json"])
        #expect(signed.status == 0, "\(signed)")
        let report = try JSONSerialization.jsonObject(with: signed.stdoutData) as? [String: Any]
        #expect(report?["signatureCount"] as? Int == 2)
        #expect((report?["signatures"] as? [[String: Any]])?.map { $0["algorithm"] as? String } == ["Ed25519", "ECDSA P-256"])
        #expect(try work.bundle("model/pedigree.json").dsseEnvelope.signatures.count == 2)
        for key in ["a.pub", "b.pub"] {
            let verified = try work.run(["verify", "model", "--trusted-key", key])
            #expect(verified.status == 0, "\(key): \(verified)")
        }
        // Countersigning takes several keys too, and refuses one that already signed.
        try work.keygen("c")
        try work.keygen("d")
        let again = try work.run(["sign", "model", "--append", "--key", "c.key", "--key", "a.key"])
        #expect(again.status == 65)
        #expect(again.stderr.hasPrefix("pedigree: model/pedigree.json: already signed by this key ("))
        #expect(try work.bundle("model/pedigree.json").dsseEnvelope.signatures.count == 2)
        let appended = try work.run(["sign", "model", "--append", "--key", "c.key", "--key", "d.key", "--json"])
        #expect(appended.status == 0, "\(appended)")
        let appendReport = try JSONSerialization.jsonObject(with: appended.stdoutData) as? [String: Any]
        #expect(appendReport?["mode"] as? String == "append")
        #expect(appendReport?["signatureCount"] as? Int == 4)
        #expect(try work.reportProblems(appended.stdoutData) == "")
    }

    @Test func quietOnlyHidesTheProgressLine() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key", "--quiet"]).status == 0)
        let quiet = try work.run(["verify", "model", "--trusted-key", "signer.pub", "-q"])
        #expect(quiet.status == 0)
        #expect(quiet.stdout.contains("\nconfig.json: OK\n"))
        #expect(quiet.stdout == (try work.run(["verify", "model", "--trusted-key", "signer.pub"])).stdout)
    }

    @Test func diffExitCodeSaysWhetherTheSidesDiffer() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        let same = try work.run(["diff", "model/pedigree.json", "model", "--exit-code"])
        #expect(same.status == 0, "\(same)")
        #expect(same.stdout == "0 modified, 0 added, 0 removed, 0 renamed, 7 unchanged\n")
        try work.folder.write("model/extra.txt", "x")
        let differ = try work.run(["diff", "model/pedigree.json", "model", "--exit-code"])
        #expect(differ.status == 1)
        #expect(differ.stdout == "added      extra.txt\n0 modified, 1 added, 0 removed, 0 renamed, 7 unchanged\n")
        #expect(try work.run(["diff", "model/pedigree.json", "model"]).status == 0)
        let json = try work.jsonReport(["diff", "model/pedigree.json", "model", "--exit-code", "--json"], status: 1)
        #expect(json["ok"] as? Bool == false)
        #expect(json["differ"] as? Bool == true)
        let missing = try work.run(["diff", "nothing", "model", "--exit-code"])
        #expect(missing.status == 66)
        #expect(missing.stderr == "pedigree: nothing: No such file or directory\n")
    }

    @Test func rulesBetweenOptionsAreUsageErrors() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        let cases: [([String], String)] = [
            (["lineage", "model", "--json", "--format", "dot"], "Error: --json prints JSON; it cannot go with --format dot\n"),
            (["export", "model", "--format", "cyclonedx", "--json"],
             "Error: --json reports on a written file: give --output FILE (or the document is the output)\n"),
            (["export", "model", "--format", "spdx", "--trusted-key", "signer.pub", "--output", "x.json"],
             "Error: --trusted-key and --trusted-keys are for --format model-card\n"),
            (["sign", "model"], "Error: give the private key to sign with: --key FILE\n"),
            (["notices", "model"], "Error: notices are written for a derivative: give --parent (or --spec)\n"),
        ]
        for (arguments, message) in cases {
            let result = try work.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result)")
            #expect(result.stderr.hasPrefix(message), "\(arguments): \(result.stderr)")
            #expect(result.stdout == "")
        }
        #expect(!work.exists("x.json"))
        // A rule found while the command runs shows that command's usage, as one found while parsing does.
        let notices = try work.run(["notices", "model"])
        #expect(notices.stderr == """
            Error: notices are written for a derivative: give --parent (or --spec)
            Usage: \(try usage("notices"))
              See 'pedigree notices --help' for more information.

            """)
        // (`sign --append --trusted-key` is no longer such a rule: the key says whose manifest is trusted
        // to walk the folder its own way, see TrustIsStated.)
        let before = try work.read("model/pedigree.json")
        let accept = try work.run(["sign", "model", "--key", "signer.key", "--force", "--accept-manifest-serialization"])
        #expect(accept.status == 64)
        #expect(accept.stderr.hasPrefix("Error: --accept-manifest-serialization goes with --append\n"))
        #expect(try work.read("model/pedigree.json") == before)
    }

    @Test func everyReportingCommandTakesJSON() throws {
        let work = try Workspace()
        try work.apacheBaseAndChild()
        try work.jsonReport(["hash", "base", "--json"])
        try work.folder.write("SUMS", String(decoding: try work.run(["hash", "base"]).stdoutData, as: UTF8.self))
        let check = try work.jsonReport(["hash", "--check", "SUMS", "--json"])
        #expect(check["mode"] as? String == "check")
        try work.jsonReport(["verify", "child", "--trusted-key", "child.pub", "--json"])
        try work.jsonReport(["lineage", "child", "--json", "--trusted-key", "base.pub"])
        try work.jsonReport(["diff", "base", "child", "--json"])
        let verdict = try work.jsonReport(["check", "child", "--json"])
        #expect(verdict["verdict"] as? String == "pass")
        try work.jsonReport(["show", "child", "--json"])
        try work.jsonReport(["notices", "child", "--parent", "base", "--relation", "finetune", "--method", "m", "--force", "--json"])
        let export = try work.jsonReport(["export", "child", "--format", "cyclonedx", "--output", "c.json", "--json"])
        #expect(export["output"] as? String == "c.json")
        #expect(export["bytes"] as? Int == (try work.read("c.json")).count)
        try work.keygen("oms", "ecdsa-p256")
        try work.jsonReport(["export", "child", "--format", "oms", "--key", "oms.key", "--json"])
        try work.jsonReport(["keygen", "--out", "another.key", "--json"])
    }
}

@Suite struct VerifyWithOnlyModelSig {
    @Test func aFolderWithOnlyModelSigIsVerifiedFromIt() throws {
        let work = try Workspace()
        try work.exampleModel()
        try work.keygen("signer")
        try work.keygen("oms", "ecdsa-p256")
        #expect(try work.run(["sign", "model", "--key", "signer.key"]).status == 0)
        #expect(try work.run(["export", "model", "--format", "oms", "--key", "oms.key"]).status == 0)
        try FileManager.default.removeItem(atPath: work.folder.url("model/pedigree.json"))
        let verified = try work.run(["verify", "model", "--trusted-key", "oms.pub"])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stderr == "model has no pedigree.json; verifying model/model.sig (an OpenSSF Model Signing bundle)\n")
        #expect(verified.stdout.hasPrefix("manifest model/model.sig: model (oms), root "))
        let json = try work.jsonReport(["verify", "model", "--trusted-key", "oms.pub", "--json"])
        #expect(json["manifestSource"] as? String == "model.sig")
        try FileManager.default.removeItem(atPath: work.folder.url("model/model.sig"))
        let neither = try work.run(["verify", "model", "--trusted-key", "oms.pub"])
        #expect(neither.status == 1)
        #expect(neither.stdout == "FAILED: 1 problem with the manifest\n")
        #expect(neither.stderr == "pedigree: model/pedigree.json: No such file or directory\n"
                + "hint: the folder has neither pedigree.json nor model.sig; name the manifest with --manifest FILE\n")
    }
}
