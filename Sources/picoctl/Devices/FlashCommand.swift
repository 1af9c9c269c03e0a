import ArgumentParser
import PicoFlash
import UF2

/// `picoctl flash FILE`: plan, erase what changed, write, verify, reboot into the new program.
struct FlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash",
        abstract: "Flash a UF2, ELF or BIN file onto a board (BOOTSEL, or a running pico-sdk program sent to BOOTSEL).",
        discussion: """
        The board's flash size is learnt first (RP2040: the flash's JEDEC id; RP2350: the bootrom's flash device info; else aliasing); an image that reaches past its end is refused before anything is erased (exit 2). The image is checked first, before the board is touched: the validator's rules and the boot checks (RP2040 boot2 CRC, a vector table with its stack pointer in SRAM and its reset handler in the image, an RP2350 IMAGE_DEF); an error is refused with exit 2 unless --force. Sectors that already hold the image are neither erased nor written; bytes of a partly covered sector that the image does not define keep their contents. On an RP2350 with a partition table, an image linked at the flash start goes into the partition the bootrom names for its family (as drag-and-drop does), or into --partition N; an image larger than its partition is refused (exit 2). After the reboot, flash waits until the board is back and says what it came back as: running (USB product, serial), no USB device (a program without USB stdio), or still in BOOTSEL (exit 8, the likely cause named). With --json, progress and the result are JSON lines on stdout: {"event":"started"|"planned"|"progress"|"rebooting"|"finished"|"board", ...}.
        """)

    @Argument(help: "The firmware file (UF2, ELF or BIN).", completion: Completions.firmware)
    var file: String

    @OptionGroup var board: BoardOptions
    @OptionGroup var flashSize: FlashSizeOption

    @Flag(help: "Read the board and print the plan (flash size and where it came from, sectors to erase, pages to write, skipped, bytes over USB); change nothing: a board taken out of its program is put back into it.")
    var dryRun = false

    @Flag(help: "Do not read back what was written.")
    var noVerify = false

    @Flag(name: [.customLong("no-reboot"), .customLong("stay-in-bootsel"), .customShort("F")],
          help: "Stay in BOOTSEL afterwards instead of starting the new program (with --dry-run: instead of going back to the program; as picotool's -F).")
    var noReboot = false

    @Flag(help: "After the reboot, return once the board has left BOOTSEL instead of waiting to see it running.")
    var noWait = false

    @Flag(help: "Flash even when the image's family does not fit the board or the validator finds an error (such as a boot2 CRC that will not boot).")
    var force = false

    @OptionGroup var firmwareInput: FirmwareInputOptions

    @Option(help: "RP2350 with a partition table: write into partition N (the image is moved from the flash start to the partition).")
    var partition: Int?

    @Flag(help: "RP2350: write at the image's own addresses, whatever the board's partition table says.")
    var ignorePartitions = false

    @Flag(help: "JSON lines on stdout instead of progress bars and text.")
    var json = false

    @Flag(help: "RP2040: erase and check with plain PICOBOOT commands instead of picoctl's RAM helper (64 KiB block erases, on-board CRCs).")
    var noHelper = false

    @Flag(help: "Flash every board (narrowed by --serial/--port/--bus) at once, then print a result table; exit 1 if any failed.")
    var all = false

    @Flag(name: .customLong("monitor"), help: "After flashing and rebooting, follow the board's USB console (the options below apply; exit as `picoctl monitor`).")
    var followConsole = false

    @OptionGroup(title: "Console (with --monitor)")
    var console: MonitorOptions

    @OptionGroup(title: "General")
    var general: GeneralOptions

    func validate() throws {
        if all && dryRun { throw ValidationError("--dry-run works on one board at a time") }
        if all && flashSize.bytes != nil { throw ValidationError("--flash-size works on one board at a time") }
        if partition != nil && ignorePartitions { throw ValidationError("--partition and --ignore-partitions exclude each other") }
        if let partition, !(0..<16).contains(partition) { throw ValidationError("--partition \(partition): a partition table has partitions 0 to 15") }
        if followConsole && (all || dryRun || noReboot || noWait) {
            throw ValidationError("--monitor follows one board after it reboots: drop --all, --dry-run, --no-reboot and --no-wait")
        }
        if followConsole { try console.validate(json: json) }
        let consoleOnly = console.consoleOnlyOptionsGiven
        if !followConsole && !consoleOnly.isEmpty {
            throw ValidationError("\(consoleOnly.joined(separator: ", ")) only \(consoleOnly.count == 1 ? "applies" : "apply") with --monitor: add --monitor or drop \(consoleOnly.count == 1 ? "it" : "them")")
        }
    }

    func run() throws {
        let (_, firmware, report) = try firmwareInput.load(file, validate: true)
        let input = FlashInput(path: file, report: report, firmware: firmware, force: force)
        if all { return try runAll(input) }
        var followPort: String?
        try DeviceFailure.reporting {
            let renderer = ProgressRenderer(json: json)
            let session = try DeviceSession(options: board, announce: renderer.note, onEvent: renderer.handle, check: input.check)
            defer { session.close() }
            session.executor.flashSizeOverride = flashSize.bytes
            let (family, image) = Self.choose(firmware, for: session.chip)
            var options = FlashOptions()
            options.plan.verify = !noVerify
            options.reboot = !noReboot
            options.force = force
            options.family = family
            options.dryRun = dryRun
            options.useHelper = !noHelper
            options.partition = partitionChoice
            let summary: FlashSummary, after: BoardAftermath
            if dryRun {
                (summary, after) = try session.readOnly(stay: noReboot, announce: renderer.note) { session in
                    try session.run { try $0.flash(image, options: options) }
                }
            } else {
                summary = try session.run { try $0.flash(image, options: options) }
                after = summary.rebooted ? try session.awaitReturn(waitForReturn: !noWait) : session.leftInBootsel
            }
            // A line about the board whenever something was done to its mode (after `finished`).
            if json && after.sentence != nil { renderer.emit("board", Self.fields(after.json)) }
            if after.didNotBoot {
                throw DeviceFailure.notBooted("\(session.name): flashed, but \(after.sentence!); likely cause: \(input.likelyCause(for: session.chip))")
            }
            if followConsole && summary.rebooted { followPort = session.board.usb.portPath.description }
            guard !json else { return }
            // --verbose (shared with the console options) also says why the RAM helper was or was not used.
            if console.verbose, !dryRun, let note = summary.plan.helperNote { Terminal.error("\(session.name): RAM helper \(note)") }
            if dryRun {
                Terminal.output("dry run on \(session.name); nothing was changed" + (after.sentence.map { "; the board: \($0)" } ?? ""))
                if let placement = summary.placement { Terminal.output("target: \(placement.description)") }
                Terminal.output(summary.plan.summary())
            } else {
                if console.verbose { Terminal.error("\(session.name): \(summary.description)") }
                Terminal.output("\(session.name): \(FlashClosingLine.text(summary, after: after))")
            }
        }
        if let followPort { try follow(port: followPort) }
    }

    /// The fields of a JSON object value.
    static func fields(_ value: JSONValue) -> [String: JSONValue] {
        if case .object(let fields) = value { return fields }
        return [:]
    }

    /// `--all`: every matching board at once; a table (or JSON lines) at the end.
    func runAll(_ input: FlashInput) throws {
        var options = FlashOptions()
        options.plan.verify = !noVerify
        options.reboot = !noReboot
        options.force = force
        options.useHelper = !noHelper
        options.partition = partitionChoice
        var outcomes: [FlashAll.Outcome] = []
        try DeviceFailure.reporting {
            outcomes = try FlashAll(input: input, options: options, json: json, inventory: board.inventory, noWait: noWait)
                .run(selector: board.selector)
        }
        if !json { Terminal.output(FlashAll.table(outcomes)) }
        let failed = outcomes.filter { $0.word == "failed" }
        if !failed.isEmpty {
            Diagnostics.error("\(failed.count) of \(outcomes.count) boards failed: " + failed.map(\.board).joined(separator: ", "))
            throw ExitStatus.failure.exitCode
        }
    }

    /// `--partition N`, `--ignore-partitions`, or ask the bootrom.
    var partitionChoice: PartitionChoice {
        if ignorePartitions { return .ignore }
        return partition.map(PartitionChoice.index) ?? .automatic
    }

    /// The image for a family the chip accepts when the file carries several, else the file's main
    /// one. A BIN file names no family, so it is never refused for one; nor is an ELF file that nothing
    /// marks as RP2350 (RISC-V, an IMAGE_DEF, RP2350-only addresses): its RP2040 family is the reader's
    /// fallback, not the file's word (the boot checks still judge whether it can start).
    static func choose(_ firmware: FirmwareFile, for chip: Chip) -> (Family?, MemoryImage) {
        if firmware.format == .bin { return (nil, firmware.image) }
        if firmware.format == .elf, firmware.family == .rp2040, !chip.families.contains(.rp2040) { return (nil, firmware.image) }
        if let (family, image) = firmware.imagesByFamily.sorted(by: { $0.key.rawValue < $1.key.rawValue })
            .first(where: { chip.families.contains($0.key) && $0.key != .absolute && $0.key != .data }) {
            return (family, image)
        }
        return (firmware.family, firmware.image)
    }
}

extension ProgressRenderer {
    /// A note for the user: a stderr line, or a JSON `note` event.
    func note(_ text: String) {
        if mode == .json { emit("note", ["text": .string(text)]) } else { Terminal.error(text) }
    }
}
