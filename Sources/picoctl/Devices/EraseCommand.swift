import ArgumentParser
import PicoFlash
import UF2

/// `picoctl erase`: erase the whole flash (its size learnt from the board) or a 4 KiB-aligned range.
struct EraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a board's flash: all of it, or --range START..END or START+SIZE (multiples of 4096); a range past the end of the flash is refused (exit 2).",
        discussion: "The range is checked before the board is touched. Without --range the flash size is learnt from the board; when nothing tells it (a blank start of flash and no size in OTP), a marker is written at the start of flash to see where reads wrap, and erased with the rest. A board running a program is sent to BOOTSEL and stays there (its flash no longer holds the program).")

    @OptionGroup var board: BoardOptions
    @OptionGroup var range: RangeOption
    @OptionGroup var flashSize: FlashSizeOption

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    @OptionGroup(title: "General")
    var general: GeneralOptions

    func run() throws {
        try DeviceFailure.reporting {
            let renderer = ProgressRenderer(json: false)
            let session = try DeviceSession(options: board, announce: { Terminal.error($0) }, onEvent: renderer.handle) { chip in
                if let area = range.range { try DeviceFailure.checking { try FlashExecutor.checkErase(area, chip: chip) } }
            }
            defer { session.close() }
            session.executor.flashSizeOverride = flashSize.bytes
            let start = ContinuousClock.now
            let area: AddressRange
            if let given = range.range {
                try session.run { try $0.erase(given) }
                area = given
            } else {
                area = try session.run { try $0.eraseAll() }.range
            }
            renderer.endBar()
            let elapsed = ContinuousClock.now - start
            if json {
                Terminal.output(Terminal.jsonLine(JSONValue.object([
                    "event": .string("erased"), "start": .address(area.start), "end": .address(area.end),
                    "bytes": .int(Int(area.count)), "seconds": .double(elapsed.secondsValue), "board": session.leftInBootsel.json])))
            } else {
                Terminal.output("erased \(area) (\(area.count / 1024) KiB) on \(session.name) in \(elapsed)")
            }
        }
    }
}
