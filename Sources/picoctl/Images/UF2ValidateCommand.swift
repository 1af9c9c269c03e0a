import ArgumentParser
import UF2

/// `picoctl uf2 validate FILE`: every UF2 rule, each finding with block number and address.
struct UF2ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a UF2 file against every rule a Raspberry Pi bootrom applies.",
        discussion: """
            Checks the three magics, payload sizes, alignment, block numbering and counts per family, flags \
            (not-main-flash, file container, MD5, extension tags), family ids, overlapping pages, addresses \
            outside the chip's flash and RAM, truncated files, RP2040-E14 partial sectors, the RP2350-E10 \
            absolute block, RP2040 RAM entry and the boot2 CRC, and whether the bootrom will start the image \
            (a vector table with its stack pointer in SRAM and its reset handler in the image; on RP2350 an IMAGE_DEF).
            Exit status: 0 valid (warnings allowed unless --strict), 2 invalid, 3 unreadable.
            """)

    @Argument(help: "The UF2 file ('-' for stdin).", completion: Completions.uf2)
    var file: String

    @Flag(help: "Fail on warnings too.")
    var strict = false

    @Flag(help: "Print the report as one JSON document.")
    var json = false

    @Flag(name: .shortAndLong, help: "Hide info findings (the E10 block recognised, several families, MD5 present).")
    var quiet = false

    @OptionGroup(title: "General")
    var general: GeneralOptions

    @Flag(help: "Also show what `picoctl info` shows of the file, from the same read (JSON: key `info`).")
    var info = false

    func run() throws {
        if info {  // one read for both reports
            let (size, firmware, report) = try FirmwareCLI.load(file, type: .uf2, offset: nil, family: nil, validate: true)
            let facts = FirmwareFacts(file: file, size: size, firmware: firmware)
            return try UF2ValidationRenderer.printCombined(facts: facts, report: report!, file: file, json: json,
                                                          strict: strict, quiet: quiet)
        }
        // A regular file is streamed (memory independent of its size); stdin, a device and a file
        // with MD5 areas are read whole.
        var stream = UF2ValidationStream()
        let report: UF2ValidationReport
        if try FirmwareCLI.streaming({
            try FileIO.stream(file, format: .uf2) { chunk, size in
                if stream.isAtStart { stream = UF2ValidationStream(expectedSize: size) }
                stream.consume(chunk)
            }
        }, path: file), !stream.needsWholeFile {
            report = stream.finish()
        } else {
            report = UF2Validator.validate(try FirmwareCLI.readBytes(file, type: .uf2))
        }
        let valid = report.isValid(strict: strict)
        if json {
            print(UF2ValidationRenderer.json(report, file: file, strict: strict).rendered())
        } else {
            print(UF2ValidationRenderer.text(report, file: file, strict: strict, quiet: quiet,
                                             color: Colour.enabled(.stdout)), terminator: "")
        }
        if !valid { throw ExitStatus.invalidInput.exitCode }
    }
}

/// Renders a `UF2ValidationReport` for people and for programs.
enum UF2ValidationRenderer {
    /// `info --validate` and `uf2 validate --info`: the info text then the findings, or the info
    /// document with the validation document under `validation`; exit 2 when invalid.
    static func printCombined(facts: FirmwareFacts, report: UF2ValidationReport, file: String, json: Bool,
                              strict: Bool = false, quiet: Bool = false) throws {
        if json {
            guard case .object(var pairs) = InfoRenderer.json(facts) else { preconditionFailure("info is an object") }
            pairs.append(("validation", self.json(report, file: file, strict: strict)))
            print(FirmwareJSON.object(pairs).rendered())
        } else {
            print(InfoRenderer.text(facts) + text(report, file: file, strict: strict, quiet: quiet, color: Colour.enabled(.stdout)),
                  terminator: "")
        }
        if !report.isValid(strict: strict) { throw ExitStatus.invalidInput.exitCode }
    }

    /// Human text: one line per finding, then a verdict line.
    static func text(_ report: UF2ValidationReport, file: String, strict: Bool, quiet: Bool, color: Bool) -> String {
        var out = ""
        for f in report.findings where !quiet || f.severity != .info {
            let label: String
            switch f.severity {
            case .error: label = color ? Colour.wrap("error", .red) : "error"
            case .warning: label = color ? Colour.wrap("warning", .yellow) : "warning"
            case .info: label = "info"
            }
            out += "\(file): \(label) [\(f.rule)]: \(f.message)\n"
        }
        for fam in report.families {
            out += "\(file): family \(fam.family?.description ?? "none"): \(fam.blocks) blocks (count \(fam.declaredCount)), \(fam.payloadBytes) bytes at \(hexText(fam.lowestAddress))..\(hexText(fam.endAddress))\n"
        }
        let verdict = report.isValid(strict: strict) ? "valid" : "INVALID"
        out += "\(file): \(verdict): \(report.blockCount) blocks, \(report.errors.count) errors, \(report.warnings.count) warnings\(strict ? " (strict)" : "")\n"
        return out
    }

    /// The JSON document: `file`, `valid`, `strict`, `fileSize`, `blockCount`, `errors`, `warnings`,
    /// `absoluteBlock`, `families[]` and `findings[]` (`severity`, `rule`, `block`, `address`, `message`).
    static func json(_ report: UF2ValidationReport, file: String, strict: Bool) -> FirmwareJSON {
        .object([
            FirmwareJSON.schema,
            ("file", .string(file)),
            ("valid", .bool(report.isValid(strict: strict))),
            ("strict", .bool(strict)),
            ("file_size", .int(report.fileSize)),
            ("block_count", .int(report.blockCount)),
            ("errors", .int(report.errors.count)),
            ("warnings", .int(report.warnings.count)),
            ("absolute_block", .bool(report.hasAbsoluteBlock)),
            ("not_main_flash_blocks", .int(report.notMainFlashBlocks)),
            ("families", .array(report.families.map { fam in
                .object([
                    ("family", .optional(fam.family?.name ?? fam.family.map { "0x" + String($0.rawValue, radix: 16) })),
                    ("id", fam.family.map { .hex($0.rawValue) } ?? .null),
                    ("blocks", .int(fam.blocks)),
                    ("declared_count", .int(Int(fam.declaredCount))),
                    ("payload_bytes", .int(fam.payloadBytes)),
                    ("start", .hex(fam.lowestAddress)),
                    ("end", .hex64(fam.endAddress)),
                ])
            })),
            ("findings", .array(report.findings.map { f in
                .object([
                    ("severity", .string(f.severity.rawValue)),
                    ("rule", .string(f.rule)),
                    ("block", .optional(f.block)),
                    ("address", .hex(f.address)),
                    ("message", .string(f.message)),
                ])
            })),
        ])
    }

    static func hexText(_ value: UInt32) -> String { JSONStyle.address(value) }
    static func hexText(_ value: UInt64) -> String { JSONStyle.address(value) }
}
