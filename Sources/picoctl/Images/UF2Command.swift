import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UF2

/// `picoctl uf2`: commands on firmware files.
struct UF2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uf2",
        abstract: "Validate and convert firmware images (UF2, ELF, BIN).",
        subcommands: [UF2ValidateCommand.self, UF2ConvertCommand.self, UF2InfoCommand.self])
}

/// `--type` values.
extension FirmwareFile.Format: ExpressibleByArgument {}

/// Helpers shared by the firmware-file commands (`info`, `uf2 validate`, `uf2 convert`).
enum FirmwareCLI {
    /// Parses a 32-bit number given in hex (`0x...`) or decimal; underscores allowed.
    static func parseNumber(_ text: String) -> UInt32? {
        let lower = String(text.lowercased().filter { $0 != "_" })
        if lower.hasPrefix("0x") { return UInt32(lower.dropFirst(2), radix: 16) }
        return UInt32(lower)
    }

    /// Writes one line to stderr.
    static func diagnose(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
    }

    /// Reads a firmware file, mapping failures to the documented exit statuses (3 unreadable, 2 invalid).
    /// A BIN file is placed at `offset` (default 0x10000000); an `offset` given for a file whose type
    /// is not in `offsetApplies` is a usage error (64), not silently ignored.
    static func load(_ path: String, type: FirmwareFile.Format?, offset: UInt32?, family: Family?,
                     offsetApplies: Set<FirmwareFile.Format> = [.bin]) throws -> (bytes: [UInt8], file: FirmwareFile) {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch {
            Diagnostics.error(error.description)
            throw ExitStatus.unreadable.exitCode
        }
        let file: FirmwareFile
        do {
            file = try FirmwareFile.read(bytes: bytes, type: type, offset: offset ?? 0x1000_0000, family: family)
        } catch {
            Diagnostics.error("\(path): \(error)", fix: error.fix)
            throw ExitStatus.invalidInput.exitCode
        }
        if offset != nil && !offsetApplies.contains(file.format) {
            Diagnostics.error("--offset does not apply to \(path): it is a \(file.format.rawValue.uppercased()) file, whose addresses are its own",
                              fix: "drop --offset (it places \(offsetApplies.map { $0.rawValue.uppercased() }.sorted().joined(separator: " and ")) files), or read the file as BIN with --type bin")
            throw ExitStatus.usage.exitCode
        }
        return (bytes, file)
    }
}
