import ArgumentParser
import UF2

/// `picoctl uf2 validate FILE` (placeholder until the validator lands).
struct UF2ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Check a UF2 file against every rule.")

    @Argument(help: "The UF2 file.")
    var file: String

    func run() throws {
        _ = try FirmwareCLI.load(file, type: .uf2, offset: 0x1000_0000, family: nil)
    }
}
