import Foundation
import PedigreeKit
import Testing
import TestSupport

/// File names an attacker drops into a model folder: separators, C1 and bidi controls, escape
/// sequences, a line feed, quotes and backticks.
let hostileFileNames = [
    "line\u{2028}sep.txt", "para\u{2029}sep.txt", "nel\u{85}x.txt", "rlo\u{202E}txt.exe", "esc\u{1B}]0;title\u{07}.txt",
    "clear\u{1B}[2J.txt", "new\nline.txt", "quote\"s'.txt", "back`tick``s.txt",
]

/// A model or ancestor name that tries to forge the line verify prints on success.
let forgedLine = "verified: 7 files OK, signed by a trusted key"
let forgingName = "evil\n\(forgedLine)"

extension Workspace {
    /// Whether the JSON on `data` parses with Python's `json` and holds each of `names` as a
    /// string (or the last component of one); returns the names it lacks, or why it failed.
    func pythonJSONLacks(_ data: Data, names: [String]) throws -> [String] {
        let script = #"""
            import json, sys
            report = json.loads(sys.stdin.buffer.read().decode("utf-8"))
            names = json.loads(sys.argv[1])
            strings = []
            def walk(value):
                if isinstance(value, str): strings.append(value)
                elif isinstance(value, list): [walk(item) for item in value]
                elif isinstance(value, dict):
                    strings.extend(value.keys())
                    [walk(item) for item in value.values()]
            walk(report)
            print(json.dumps([n for n in names if not any(s == n or s.endswith("/" + n) for s in strings)]))
            """#
        try folder.write("lacks.py", script)
        let argument = String(decoding: try JSONSerialization.data(withJSONObject: names), as: UTF8.self)
        let result = try TestTools.runPython(folder.url("lacks.py"), [argument], stdin: data)
        guard result.status == 0 else { return ["python could not read it: \(result.stderr)"] }
        return try JSONSerialization.jsonObject(with: result.stdoutData) as? [String] ?? ["no answer"]
    }

    /// What `Scripts/validate-report.py` finds wrong with the report on `data` ("" when valid).
    func reportProblems(_ data: Data) throws -> String {
        let check = try TestTools.runPython(packageRoot + "/Scripts/validate-report.py", ["-"], stdin: data)
        return check.status == 0 && check.stdout.isEmpty ? "" : check.stdout + check.stderr
    }

    /// Runs `arguments`, expects `status`, and checks its stdout is a report valid against its
    /// schema that Python's `json` reads with every one of `names` in it.
    @discardableResult
    func jsonReport(_ arguments: [String], status: Int32 = 0, names: [String] = []) throws -> [String: Any] {
        let result = try run(arguments)
        #expect(result.status == status, "\(arguments): \(result)")
        #expect(try reportProblems(result.stdoutData) == "", "\(arguments)")
        #expect(try pythonJSONLacks(result.stdoutData, names: names) == [], "\(arguments)")
        return (try? JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]) ?? [:]
    }

    /// Lines of both outputs of a run.
    func lines(_ result: ProcessResult) -> [Substring] {
        (result.stdout + result.stderr).split(separator: "\n", omittingEmptySubsequences: false)
    }
}

/// Every unsafe scalar a terminal would act on, outside the line feeds between lines.
func unsafeScalars(in text: String, allowing allowed: Set<Unicode.Scalar> = ["\n"]) -> [String] {
    text.unicodeScalars.filter { UnsafeScalars.contains($0) && !allowed.contains($0) }.map { String(format: "U+%04X", $0.value) }
}

@Suite struct JSONReportsWithHostileNames {
    @Test func everyJSONReportParsesAndCarriesTheExactNames() throws {
        let work = try Workspace()
        try work.exampleModel()
        for name in hostileFileNames { try work.folder.write("model/\(name)", "data of \(name)") }
        let modelName = "acme\u{2028}\u{202E}\u{85}\n\u{1B}[2J\"`x"
        let keygen = try work.jsonReport(["keygen", "--out", "k\u{2028}ey.key", "--json"], names: ["k\u{2028}ey.key"])
        #expect(keygen["encrypted"] as? Bool == false)
        #expect((keygen["keyid"] as? String)?.count == 64)
        let signed = try work.jsonReport(["sign", "model", "--key", "k\u{2028}ey.key", "--name", modelName, "--license", "MIT", "--json"],
                                         names: [modelName])
        #expect(signed["fileCount"] as? Int == 7 + hostileFileNames.count)
        try work.jsonReport(["hash", "--json", "model"], names: hostileFileNames)
        try work.jsonReport(["verify", "model", "--trusted-key", "k\u{2028}ey.pub", "--json"], names: hostileFileNames + [modelName])
        try work.jsonReport(["lineage", "model", "--format", "json"], names: [modelName])
        try work.jsonReport(["lineage", "model", "--json"], names: [modelName])
        try work.jsonReport(["show", "model", "--json"], names: hostileFileNames + [modelName])
        try work.jsonReport(["check", "model", "--json"], status: 2, names: [modelName])
        // A copy with one hostile file changed and one removed, against the signed list.
        try work.copyModel("model", to: "copy", modified: [hostileFileNames[0]])
        try FileManager.default.removeItem(atPath: work.folder.url("copy/\(hostileFileNames[1])"))
        let diff = try work.jsonReport(["diff", "model/pedigree.json", "copy", "--json"], names: Array(hostileFileNames.prefix(2)))
        #expect(diff["modified"] as? [String] == [hostileFileNames[0]])
        #expect(diff["removed"] as? [String] == [hostileFileNames[1]])
        let card = "card\u{2028}.md"
        try work.jsonReport(["export", "model", "--format", "model-card", "--output", card, "--json"], names: [card])
        // A derivative whose parent carries the hostile names.
        try work.copyModel("model", to: "child", modified: [hostileFileNames[2]])
        try work.jsonReport(["notices", "child", "--parent", "model", "--relation", "finetune", "--method", "m", "--force", "--json"],
                            names: [modelName])
    }
}

@Suite struct ForgedLines {
    /// No line of the output is the forged one, or starts a verdict the tool did not reach.
    private func expectNoForgery(_ result: ProcessResult, in work: Workspace, _ context: String) {
        let lines = work.lines(result)
        #expect(!lines.contains { $0 == forgedLine[...] }, "\(context): \(result)")
        #expect(unsafeScalars(in: result.stdout + result.stderr) == [], "\(context)")
    }

    @Test func aNameWithALineFeedCannotForgeALine() throws {
        let work = try Workspace()
        try work.apacheBaseAndChildNamed(forgingName)
        try work.keygen("stranger")
        // verify: the model and its ancestor carry the name; the signer is not trusted, so the
        // run fails, and no line may claim otherwise.
        let verify = try work.run(["verify", "child", "--trusted-key", "stranger.pub"])
        #expect(verify.status == 1)
        expectNoForgery(verify, in: work, "verify")
        #expect(verify.stdout.contains("manifest child/pedigree.json: evil\\x0a\(forgedLine) (pedigree)"))
        expectNoForgery(try work.run(["lineage", "child"]), in: work, "lineage")
        expectNoForgery(try work.run(["lineage", "base", "--search", "."]), in: work, "lineage --search")
        expectNoForgery(try work.run(["check", "child"]), in: work, "check")
        expectNoForgery(try work.run(["show", "child"]), in: work, "show")
        expectNoForgery(try work.run(["diff", "base", "child"]), in: work, "diff")
        // The parent lines of sign and notices.
        try work.copyModel("child", to: "grandchild", modified: ["model.safetensors"])
        let notices = try work.run(["notices", "grandchild", "--parent", "child", "--relation", "quantization", "--method", "q", "--force"])
        #expect(notices.status == 0, "\(notices)")
        expectNoForgery(notices, in: work, "notices")
        #expect(notices.stderr.hasPrefix("parent evil\\x0a\(forgedLine) (manifest "))
        let sign = try work.run(["sign", "grandchild", "--key", "base.key", "--parent", "child", "--relation", "quantization", "--method", "q"])
        #expect(sign.status == 0, "\(sign)")
        expectNoForgery(sign, in: work, "sign")
    }
}

extension Workspace {
    /// `apacheBaseAndChild` with both models named `name`.
    func apacheBaseAndChildNamed(_ name: String) throws {
        try exampleModel("base")
        try folder.write("base/LICENSE", "Apache License\nVersion 2.0, January 2004\n\n4. Redistribution. ...\n")
        try keygen("base")
        #expect(try run(["sign", "base", "--key", "base.key", "--name", name, "--notice-file", "base/NOTICE"]).status == 0)
        try copyModel("base", to: "child", modified: ["model.safetensors"])
        try derive("child", key: "child", name: name, ["--parent", "base", "--relation", "finetune", "--method", "m"])
    }
}

@Suite struct FilesWrittenFromAHostileParent {
    static let payloads = [
        "\u{1B}]0;pwned\u{07}", "\u{1B}[2J", "# heading", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    ]

    /// Renders Markdown as GitHub would (markdown-it, GFM-like, with bare-link detection).
    private func render(_ markdown: String, in work: Workspace) throws -> String {
        try work.folder.write("render.py", #"""
            import sys
            from markdown_it import MarkdownIt
            sys.stdout.write(MarkdownIt("gfm-like").render(sys.stdin.buffer.read().decode("utf-8")))
            """#)
        let result = try TestTools.runPython(work.folder.url("render.py"), stdin: Data(markdown.utf8))
        #expect(result.status == 0, "\(result)")
        return result.stdout
    }

    @Test func noticeModificationsAndModelCardCarryNoControlsAndNoMarkup() throws {
        let work = try Workspace()
        let hostile = Self.payloads.joined(separator: " ")
        try work.exampleModel("base")
        try work.folder.write("base/LICENSE", "Apache License\nVersion 2.0, January 2004\n\n4. Redistribution. ...\n")
        for (index, payload) in Self.payloads.enumerated() { try work.folder.write("base/\(payload).bin", "weights \(index)") }
        try work.keygen("base")
        let base = try work.run([
            "sign", "base", "--key", "base.key", "--name", "acme \(hostile)\nwww.evil.example https://evil.example a@b.example",
            "--attribution", "Copyright \(hostile)\nline two\u{2028}\u{202E}", "--notice-file", "base/NOTICE",
        ])
        #expect(base.status == 0, "\(base)")
        try work.copyModel("base", to: "child", modified: Self.payloads.map { "\($0).bin" })
        // An untrusted parent: no keys given.
        let notices = try work.run(["notices", "child", "--parent", "base", "--relation", "finetune", "--method", "LoRA \(hostile)"])
        #expect(notices.status == 0, "\(notices)")
        let noticeText = String(decoding: try work.read("child/NOTICE"), as: UTF8.self)
        let modifications = String(decoding: try work.read("child/MODIFICATIONS.md"), as: UTF8.self)
        #expect(unsafeScalars(in: noticeText, allowing: ["\n", "\t"]) == [], "\(noticeText.debugDescription)")
        #expect(unsafeScalars(in: modifications) == [], "\(modifications.debugDescription)")
        #expect(noticeText.contains(#"Copyright \x1b]0;pwned\x07 \x1b[2J # heading <img src=x onerror=alert(1)>"#))
        #expect(noticeText.contains("line two\n\\u{202e}"))
        let html = try render(modifications, in: work)
        for forbidden in ["<img", "<a ", "href", "javascript:alert(1)\">"] {
            #expect(!html.contains(forbidden), "MODIFICATIONS.md renders \(forbidden): \(html)")
        }
        // Its own headings only: "Modifications" and "Changes from …".
        #expect(html.components(separatedBy: "<h1>").count - 1 == 1, "\(html)")
        #expect(html.components(separatedBy: "<h2>").count - 1 == 1, "\(html)")
        #expect(html.components(separatedBy: "<li>").count - 1 == Self.payloads.count, "\(html)")

        let signed = try work.run(["sign", "child", "--key", "base.key", "--parent", "base", "--relation", "finetune", "--method", "LoRA \(hostile)"])
        #expect(signed.status == 0, "\(signed)")
        // The notices written this way still satisfy the license's conditions.
        let check = try work.run(["check", "child", "--json"])
        let report = try JSONSerialization.jsonObject(with: check.stdoutData) as? [String: Any]
        let verdicts = (report?["obligations"] as? [[String: Any]])?.map { "\($0["clause"] ?? "") \($0["verdict"] ?? "")" }
        #expect(report?["verdict"] as? String == "pass", "\(verdicts ?? []) \(check)")

        let card = try work.run(["export", "child", "--format", "model-card"])
        #expect(card.status == 0, "\(card)")
        #expect(unsafeScalars(in: card.stdout) == [], "\(card.stdout.debugDescription)")
        let body = card.stdout.components(separatedBy: "\n---\n").dropFirst().joined()
        let cardHTML = try render(body, in: work)
        for forbidden in ["<img", "<a ", "<h1", "href"] {
            #expect(!cardHTML.contains(forbidden), "the model card renders \(forbidden): \(cardHTML)")
        }
        #expect(cardHTML.components(separatedBy: "<h2>").count - 1 == 1, "\(cardHTML)")
        #expect(cardHTML.components(separatedBy: "<h3>").count - 1 == 2, "\(cardHTML)")
    }

    @Test func aLicenseIdWithALineSeparatorGivesFrontMatterThatReadsBack() throws {
        let work = try Workspace()
        try work.exampleModel("base")
        try work.keygen("base")
        let license = "LicenseRef-acme\u{2028}extra\u{202E}"
        let parentName = "acme/base\u{2028}: [x]"
        #expect(try work.run(["sign", "base", "--key", "base.key", "--license", license, "--name", parentName]).status == 0)
        try work.copyModel("base", to: "child", modified: ["model.safetensors"])
        let child = try work.run(["sign", "child", "--key", "base.key", "--license", license, "--parent", "base", "--relation", "quantization",
                                  "--method", "q"])
        #expect(child.status == 0, "\(child)")
        let card = try work.run(["export", "child", "--format", "model-card"])
        #expect(card.status == 0, "\(card)")
        #expect(unsafeScalars(in: card.stdout) == [])
        try work.folder.write("front.py", #"""
            import json, sys, yaml
            text = sys.stdin.buffer.read().decode("utf-8")
            front = text.split("---\n")[1]
            print(json.dumps(yaml.safe_load(front)))
            """#)
        let parsed = try TestTools.runPython(work.folder.url("front.py"), stdin: card.stdoutData)
        #expect(parsed.status == 0, "\(parsed)")
        let front = try JSONSerialization.jsonObject(with: parsed.stdoutData) as? [String: Any]
        #expect(front?["license"] as? String == "other")
        #expect(front?["license_name"] as? String == "acme\u{2028}extra\u{202E}")
        #expect(front?["base_model"] as? [String] == [parentName])
        #expect(front?["base_model_relation"] as? String == "quantized")
    }
}
