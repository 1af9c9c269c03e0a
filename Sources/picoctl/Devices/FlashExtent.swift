import PicoFlash
import UF2

extension DeviceSession {
    /// The board's whole flash for `size` (from `FlashExecutor.learnFlashSize`, learnt here when not
    /// given); an error asking for `--range` or `--flash-size` when nothing tells the size.
    func wholeFlash(_ size: FlashSize?? = nil) throws -> AddressRange {
        let known: FlashSize? = try size ?? run { try $0.learnFlashSize() }
        guard let known else {
            throw DeviceFailure.invalidInput("the flash size cannot be told (the start of flash is blank and the board names no size); "
                                             + "pass --range START..END or --flash-size BYTES")
        }
        return AddressRange(start: chip.flash.start, end: UInt64(chip.flash.start) + UInt64(known.bytes))
    }

    /// The program in flash, for `save` without a range: from the start of flash to binary info's
    /// binary end; without binary info, up to the end of the last sector that is not erased. A blank
    /// flash is an error (exit 1). `size` is the flash size learnt, if any.
    func programExtent(_ size: FlashSize?) throws -> (range: AddressRange, bytes: [UInt8]) {
        let base = chip.flash.start
        if size == nil {
            // Nothing tells the size, so the start of flash is uniform: erased means no program starts there.
            let first = try run { try $0.read(AddressRange(start: base, end: UInt64(base) + UInt64(chip.sectorSize))) }
            if first.allSatisfy({ $0 == 0xff }) { throw Self.nothingToSave(name) }
        }
        let limit = size?.bytes ?? UInt32(chip.flash.count)
        let (info, _) = try programInfo(flashSize: size?.bytes, probe: 64 * 1024, limit: limit)
        if let end = info?.binaryEnd, end > base, end - base <= limit {
            let range = AddressRange(start: base, end: UInt64(end))
            return (range, try run { try $0.read(range, flashSize: size) })
        }
        let whole = try wholeFlash(size)
        let bytes = try run { try $0.read(whole, flashSize: size) }
        let sector = Int(chip.sectorSize)
        guard let last = bytes.lastIndex(where: { $0 != 0xff }) else { throw Self.nothingToSave(name) }
        let end = min(bytes.count, (last / sector + 1) * sector)
        return (AddressRange(start: base, end: UInt64(base) + UInt64(end)), Array(bytes[..<end]))
    }

    private static func nothingToSave(_ name: String) -> DeviceFailure {
        .failed("the flash of \(name) is erased: there is no program to save (--range or --all-flash save it anyway)")
    }
}
