#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FoundationEssentials

/// `picoctl manual` (hidden): prints the man page, picoctl(1), in roff, built from the commands'
/// own help and the exit-status table, so it cannot drift from them. `Scripts/install.sh` installs it.
struct ManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manual",
        abstract: "Print the picoctl(1) man page (roff) on stdout.",
        shouldDisplay: false)

    func run() throws {
        // SOURCE_DATE_EPOCH (reproducible builds) dates the page; else today.
        let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(TimeInterval.init)
        ConsoleOutput.write(Array(try Manual.render(date: epoch.map(Date.init(timeIntervalSince1970:)) ?? Date()).utf8), to: .standardOutput)
    }
}

/// Renders picoctl(1): NAME, SYNOPSIS, DESCRIPTION (per command), EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES.
enum Manual {
    /// The parts of the argument parser's help dump (`--experimental-dump-help`) that the page shows.
    struct Command: Decodable {
        struct Argument: Decodable {
            struct Name: Decodable { var kind: String; var name: String }
            var kind: String
            var shouldDisplay: Bool
            var isOptional: Bool
            var isRepeating: Bool
            var names: [Name]?
            var valueName: String?
            var abstract: String?
            var discussion: String?
            var defaultValue: String?
        }
        var commandName: String
        var shouldDisplay: Bool?
        var abstract: String?
        var discussion: String?
        var subcommands: [Command]?
        var arguments: [Argument]?
    }

    private struct Dump: Decodable { var command: Command }

    /// Environment variables picoctl reads, with what they do.
    static let environment: [(String, String)] = [
        ("PICOCTL_INVENTORY", "The inventory file naming boards, when --inventory is not given."),
        ("XDG_CONFIG_HOME", "The folder of picoctl's files: $XDG_CONFIG_HOME/picoctl (default ~/.config/picoctl)."),
        ("NO_COLOR", "When set and not empty, no colour (unless --color or the config file asks for it)."),
        ("TERM", "dumb: no colour (unless --color or the config file asks for it)."),
    ]

    /// Files picoctl reads, with what they hold.
    static let files: [(String, String)] = [
        ("~/.config/picoctl/config.toml", "Defaults (colour, default board, monitor timestamps, baud, log folder, per board); --config FILE names another."),
        ("~/.config/picoctl/boards.toml", "The inventory: name = \"serial\" or name = \"port:1-3.2\", at the top or in one [boards] table."),
        ("/etc/udev/rules.d/60-picoctl.rules", "udev rules giving users access to Raspberry Pi boards (picoctl doctor checks them)."),
    ]

    /// Command lines worth copying, with what they do.
    static let examples: [(String, String)] = [
        ("picoctl info app.uf2", "What a firmware file holds: family, addresses, program name."),
        ("picoctl uf2 convert app.elf app.uf2", "Convert an ELF file to UF2."),
        ("picoctl list", "Every board on USB, with its mode, chip, port and name."),
        ("picoctl flash app.uf2 --serial bench-3", "Flash the board named bench-3 in the inventory."),
        ("picoctl flash app.uf2 --all", "Flash every board at once."),
        ("picoctl monitor --serial bench-3 --timestamps mono", "Follow a board's console across resets."),
        ("picoctl monitor --expect PASS --fail-on FAIL --timeout 30", "Wait for a test verdict (exit 0, 10 or 11)."),
        ("picoctl doctor", "Check USB access, udev rules and groups, and which config files are read."),
    ]

