import ArgumentParser
import UF2

/// `picoctl info FILE`: what a firmware file holds (placeholder until the renderer lands).
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show what a firmware file (UF2, ELF, BIN) holds.")

    @Argument(help: "The firmware file.")
    var file: String

    func run() throws {
        let (_, firmware) = try FirmwareCLI.load(file, type: nil, offset: 0x1000_0000, family: nil)
        print("format: \(firmware.format.rawValue)")
    }
}
