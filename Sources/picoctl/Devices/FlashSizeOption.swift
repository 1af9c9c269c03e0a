import ArgumentParser
import PicoFlash

/// `--flash-size BYTES`, shared by the commands that touch flash (flash, erase, verify, save).
struct FlashSizeOption: ParsableArguments {
    @Option(name: .customLong("flash-size"),
            help: ArgumentHelp("The board's flash size in bytes (hex or decimal; a power of two from 64 KiB), instead of what the board tells (RP2040: the flash's JEDEC id; RP2350: the bootrom's flash device info; else aliasing). For parts that answer wrongly.",
                               valueName: "bytes"))
    var text: String?

    func validate() throws {
        guard let text else { return }
        guard let bytes = FirmwareCLI.parseNumber(text), bytes >= 64 * 1024, bytes.nonzeroBitCount == 1 else {
            throw ValidationError("--flash-size \(text) is not a power of two of at least 64 KiB (0x10000)")
        }
    }

    /// The size given, in bytes.
    var bytes: UInt32? { text.flatMap(FirmwareCLI.parseNumber) }
}
