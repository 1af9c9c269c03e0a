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
            The result must lie in the family's flash and RAM (the validator's range rule; the absolute block \
            in RP2350 flash, 256-byte aligned); --force converts anyway, with a warning.
            OUT is replaced only once it is complete (written beside it, then renamed), so a failure or a kill \
            leaves the previous file as it was; OUT may not be the input file itself. With --sync OUT is also \
            written to the disk before it replaces the previous file, so that a power loss leaves one or the other.
            Exit status: 0 converted, 2 invalid input or a result outside the family's memory, 3 a file could \
            not be read or written, 64 bad arguments (OUT is the input).
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

    @Flag(help: "Write the result even when it lies outside the family's flash and RAM (a warning says where).")
    var force = false

    @Flag(help: "Write OUT to the disk before it replaces the previous file (fsync): a power loss then leaves the old file or the new one.")
    var sync = false

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
        if FileIO.sameFile(input, output) {
            Diagnostics.error("\(output) is the input file \(input) itself", fix: "give another output name")
            throw ExitStatus.usage.exitCode
        }
        let (_, file, _) = try FirmwareCLI.load(input, type: inputType, offset: offsetValue, family: requestedFamily,
                                                offsetApplies: resolvedOutputType == .uf2 ? [.bin, .elf] : [.bin])
        let outType = resolvedOutputType!
        guard file.format != outType, outType != .elf else {
            Diagnostics.error("nothing to convert: \(input) is already \(file.format.rawValue)", fix: "name an output of another type (.uf2 or .bin, or --out-type)")
            throw ExitStatus.usage.exitCode
        }
        let family = requestedFamily ?? file.family ?? .rp2040
        do {
            // Written as it is made, to a temporary file that replaces OUT only once complete and accepted.
            let out = try OutputFile(output, durable: sync)
            let (size, problems) = outType == .uf2 ? try writeUF2(file, family: family, offset: offsetValue, to: out)
                                                   : try writeBIN(file, to: out)
            if !problems.isEmpty {
                let shown = problems.prefix(3).joined(separator: "; ") + (problems.count > 3 ? "; and \(problems.count - 3) more" : "")
                if !force {
                    out.discard()
                    Diagnostics.error("\(input): the result would not fit the family's memory: \(shown); nothing was written",
                                      fix: "convert it anyway with --force")
                    throw ExitStatus.invalidInput.exitCode
                }
                Diagnostics.warning("\(input): the result lies outside the family's memory: \(shown); written anyway (--force)")
            }
            try out.commit()
            FirmwareCLI.diagnose("wrote \(output): \(size) bytes (\(file.format.rawValue) → \(outType.rawValue))")
        } catch let error as FirmwareError {
            Diagnostics.error("\(input): \(error)", fix: error.fix)
            throw ExitStatus.invalidInput.exitCode
        } catch let error as FileIOError {
            Diagnostics.error(error.description)
            throw ExitStatus.unreadable.exitCode
        }
    }

    /// ELF or BIN → UF2 as the SDK makes it, streamed to `out` and checked by the validator as it
    /// goes; returns the size and the range problems found.
    private func writeUF2(_ file: FirmwareFile, family: Family, offset: UInt32?, to out: OutputFile) throws -> (Int, [String]) {
        if let problem = file.conversionProblem { throw problem }
        let (image, pages) = file.format == .elf
            ? try SDKConversion.uf2Pages(file.image, kind: file.kind, packageAddress: offset)
            : (file.image, UF2Writer.pageAddresses(of: file.image, completeSectors: false))
        let absAddress: UInt32? = noAbsBlock ? nil
            : absBlockAddress.flatMap(FirmwareCLI.parseNumber) ?? UF2Writer.defaultAbsoluteBlockAddress
        var check = UF2ValidationStream()
        var first: [UInt8] = []
        var size = 0
        try UF2Writer.write(image, pages: pages, options: .init(family: family, absoluteBlockAddress: absAddress)) { chunk in
            if first.isEmpty { first = Array(chunk.prefix(UF2Block.size)) }
            check.consume(chunk)
            size += chunk.count
            try out.write(chunk)
        }
        return (size, Self.rangeProblems(check.finish(), firstBlock: first))
    }

    /// UF2 or ELF → BIN: the image flattened; returns the size and the range problems of the image.
    private func writeBIN(_ file: FirmwareFile, to out: OutputFile) throws -> (Int, [String]) {
        if let problem = file.conversionProblem { throw problem }
        let span = try SDKConversion.flatSpan(file.image)
        FirmwareCLI.diagnose("image starts at \(JSONStyle.address(span.start))")
        try SDKConversion.flatten(file.image, fill: UInt8(fill.flatMap(FirmwareCLI.parseNumber) ?? 0)) { try out.write($0) }
        return (Int(span.count), Self.rangeProblems(image: file.image, chip: file.chip))
    }

    /// The validator's range findings on a UF2 result, and an absolute block that is not a page of
    /// RP2350 flash (where the RP2350-E10 workaround must aim it).
    static func rangeProblems(_ report: UF2ValidationReport, firstBlock: [UInt8]) -> [String] {
        var problems = report.findings.filter { $0.rule == "outside-memory" }.map(\.message)
        if firstBlock.count == UF2Block.size {
            let first = UF2Block(decoding: firstBlock)
            let address = first.targetAddress
            if first.isRP2350AbsoluteBlock && !(address % 256 == 0 && Chip.rp2350.flash.contains(address, length: 256)) {
                problems.insert("the absolute block at \(JSONStyle.address(address)) is not a page of RP2350 flash", at: 0)
            }
        }
        return problems
    }

    /// The same range rule for a BIN result: every segment in the chip's flash or RAM.
    static func rangeProblems(image: MemoryImage, chip: Chip?) -> [String] {
        guard let chip else { return [] }
        return image.segments.filter { !chip.isLoadable($0.address, length: UInt64($0.count)) }.map {
            "\(JSONStyle.address($0.address))..\(JSONStyle.address($0.end)) lies outside \(chip.name) flash and RAM"
        }
    }
}
