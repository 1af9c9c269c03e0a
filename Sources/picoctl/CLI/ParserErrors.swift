import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The argument parser's errors in picoctl's one voice (`Diagnostics`), and a suggestion for a
/// mistyped command name.
enum ParserErrors {
    /// Renders an error the parser threw; help, version and completion requests go to the parser.
    static func exit(_ error: any Error, command: any ParsableCommand.Type) -> Never {
        let code = command.exitCode(for: error)
        let message = command.fullMessage(for: error)
        guard code != .success, !message.isEmpty else { command.exit(withError: error) }
        let (what, fix) = split(message)
        Diagnostics.error(what, fix: fix)
        Glibc.exit(code.rawValue)
    }

    /// `Error: X\nHelp: H\nUsage: U\n  See 'picoctl save --help' …` → (x, fix). The fix is the parser's
    /// "did you mean", else its help line for the option, else where the help is.
    static func split(_ message: String) -> (String, String?) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var what = lines.first ?? message
        if what.hasPrefix("Error: ") { what.removeFirst("Error: ".count) }
        what = what.prefix(1).lowercased() + what.dropFirst()
        var fix: String?
        if let range = what.firstRange(of: ". Did you mean ") {
            fix = "did you mean " + what[range.upperBound...]
            what = String(what[..<range.lowerBound])
        } else if let help = lines.first(where: { $0.hasPrefix("Help:") }) {
            fix = String(help.dropFirst("Help:".count)).trimmingSpaces.replacingRuns()
        } else if let see = lines.first(where: { $0.contains("See '") }), let start = see.firstRange(of: "See '"), let end = see[start.upperBound...].firstRange(of: "'") {
            fix = "see `\(see[start.upperBound..<end.lowerBound])`"
        }
        return (what, fix)
    }

    /// The name of a mistyped command in `arguments` with the closest commands, or nil when the
    /// arguments name commands (or start with an option) all the way down.
    static func unknownCommand(_ arguments: [String], root: any ParsableCommand.Type) -> (name: String, path: String, suggestions: [String])? {
        var command = root
        var path = root.configuration.commandName ?? "picoctl"
        for argument in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !argument.hasPrefix("-") else { return nil }
            let names = subcommands.compactMap { $0.configuration.commandName } + ["help"]
            if argument == "help" { return nil }   // the parser's own help command
            if let next = subcommands.first(where: { $0.configuration.commandName == argument }) {
                command = next
                path += " " + argument
                continue
            }
            let close = names.map { ($0, distance($0, argument)) }.filter { $0.1 <= max(1, min(2, argument.count / 2)) || $0.0.hasPrefix(argument) }
            return (argument, path, close.sorted { $0.1 < $1.1 }.map(\.0))
        }
        return nil
    }

    /// Refuses a mistyped command name with a suggestion (exit 64), before the parser sees it.
    static func checkCommandName(_ arguments: [String], root: any ParsableCommand.Type) {
        guard let (name, path, suggestions) = unknownCommand(arguments, root: root) else { return }
        let fix = suggestions.isEmpty ? "see `\(path) --help` for the commands"
            : "did you mean " + suggestions.prefix(3).map { "'\($0)'" }.joined(separator: " or ") + "?"
        Diagnostics.error("'\(name)' is not a \(path) command", fix: fix)
        Glibc.exit(ExitStatus.usage.rawValue)
    }

    /// Levenshtein distance of two short words.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}

private extension String {
    /// Runs of spaces (the parser's column padding) as one space.
    func replacingRuns() -> String {
        var out = ""
        for c in self where !(c == " " && out.last == " ") { out.append(c) }
        return out
    }
}
