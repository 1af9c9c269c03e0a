import PicoBoot
import UF2

extension SimulatedBoard {
    /// The offset in `flash` of a flash-window address: the chip aliases past its size.
    func flashOffset(_ address: UInt32) -> Int { Int((address - chip.flash.start) % flashSize) }

    /// FLASH_ERASE: 4096-aligned range inside the flash window, erased one sector after another.
    func erase(address: UInt32, size: UInt32) throws(Rejection) {
        guard address % chip.sectorSize == 0, size % chip.sectorSize == 0 else { throw Rejection(status: .badAlignment) }
        guard chip.flash.contains(address, length: UInt64(size)) else { throw Rejection(status: .invalidAddress) }
        if !xipExited { statistics.flashOperationsInXIPMode += 1 }
        var sector = address
        while UInt64(sector) < UInt64(address) + UInt64(size) {
            let offset = flashOffset(sector)
            flash.replaceSubrange(offset..<(offset + Int(chip.sectorSize)), with: repeatElement(0xFF, count: Int(chip.sectorSize)))
            statistics.sectorErases += 1
            sector += chip.sectorSize
        }
        pendingWork += timing.erase(sectors: Int(size / chip.sectorSize))
    }

    /// Erases `[address, address + size)` with 64 KiB block erases where aligned, as a RAM helper would.
    public func helperErase(address: UInt32, size: UInt32) -> Duration {
        var spent: Duration = .zero
        var cursor = address
        let end = UInt64(address) + UInt64(size)
        while UInt64(cursor) < end {
            let block: UInt32 = 64 * 1024
            let isBlock = cursor % block == 0 && UInt64(cursor) + UInt64(block) <= end
            let unit = isBlock ? block : chip.sectorSize
            let offset = flashOffset(cursor)
            flash.replaceSubrange(offset..<(offset + Int(unit)), with: repeatElement(0xFF, count: Int(unit)))
            if isBlock { statistics.blockErases += 1; spent += timing.blockErase } else { statistics.sectorErases += 1; spent += timing.sectorErase }
            cursor += unit
        }
        return spent
    }

    /// READ: ROM, flash (aliased; page-aligned start), SRAM or XIP SRAM.
    func readMemory(address: UInt32, size: UInt32) throws(Rejection) -> [UInt8] {
        let length = UInt64(size)
        if chip.flash.contains(address, length: length) {
            // The bootrom reads flash a page at a time from a page-aligned address.
            guard address % chip.pageSize == 0 else { throw Rejection(status: .badAlignment) }
            var out: [UInt8] = []
            out.reserveCapacity(Int(size))
            var cursor = address, remaining = Int(size)
            while remaining > 0 {
                let offset = flashOffset(cursor)
                let run = min(remaining, Int(flashSize) - offset)
                out.append(contentsOf: flash[offset..<(offset + run)])
                cursor &+= UInt32(run)
                remaining -= run
            }
            return out
        }
        if chip.sram.contains(address, length: length) {
            let offset = Int(address - chip.sram.start)
            return Array(sram[offset..<(offset + Int(size))])
        }
        if chip.xipSRAM.contains(address, length: length) {
            let offset = Int(address - chip.xipSRAM.start)
            return Array(xipSRAM[offset..<(offset + Int(size))])
        }
        if chip.rom.contains(address, length: length) {
            // A recognisable ROM pattern: the low byte of each address.
            return (0..<Int(size)).map { UInt8(truncatingIfNeeded: Int(address) + $0) }
        }
        throw Rejection(status: .invalidAddress)
    }

    /// WRITE checks: flash 256-aligned (address and size) inside the window, or RAM.
    func checkWrite(address: UInt32, size: UInt32) throws(Rejection) {
        let length = UInt64(size)
        if chip.flash.contains(address, length: length) {
            guard address % chip.pageSize == 0, size % chip.pageSize == 0 else { throw Rejection(status: .badAlignment) }
            return
        }
        guard chip.sram.contains(address, length: length) || chip.xipSRAM.contains(address, length: length) else {
            throw Rejection(status: .invalidAddress)
        }
    }

    /// Programs flash pages: bits can only be cleared (the result is old AND new).
    func program(address: UInt32, _ data: [UInt8]) {
        if !xipExited { statistics.flashOperationsInXIPMode += 1 }
        var offset = flashOffset(address)
        for byte in data {
            flash[offset] &= byte
            offset += 1
            if offset == Int(flashSize) { offset = 0 }
        }
        let pages = data.count / Int(chip.pageSize)
        statistics.pagePrograms += pages
        pendingWork += timing.program(pages: pages)
    }

    /// Stores RAM bytes.
    func storeRAM(address: UInt32, _ data: [UInt8]) {
        if chip.sram.contains(address, length: UInt64(data.count)) {
            let offset = Int(address - chip.sram.start)
            sram.replaceSubrange(offset..<(offset + data.count), with: data)
        } else {
            let offset = Int(address - chip.xipSRAM.start)
            xipSRAM.replaceSubrange(offset..<(offset + data.count), with: data)
        }
    }
}
