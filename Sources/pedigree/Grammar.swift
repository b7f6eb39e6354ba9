import ArgumentParser
import PedigreeKit

/// The command line's grammar, checked before anything else: an option no command knows is
/// reported as unknown first, before a missing argument or a rule between options would be.
///
/// ArgumentParser reports an unknown option only after the command's arguments decode and
/// validate, so `verify m --trusted-kye k` used to say that no key was given. The options each
/// command takes are read from ArgumentParser's own description of the tool
/// (`_dumpHelp()`), so this list never drifts from the declarations. It is read only when
/// ArgumentParser refused the command line (`Main.main`): a run whose line parses pays nothing.
enum Grammar {
    /// An unknown option and what to say about it.
    struct Unknown {
        var option: String
        var message: String
    }

    /// Options that moved, with where they went: still unknown, but the message says where.
    static let moved: [String: [String: String]] = [
        "verify": ["--key": "public keys are given with --trusted-key FILE or --trusted-keys DIR; --key is the signing key",
                   "-k": "public keys are given with --trusted-key FILE or --trusted-keys DIR; -k is the signing key"],
        "lineage": ["--key": "public keys are given with --trusted-key FILE or --trusted-keys DIR; --key is the signing key",
                    "-k": "public keys are given with --trusted-key FILE or --trusted-keys DIR; -k is the signing key"],
        "sign": ["--version": "the model's version is --model-version; --version is pedigree's own"],
    ]

    /// The first option in `arguments` that the command they address does not take, if any.
    static func firstUnknownOption(_ arguments: [String]) -> Unknown? {
        guard let commandName = arguments.first, let command = commands[commandName] else { return nil }
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" { return nil }
            guard argument.hasPrefix("-"), argument != "-" else { continue }
            if argument.hasPrefix("--") {
                let name = String(argument.prefix { $0 != "=" })
                guard let takesValue = command.options[name] else { return unknown(name, commandName) }
                if takesValue, !argument.contains("=") { index += 1 }
                continue
            }
            if let takesValue = command.options[argument] {
                if takesValue { index += 1 }
                continue
            }
            // Short options, possibly grouped (`-qj4`): each must be known; one that takes a
            // value takes the rest of the group or the next argument.
            for (offset, character) in argument.dropFirst().enumerated() {
                guard let takesValue = command.options["-\(character)"] else { return unknown("-\(character)", commandName) }
                if takesValue {
                    if offset == argument.count - 2 { index += 1 }
                    break
                }
            }
        }
        return nil
    }

    private static func unknown(_ option: String, _ command: String) -> Unknown {
        let hint = moved[command]?[option].map { " (\($0))" } ?? ""
        let type = Pedigree.configuration.subcommands.first { $0._commandName == command }
        let usage = type.map { Pedigree.usageString(for: $0) } ?? ""
        return Unknown(
            option: option,
            message: "Error: Unknown option '\(option)'\(hint).\nUsage: \(usage)\n  See 'pedigree \(command) --help' for more information.")
    }

    /// Each subcommand's options: name (`--long`, `-s`) → whether it takes a value.
    private struct CommandOptions {
        var options: [String: Bool]
    }

    private static let commands: [String: CommandOptions] = {
        var result: [String: CommandOptions] = [:]
        let builtIn = ["--help": false, "-h": false, "--experimental-dump-help": false]
        guard case .object(let tool)? = try? JSONReader.parse(Array(Pedigree._dumpHelp().utf8)),
            case .object(let root)? = tool["command"], case .array(let subcommands)? = root["subcommands"]
        else { return result }
        for case .object(let subcommand) in subcommands {
            guard case .string(let name)? = subcommand["commandName"] else { continue }
            var options = builtIn
            if case .array(let arguments)? = subcommand["arguments"] {
                for case .object(let argument) in arguments {
                    guard case .string(let kind)? = argument["kind"], kind != "positional",
                        case .array(let names)? = argument["names"]
                    else { continue }
                    for case .object(let entry) in names {
                        guard case .string(let nameKind)? = entry["kind"], case .string(let text)? = entry["name"] else { continue }
                        options[(nameKind == "short" || nameKind == "longWithSingleDash" ? "-" : "--") + text] = kind == "option"
                    }
                }
            }
            // `--version` is pedigree's own: given after a command it is an error, so that
            // `sign --version 1.0` cannot print a version and exit 0 without signing.
            options["--version"] = nil
            result[name] = CommandOptions(options: options)
        }
        return result
    }()
}
