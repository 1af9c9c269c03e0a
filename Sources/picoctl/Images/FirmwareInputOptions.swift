import ArgumentParser
import UF2

/// `--type` and `--offset`, shared by the commands that read one firmware file (`info`, `flash`, `verify`).
struct FirmwareInputOptions: ParsableArguments {
    @Option(name: .customLong("type"), help: "File type, overriding detection (uf2, elf, bin).")
    var fileType: FirmwareFile.Format?

    @Option(help: ArgumentHelp("BIN only: load address (hex or decimal; default 0x10000000). An error for UF2 and ELF files, whose addresses are their own.",
                               valueName: "address"))
    var offset: String?

    func validate() throws {
        if let offset, FirmwareCLI.parseNumber(offset) == nil { throw ValidationError("--offset '\(offset)' is not a number") }
    }

    /// The parsed `--offset`, when given.
    var offsetValue: UInt32? { offset.flatMap(FirmwareCLI.parseNumber) }

    /// Reads `path` as these options say, with the `uf2 validate` report of a UF2 file when
    /// `validate` (see `FirmwareCLI.load`).
    func load(_ path: String, family: Family? = nil, validate: Bool = false)
        throws -> (size: Int, file: FirmwareFile, report: UF2ValidationReport?) {
        try FirmwareCLI.load(path, type: fileType, offset: offsetValue, family: family, validate: validate)
    }
}
