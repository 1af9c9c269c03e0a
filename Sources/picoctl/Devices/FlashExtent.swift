import PicoFlash
import UF2

extension DeviceSession {
    /// The flash range a whole-flash `save` or `erase` covers: the size aliasing shows, else an error
    /// asking for `--range`.
    func wholeFlash() throws -> AddressRange {
        switch try run({ try $0.guessFlashSize() }) {
        case .size(let size), .atLeast(let size):
            return AddressRange(start: chip.flash.start, end: UInt64(chip.flash.start) + UInt64(size))
        case .undetermined:
            throw DeviceFailure.invalidInput("the start of flash is uniform (blank?), so its size cannot be told by aliasing; pass --range START END")
        }
    }
}
