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

    /// Reads a file's bytes, at most the size limit of `type` (else of the format its first bytes
    /// show), mapping failures to the documented exit statuses (3 unreadable, 2 too large).
    static func readBytes(_ path: String, type: FirmwareFile.Format?) throws -> [UInt8] {
        var bytes: [UInt8] = []
        _ = try streaming({ bytes = try FileIO.read(path, type: type); return true }, path: path)
        return bytes
    }

    /// Runs a streaming read, mapping its failures as `readBytes` does.
    static func streaming<T>(_ read: () throws -> T, path: String) throws -> T {
        do { return try read() } catch let error as FirmwareError {
            Diagnostics.error("\(path): \(error)", fix: error.fix)
            throw ExitStatus.invalidInput.exitCode
        } catch {
            Diagnostics.error("\(error)")
            throw ExitStatus.unreadable.exitCode
        }
    }

    /// Reads a firmware file, mapping failures to the documented exit statuses (3 unreadable, 2
    /// invalid or larger than a Pico can hold). A BIN file is placed at `offset` (default
    /// 0x10000000); an `offset` given for a file whose type is not in `offsetApplies` is a usage
    /// error (64), not silently ignored. With `validate`, the `uf2 validate` report of a UF2 file
    /// comes from the same read. A regular file is never held whole: the image refers to it and reads
    /// it when used (a UF2 file with MD5 areas is read whole for validation only).
    static func load(_ path: String, type: FirmwareFile.Format?, offset: UInt32?, family: Family?,
                     offsetApplies: Set<FirmwareFile.Format> = [.bin], validate: Bool = false)
        throws -> (size: Int, file: FirmwareFile, report: UF2ValidationReport?) {
        let loaded: (size: Int, file: FirmwareFile, report: UF2ValidationReport?)
        do {
            loaded = try read(path, type: type, offset: offset ?? 0x1000_0000, family: family, validate: validate)
        } catch let error as FirmwareError {
            Diagnostics.error("\(path): \(error)", fix: error.fix)
            throw ExitStatus.invalidInput.exitCode
        }
        if offset != nil && !offsetApplies.contains(loaded.file.format) {
            Diagnostics.error("--offset does not apply to \(path): it is a \(loaded.file.format.rawValue.uppercased()) file, whose addresses are its own",
                              fix: "drop --offset (it places \(offsetApplies.map { $0.rawValue.uppercased() }.sorted().joined(separator: " and ")) files), or read the file as BIN with --type bin")
            throw ExitStatus.usage.exitCode
        }
        return loaded
    }

    /// `load` without its exit-status mapping of `FirmwareError`.
    private static func read(_ path: String, type: FirmwareFile.Format?, offset: UInt32, family: Family?,
                             validate: Bool) throws -> (size: Int, file: FirmwareFile, report: UF2ValidationReport?) {
        if let source = try streaming({ try FileSource(path, type: type) }, path: path) {
            // A regular file: the image refers to it (read when used), UF2 blocks scanned in passes
            // that the validator sees too.
            if (type ?? FirmwareFile.detectFormat(source.bytes(at: 0, count: min(source.size, 8)))) == .uf2 {
                var check = UF2ValidationStream(expectedSize: validate ? source.size : 0)
                let file = try FirmwareFile.readUF2(source, onChunk: validate ? { check.consume($0) } : nil)
                guard validate else { return (source.size, file, nil) }
                let report = check.needsWholeFile ? UF2Validator.validate(source.bytes(at: 0, count: source.size)) : check.finish()
                return (source.size, file, report)
            }
            return (source.size, try FirmwareFile.read(source: source, type: type, offset: offset, family: family), nil)
        }
        let bytes = try readBytes(path, type: type)
        let file = try FirmwareFile.read(bytes: bytes, type: type, offset: offset, family: family)
        return (bytes.count, file, validate && file.format == .uf2 ? UF2Validator.validate(bytes) : nil)
    }
}
