import ArgumentParser
import UF2

/// `picoctl uf2 convert IN OUT`: ELF→UF2, BIN→UF2, UF2→BIN, ELF→BIN, byte-identical to the SDK for UF2 output.
struct UF2ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert ELF or BIN to UF2 (as the pico-sdk does), or UF2/ELF to BIN.",
        discussion: """
            ELF→UF2 and BIN→UF2 produce the same bytes as the pico-sdk build (picotool uf2 convert): one block \
            per touched 256-byte page, zero filled, 4 KiB sectors of flash ELF images completed. For RP2350 \
            flash images the RP2350-E10 absolute block is written first, as SDK builds do, aimed at 0x10ffff00 \
            unless --abs-block-address names another; --no-abs-block leaves it out.
            UF2→BIN and ELF→BIN write the image from its lowest to its highest address, gaps filled with --fill.
            Exit status: 0 converted, 2 invalid input, 3 a file could not be read or written.
            """)

    @Argument(help: "Input file (UF2, ELF or BIN; type detected from content).", completion: Completions.firmware)
    var input: String

    @Argument(help: "Output file; its type comes from the extension (.uf2 / .bin) or --out-type.")
    var output: String

    @Option(name: .customLong("type"), help: "Input type, overriding detection (uf2, elf, bin).")
    var inputType: FirmwareFile.Format?

    @Option(name: .customLong("out-type"), help: "Output type (uf2, bin), overriding the extension.")
    var outputType: FirmwareFile.Format?

    @Option(help: "Family name or number (rp2040, rp2350-arm-s, rp2350-riscv, 0xe48bff56, ...); default from the content.",
            completion: Completions.families)
    var family: String?

    @Option(help: ArgumentHelp("BIN input: load address (default 0x10000000). ELF→UF2: move the image to start there. An error otherwise.",
                               valueName: "address"))
    var offset: String?

    @Flag(name: .customLong("abs-block"),
          help: "RP2350: write the RP2350-E10 absolute block (already the default for RP2350 flash images).")
    var absBlock = false

    @Option(name: .customLong("abs-block-address"),
            help: ArgumentHelp("Address of the absolute block (default 0x10ffff00); implies --abs-block.", valueName: "address"))
    var absBlockAddress: String?

    @Flag(name: .customLong("no-abs-block"), help: "Leave out the RP2350-E10 absolute block.")
    var noAbsBlock = false

    @Option(help: "UF2/ELF→BIN: byte for gaps between segments (default 0).")
    var fill: String?

    @OptionGroup(title: "General")
    var general: GeneralOptions

    func validate() throws {
        if let family, Family(parsing: family) == nil { throw ValidationError("unknown family '\(family)' (try rp2040, rp2350-arm-s, rp2350-riscv or a number)") }
        if let offset, FirmwareCLI.parseNumber(offset) == nil { throw ValidationError("--offset '\(offset)' is not a number") }
        if let fill, FirmwareCLI.parseNumber(fill).map({ $0 <= 0xff }) != true { throw ValidationError("--fill '\(fill)' is not a byte (0..255)") }
        if let text = absBlockAddress, FirmwareCLI.parseNumber(text) == nil {
            throw ValidationError("--abs-block-address '\(text)' is not an address")
        }
        if noAbsBlock && (absBlock || absBlockAddress != nil) {
            throw ValidationError("\(absBlock ? "--abs-block" : "--abs-block-address") and --no-abs-block contradict each other")
        }
        if resolvedOutputType == nil { throw ValidationError("cannot tell the output type of '\(output)': use --out-type uf2|bin") }
    }

    var resolvedOutputType: FirmwareFile.Format? {
        if let outputType { return outputType }
        let lower = output.lowercased()
        if lower.hasSuffix(".uf2") { return .uf2 }
        if lower.hasSuffix(".bin") { return .bin }
        return nil
    }

    func run() throws {
        let requestedFamily = family.flatMap(Family.init(parsing:))
        let offsetValue = offset.flatMap(FirmwareCLI.parseNumber)
        let (bytes, file) = try FirmwareCLI.load(input, type: inputType, offset: offsetValue, family: requestedFamily,
                                                 offsetApplies: resolvedOutputType == .uf2 ? [.bin, .elf] : [.bin])
        let outType = resolvedOutputType!
        let out: [UInt8]
        do {
            out = try convert(bytes: bytes, file: file, to: outType, family: requestedFamily, offset: offsetValue)
        } catch let error as FirmwareError {
            Diagnostics.error("\(input): \(error)", fix: error.fix)
            throw ExitStatus.invalidInput.exitCode
        }
        do { try FileIO.write(out, to: output) } catch {
            Diagnostics.error(error.description)
            throw ExitStatus.unreadable.exitCode
        }
        FirmwareCLI.diagnose("wrote \(output): \(out.count) bytes (\(file.format.rawValue) → \(outType.rawValue))")
    }

    private func convert(bytes: [UInt8], file: FirmwareFile, to outType: FirmwareFile.Format,
                         family requested: Family?, offset: UInt32?) throws -> [UInt8] {
        let family = requested ?? file.family ?? .rp2040
        let absAddress: UInt32? = noAbsBlock ? nil
            : absBlockAddress.flatMap(FirmwareCLI.parseNumber) ?? UF2Writer.defaultAbsoluteBlockAddress
        switch (file.format, outType) {
        case (.elf, .uf2):
            let elf = try ELFFile(bytes: bytes)
            return try SDKConversion.elfToUF2(elf, family: family, packageAddress: offset, absoluteBlockAddress: absAddress)
        case (.bin, .uf2):
            return try SDKConversion.binToUF2(bytes, address: offset ?? 0x1000_0000, family: family, absoluteBlockAddress: absAddress)
        case (.elf, .bin):
            if let problem = file.conversionProblem { throw problem }
            return try flattened(file.image)
        case (.uf2, .bin):
            return try flattened(file.image)
        default:
            Diagnostics.error("nothing to convert: \(input) is already \(file.format.rawValue)", fix: "name an output of another type (.uf2 or .bin, or --out-type)")
            throw ExitStatus.usage.exitCode
        }
    }

    private func flattened(_ image: MemoryImage) throws -> [UInt8] {
        let fillByte = UInt8(fill.flatMap(FirmwareCLI.parseNumber) ?? 0)
        let flat = try SDKConversion.flatten(image, fill: fillByte)
        FirmwareCLI.diagnose("image starts at \(JSONStyle.address(flat.address))")
        return flat.bytes
    }
}
