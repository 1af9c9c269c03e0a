import ArgumentParser
import PicoFlash
import UF2

/// `picoctl verify FILE`: does the board hold this image? Exit 0 when every byte matches, 1 when not.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare a board's memory with a UF2, ELF or BIN file; exit 1 at the first difference.",
        discussion: "The file is checked as flash checks it before the board is touched: an image whose family the chip does not run (unless --force) or that lies outside its memory is refused (exit 2).")

    @Argument(help: "The firmware file (UF2, ELF or BIN).", completion: Completions.firmware)
    var file: String

    @OptionGroup var board: BoardOptions
    @OptionGroup var flashSize: FlashSizeOption

    @OptionGroup var input: FirmwareInputOptions

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    @Flag(help: "Compare every byte read back over USB instead of the RP2040 RAM helper's per-sector CRCs.")
    var readBack = false

    @Option(help: "RP2350 with a partition table: compare with partition N (an image linked at the flash start, moved there as flash does).")
    var partition: Int?

    @Flag(help: "Compare even when the image's family does not fit the board (as flash --force would have written it).")
    var force = false

    @OptionGroup(title: "General")
    var general: GeneralOptions

    @OptionGroup var stay: StayOption

    func run() throws {
        let (_, firmware, _) = try input.load(file)
        try DeviceFailure.reporting {
            let renderer = ProgressRenderer(json: false)
            let session = try DeviceSession(options: board, announce: { Terminal.error($0) }, onEvent: renderer.handle) { chip in
                try FlashInput.checkTarget(firmware, chip: chip, force: force)
            }
            defer { session.close() }
            session.executor.flashSizeOverride = flashSize.bytes
            let (_, chosen) = FlashCommand.choose(firmware, for: session.chip)
            let (report, after) = try session.readOnly(stay: stay.stayInBootsel) { session in
                var image = chosen
                if let partition { image = try session.run { [image] in try $0.image(image, inPartition: partition) } }
                return try session.run { [image] in readBack ? try $0.verify(image) : try $0.verifyUsingHelper(image) }
            }
            renderer.endBar()
            if !json, let sentence = after.sentence { Terminal.error("\(session.name): \(sentence)") }
            let first = report.firstMismatches.first
            if json {
                Terminal.output(Terminal.jsonLine(JSONValue.object([
                    "event": .string("verified"), "match": .bool(report.mismatchCount == 0), "bytes": .int(report.bytesCompared),
                    "differing_bytes": .int(report.mismatchCount), "first_difference": first.map { .address($0.address) } ?? .null,
                    "method": .string(report.method), "helper": report.helperNote.map(JSONValue.string) ?? .null,
                    "usb_bytes_read": report.byCRC ? .int(Int(report.bytesReadByHelperCheck)) : .int(report.bytesCompared),
                    "board": after.json])))
            }
            if let first {
                throw DeviceFailure.failed("\(session.name) differs from \(file): \(report.mismatchCount) of \(report.bytesCompared) bytes; first at "
                    + "\(JSONStyle.address(first.address)) (file \(JSONStyle.byte(first.expected)), board \(JSONStyle.byte(first.actual)))")
            }
            let compared = report.bytesCompared
            if !json { Terminal.output("\(session.name) holds \(file): \(compared) bytes match (\(report.byCRC ? "RAM helper CRCs, \(report.bytesReadByHelperCheck) bytes read" : "read back"))") }
        }
    }
}
