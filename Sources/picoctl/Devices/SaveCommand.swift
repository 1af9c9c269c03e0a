import ArgumentParser
import PicoFlash
import UF2

/// `picoctl save OUT`: read the board's flash (or a range) into a BIN or UF2 file.
struct SaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Read a board's program (or --range, or --all-flash) into OUT: .bin raw bytes, .uf2 blocks for the board's family, .elf one loadable segment.",
        discussion: """
            Without --range or --all-flash, save reads the program: from the start of flash to the binary end its \
            binary info names, else up to the last sector that is not erased (exit 1 when the flash is blank).
            """)

    @Argument(help: "The output file; its extension (.bin, .uf2 or .elf) picks the format; - writes BIN to stdout.")
    var output: String

    @OptionGroup var board: BoardOptions
    @OptionGroup var range: RangeOption
    @OptionGroup var flashSize: FlashSizeOption

    @Flag(help: "Save the whole flash (its size by aliasing) instead of the program.")
    var allFlash = false

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    @OptionGroup(title: "General")
    var general: GeneralOptions

    @OptionGroup var stay: StayOption

    func validate() throws {
        if allFlash && range.range != nil { throw ValidationError("--range and --all-flash contradict each other: give one") }
        if output != "-" && format == nil {
            throw ValidationError("cannot tell the format of \(output): use a .bin, .uf2 or .elf file name")
        }
    }

    /// The output format from the file name.
    var format: FirmwareFile.Format? {
        if output == "-" { return .bin }
        let lower = output.lowercased()
        if lower.hasSuffix(".bin") { return .bin }
        if lower.hasSuffix(".uf2") { return .uf2 }
        if lower.hasSuffix(".elf") { return .elf }
        return nil
    }

    func run() throws {
        // The output must be writable before the board is touched.
        do { try FileIO.checkWritable(output) } catch {
            Diagnostics.error("\(error)")
            throw ExitStatus.unreadable.exitCode
        }
        try DeviceFailure.reporting {
            let renderer = ProgressRenderer(json: false)
            let session = try DeviceSession(options: board, announce: { Terminal.error($0) }, onEvent: renderer.handle) { chip in
                if let area = range.range { try DeviceFailure.checking { try FlashExecutor.checkRead(area, chip: chip) } }
            }
            defer { session.close() }
            session.executor.flashSizeOverride = flashSize.bytes
            let ((area, bytes), after) = try session.readOnly(stay: stay.stayInBootsel) { session in
                let size = try session.run { try $0.learnFlashSize() }
                if let given = range.range { return (given, try session.run { try $0.read(given, flashSize: size) }) }
                if allFlash {
                    let area = try session.wholeFlash(size)
                    return (area, try session.run { try $0.read(area, flashSize: size) })
                }
                return try session.programExtent(size)
            }
            renderer.endBar()
            let file: [UInt8]
            if format == .uf2 {
                do { file = try SDKConversion.binToUF2(bytes, address: area.start, family: session.chip.defaultFamily) } catch {
                    throw DeviceFailure.invalidInput("cannot make UF2 blocks of \(area): \(error)")
                }
            } else if format == .elf {
                file = ELFOutput.file(bytes, address: area.start)
            } else {
                file = bytes
            }
            do { try FileIO.write(file, to: output) } catch {
                Diagnostics.error("\(error)")
                throw ExitStatus.unreadable.exitCode
            }
            if json {
                Terminal.output(Terminal.jsonLine(JSONValue.object([
                    "event": .string("saved"), "file": .string(output), "start": .address(area.start),
                    "end": .address(area.end), "bytes": .int(bytes.count), "format": .string(format?.rawValue ?? "bin"),
                    "board": after.json])))
            } else if output != "-" {
                Terminal.output("saved \(area) (\(bytes.count) bytes) from \(session.name) to \(output)")
            }
            if !json, let sentence = after.sentence { Terminal.error("\(session.name): \(sentence)") }
        }
    }
}
