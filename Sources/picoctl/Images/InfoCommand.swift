import ArgumentParser
import UF2

/// `picoctl info FILE`: what a firmware file holds, from its families to its binary info.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show what a firmware file (UF2, ELF, BIN) holds: families, memory, binary info, boot2, IMAGE_DEF.",
        discussion: """
            The type is detected from the content (ELF magic, UF2 magics, else BIN); --type overrides it. \
            A BIN is placed at --offset (default 0x10000000). --json prints one JSON document whose keys \
            are listed in the README.
            --validate (UF2) adds the findings of `uf2 validate` from the same read (JSON: key `validation`).
            Exit status: 0 shown, 2 the file is not a firmware image it can read (or, with --validate, \
            is invalid), 3 unreadable.
            """)

    @Argument(help: "The firmware file ('-' for stdin); omitted with --device.", completion: Completions.firmware)
    var file: String?

    @Flag(help: "Describe a connected board instead of a file: chip, identity, flash size, the program in flash.")
    var device = false

    @OptionGroup var board: BoardOptions

    @OptionGroup var input: FirmwareInputOptions

    @Option(help: "Family to assume for ELF/BIN (name or number); default from the content.", completion: Completions.families)
    var family: String?

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup(title: "With --device") var stay: StayOption

    @OptionGroup(title: "General")
    var general: GeneralOptions

    @Flag(name: .customLong("validate"), help: "UF2: also check the file as `uf2 validate` does, in the same run (exit 2 when invalid).")
    var checkRules = false

    func validate() throws {
        if device != (file == nil) { throw ValidationError(device ? "--device takes no file" : "give a firmware file, or --device") }
        if let family, Family(parsing: family) == nil { throw ValidationError("unknown family '\(family)'") }
    }

    func run() throws {
        guard let file else { return try runDevice() }
        let (size, firmware, report) = try input.load(file, family: family.flatMap(Family.init(parsing:)), validate: checkRules)
        let facts = FirmwareFacts(file: file, size: size, firmware: firmware)
        guard checkRules else {
            print(json ? InfoRenderer.json(facts).rendered() : InfoRenderer.text(facts), terminator: json ? "\n" : "")
            return
        }
        guard let report else {
            Diagnostics.error("--validate checks UF2 files; \(file) is \(firmware.format.rawValue.uppercased())", fix: "drop --validate")
            throw ExitStatus.usage.exitCode
        }
        try UF2ValidationRenderer.printCombined(facts: facts, report: report, file: file, json: json)
    }
}

/// Everything `info` shows, gathered once for both renderers.
struct FirmwareFacts {
    var file: String
    var size: Int
    var firmware: FirmwareFile
    var chip: Chip?
    var binaryInfo: BinaryInfo?
    var boot2: Boot2?
    var metadata: MetadataBlock?

    init(file: String, size: Int, firmware: FirmwareFile) {
        self.file = file
        self.size = size
        self.firmware = firmware
        chip = firmware.family.flatMap { $0.chip } ?? (firmware.family == .absolute || firmware.family == .data ? .rp2350 : nil)
        binaryInfo = BinaryInfo.decode(firmware.image, chip: chip)
        if chip == .rp2040 || chip == nil, firmware.image.lowestAddress == Boot2.address { boot2 = Boot2(image: firmware.image) }
        if chip != .rp2040 { metadata = MetadataBlock.find(in: firmware.image) }
    }

    /// `flash`, `sram`, `xip-sram`, `rom` or `other` for an address on this chip.
    func region(_ address: UInt32) -> String {
        let c = chip ?? .rp2350
        if c.flash.contains(address) { return "flash" }
        if c.sram.contains(address) { return "sram" }
        if c.xipSRAM.contains(address) { return "xip-sram" }
        if c.rom.contains(address) { return "rom" }
        return "other"
    }
}
