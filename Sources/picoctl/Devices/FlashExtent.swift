import PicoFlash
import UF2

extension DeviceSession {
    /// The board's whole flash for `size` (from `FlashExecutor.learnFlashSize`, learnt here when not
    /// given); an error asking for `--range` or `--flash-size` when nothing tells the size.
    func wholeFlash(_ size: FlashSize?? = nil) throws -> AddressRange {
        let known: FlashSize? = try size ?? run { try $0.learnFlashSize() }
        guard let known else {
            throw DeviceFailure.invalidInput("the flash size cannot be told (the start of flash is blank and the board names no size); "
                                             + "pass --range START END or --flash-size BYTES")
        }
        return AddressRange(start: chip.flash.start, end: UInt64(chip.flash.start) + UInt64(known.bytes))
    }
}
