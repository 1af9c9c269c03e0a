import ArgumentParser

@main
struct Picoctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "picoctl",
        abstract: "Check firmware images, flash Raspberry Pi Pico boards, follow their logs, see the lab.",
        discussion: BoardAftermath.helpText + "\n" + ExitStatus.helpTable,
        version: "0.1.0",
        subcommands: [
            // Each command lives in its own file.
            InfoCommand.self,
            UF2Command.self,
            ListCommand.self,
            FlashCommand.self,
            SaveCommand.self,
            VerifyCommand.self,
            EraseCommand.self,
            RebootCommand.self,
            OTPCommand.self,
            MonitorCommand.self,
            DoctorCommand.self,
            ManualCommand.self,
            LabCommand.self,
        ])

    /// Parses and runs the command; the parser's errors are rendered as picoctl's own (`ParserErrors`).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // `--version` alone needs none of the parser's reflection over every command's options
        // (two thirds of the instructions of the whole process).
        if arguments == ["--version"] { return print(configuration.version) }
        if let script = Completions.fishScript(for: arguments) { return print(script, terminator: "") }
        ParserErrors.checkCommandName(arguments, root: self)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            ParserErrors.exit(error, command: self)
        }
    }
}
