import ArgumentParser
import PicoFlash
import UF2

/// `picoctl verify FILE`: does the board hold this image? Exit 0 when every byte matches, 1 when not.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare a board's memory with a UF2, ELF or BIN file; exit 1 at the first difference.")

    @Argument(help: "The firmware file (UF2, ELF or BIN).")
    var file: String

    @OptionGroup var board: BoardOptions

    @Option(help: "Load address of a BIN file (hex or decimal).")
    var offset: String = "0x10000000"

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    func validate() throws {
        if FirmwareCLI.parseNumber(offset) == nil { throw ValidationError("--offset \(offset) is not a number") }
    }

    func run() throws {
        let (_, firmware) = try FirmwareCLI.load(file, type: nil, offset: FirmwareCLI.parseNumber(offset)!, family: nil)
        try DeviceFailure.reporting {
            let renderer = ProgressRenderer(json: false)
            let session = try DeviceSession(options: board, announce: { Terminal.error($0) }, onEvent: renderer.handle)
            defer { session.close() }
            let (_, image) = FlashCommand.choose(firmware, for: session.chip)
            var compared = 0
            var mismatch: (address: UInt32, expected: UInt8, actual: UInt8, count: Int)?
            for segment in image.segments {
                let actual = try session.executor.read(AddressRange(start: segment.address, end: segment.end))
                for (offset, byte) in segment.bytes.enumerated() where actual[offset] != byte {
                    if mismatch == nil {
                        mismatch = (segment.address + UInt32(offset), byte, actual[offset], 0)
                    }
                    mismatch!.count += 1
                }
                compared += segment.bytes.count
            }
            renderer.endBar()
            if json {
                var fields: [String: JSONValue] = ["event": .string("verified"), "match": .bool(mismatch == nil),
                                                   "bytes": .int(compared), "differing_bytes": .int(mismatch?.count ?? 0)]
                fields["first_difference"] = mismatch.map { .int(Int($0.address)) } ?? .null
                Terminal.output(Terminal.jsonLine(JSONValue.object(fields)))
            }
            if let mismatch {
                throw DeviceFailure.failed("\(session.name) differs from \(file): \(mismatch.count) of \(compared) bytes; first at "
                    + "0x\(String(mismatch.address, radix: 16)) (file 0x\(String(mismatch.expected, radix: 16)), board 0x\(String(mismatch.actual, radix: 16)))")
            }
            if !json { Terminal.output("\(session.name) holds \(file): \(compared) bytes match") }
        }
    }
}