    /// The whole page.
    static func render(date: Date = Date()) throws -> String {
        let root = try JSONDecoder().decode(Dump.self, from: Data(Picoctl._dumpHelp().utf8)).command
        let leaves = commands(root, path: [])
        var page = ".TH PICOCTL 1 \"\(day(date))\" \"picoctl \(Picoctl.configuration.version)\" \"User Commands\"\n"
        page += ".SH NAME\npicoctl \\- \(escape(root.abstract ?? ""))\n"
        page += ".SH SYNOPSIS\n" + leaves.map { ".B \($0.path.joined(separator: " "))\n\(escape(usage($0.command)))\n.br\n" }.joined()
        page += ".SH DESCRIPTION\n\(escape(root.abstract ?? ""))\n"
        for (path, command) in leaves { page += describe(command, path: path) }
        page += ".SH EXIT STATUS\n"
        page += ExitStatus.allCases.map { ".TP\n.B \($0.rawValue)\n\(escape($0.meaning))\n" }.joined()
        page += ".SH ENVIRONMENT\n" + environment.map { ".TP\n.B \($0.0)\n\(escape($0.1))\n" }.joined()
        page += ".SH FILES\n" + files.map { ".TP\n.I \(escape($0.0))\n\(escape($0.1))\n" }.joined()
        page += ".SH EXAMPLES\n" + examples.map { ".TP\n.B \(escape($0.0))\n\(escape($0.1))\n" }.joined()
        page += ".SH SEE ALSO\n.BR picotool (1),\n.BR udev (7)\n"
        return page
    }

    /// Every command that runs something, with its words (`picoctl uf2 convert`), hidden ones left out.
    static func commands(_ command: Command, path: [String]) -> [(path: [String], command: Command)] {
        let path = path + [command.commandName]
        guard let subcommands = command.subcommands, !subcommands.isEmpty else { return [(path, command)] }
        return subcommands.filter { ($0.shouldDisplay ?? true) && $0.commandName != "help" }.flatMap { commands($0, path: path) }
    }

    private static func shown(_ command: Command) -> [Command.Argument] {
        (command.arguments ?? []).filter { argument in
            argument.shouldDisplay && !(argument.names ?? []).contains { ["help", "version", "h"].contains($0.name) }
        }
    }

    private static func usage(_ command: Command) -> String {
        let positionals = shown(command).filter { $0.kind == "positional" }.map { argument in
            let name = "<\(argument.valueName ?? "value")>" + (argument.isRepeating ? " ..." : "")
            return argument.isOptional ? "[\(name)]" : name
        }
        return (["[options]"] + positionals).joined(separator: " ")
    }

    private static func describe(_ command: Command, path: [String]) -> String {
        var text = ".SS \"\(path.joined(separator: " "))\"\n\(escape(command.abstract ?? ""))\n"
        if let discussion = command.discussion, !discussion.isEmpty { text += ".PP\n\(escape(discussion))\n" }
        for argument in shown(command) {
            let names = (argument.names ?? []).map { $0.kind == "short" ? "\\-\($0.name)" : "\\-\\-\(escape($0.name))" }
            let label = argument.kind == "positional" ? "\\fI\(argument.valueName ?? "value")\\fR"
                : "\\fB" + names.joined(separator: ", ") + "\\fR" + (argument.kind == "option" ? " \\fI\(argument.valueName ?? "value")\\fR" : "")
            var help = argument.abstract ?? ""
            if let value = argument.defaultValue, !value.isEmpty, argument.kind == "option" { help += " (default: \(value))" }
            text += ".TP\n\(label)\n\(escape(help))\n"
        }
        return text
    }

    /// Text made safe for roff: backslashes, minus signs and non-ASCII characters escaped, no line
    /// starting with a control character.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\e"
            case "-": escaped += "\\-"
            default: escaped += scalar.isASCII ? String(scalar) : "\\[u" + String(cFormat: "%04X", scalar.value) + "]"
            }
        }
        return escaped
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") || $0.hasPrefix("'") ? "\\&" + $0 : String($0) }
            .map { $0.isEmpty ? ".PP" : $0 }
            .joined(separator: "\n")
    }

    private static func day(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "1970-01-01" }
        return String(cFormat: "%04d-%02d-%02d", Int32(parts.tm_year + 1900), Int32(parts.tm_mon + 1), Int32(parts.tm_mday))
    }
}
