import PicoFlash
import UF2

extension DeviceSession {
    /// The flash range a whole-flash `save --all-flash` or `erase` covers: the size aliasing shows, else
    /// an error asking for `--range`.
    func wholeFlash() throws -> AddressRange {
        switch try run({ try $0.guessFlashSize() }) {
        case .size(let size), .atLeast(let size):
            return AddressRange(start: chip.flash.start, end: UInt64(chip.flash.start) + UInt64(size))
        case .undetermined:
            throw DeviceFailure.invalidInput("the start of flash is uniform (blank?), so its size cannot be told by aliasing; pass --range START..END")
        }
    }

    /// The program in flash, for `save` without a range: from the start of flash to binary info's
    /// binary end; without binary info, up to the end of the last sector that is not erased. A blank
    /// flash is an error (exit 1).
    func programExtent() throws -> (range: AddressRange, bytes: [UInt8]) {
        let base = chip.flash.start
        var flashSize: UInt32?
        switch try run({ try $0.guessFlashSize() }) {
        case .size(let size): flashSize = size
        case .atLeast: break
        case .undetermined:
            // A uniform start of flash: erased means no program starts there.
            let first = try run { try $0.read(AddressRange(start: base, end: UInt64(base) + UInt64(chip.sectorSize))) }
            if first.allSatisfy({ $0 == 0xff }) { throw Self.nothingToSave(name) }
        }
        let limit = flashSize ?? UInt32(chip.flash.count)
        let (info, _) = try programInfo(flashSize: flashSize, probe: 64 * 1024, limit: limit)
        if let end = info?.binaryEnd, end > base, end - base <= limit {
            let range = AddressRange(start: base, end: UInt64(end))
            return (range, try run { try $0.read(range) })
        }
        let whole = try wholeFlash()
        let bytes = try run { try $0.read(whole) }
        let sector = Int(chip.sectorSize)
        guard let last = bytes.lastIndex(where: { $0 != 0xff }) else {
            throw Self.nothingToSave(name)
        }
        let end = min(bytes.count, (last / sector + 1) * sector)
        return (AddressRange(start: base, end: UInt64(base) + UInt64(end)), Array(bytes[..<end]))
    }

    private static func nothingToSave(_ name: String) -> DeviceFailure {
        .failed("the flash of \(name) is erased: there is no program to save (--range or --all-flash save it anyway)")
    }
}
