import PicoBoot
import UF2

/// Where a reboot should take the board.
public enum RebootTarget: Hashable, Sendable {
    /// Boot normally (the program in flash).
    case application
    /// Back into BOOTSEL (RP2350 only through PICOBOOT).
    case bootsel
    /// Into a RAM image of `size` bytes starting at `entry`.
    case ram(entry: UInt32, size: UInt32)
}

/// The RP2350's two kinds of cores.
public enum CPUArchitecture: String, Hashable, Sendable, CaseIterable {
    /// Cortex-M33.
    case arm
    /// Hazard3 (RISC-V).
    case riscV = "riscv"
}

/// What aliasing says about the flash size.
public enum FlashSizeGuess: Hashable, Sendable {
    /// The flash repeats every `bytes` bytes.
    case size(UInt32)
    /// No repetition found within the window: at least this large.
    case atLeast(UInt32)
    /// The probed contents are uniform (blank flash), so aliasing cannot tell.
    case undetermined
}

extension FlashExecutor {
    /// Throws when `read(_:)` would refuse `range` on `chip`: empty, too large, or outside its ROM, flash and RAM.
    public static func checkRead(_ range: AddressRange, chip: Chip) throws(FlashError) {
        guard range.count > 0, range.count <= UInt64(UInt32.max) else { throw .invalidRange(range, reason: "empty or too large") }
        guard chip.isLoadable(range.start, length: range.count) || chip.rom.contains(range.start, length: range.count) else {
            throw .invalidRange(range, reason: "outside the \(chip.name)'s ROM, flash and RAM")
        }
    }

    /// Throws when `erase(_:)` would refuse `range` on `chip`: outside its flash window or not whole sectors.
    public static func checkErase(_ range: AddressRange, chip: Chip) throws(FlashError) {
        guard chip.flash.contains(range.start, length: range.count), range.count > 0 else {
            throw .invalidRange(range, reason: "not inside the \(chip.name)'s flash window")
        }
        guard range.start % chip.sectorSize == 0, range.count % UInt64(chip.sectorSize) == 0 else {
            throw .invalidRange(range, reason: "start and length must be multiples of \(chip.sectorSize)")
        }
    }

    /// Reads `range` in chunks (`save`), reporting `.read` progress. With `flashSize` (from
    /// `learnFlashSize`), a range past the end of flash is refused before anything is read.
    public func read(_ range: AddressRange, flashSize: FlashSize? = nil, chunk: UInt32 = 16 * 1024) throws(FlashError) -> [UInt8] {
        try Self.checkRead(range, chip: chip)
        try checkInsideFlash(range, size: flashSize)
        return try withExclusiveAccess { () throws(FlashError) -> [UInt8] in
            var out: [UInt8] = []
            out.reserveCapacity(Int(range.count))
            var address = range.start
            while UInt64(address) < range.end {
                let size = UInt32(min(UInt64(chunk), range.end - UInt64(address)))
                out += try readAligned(address: address, count: size)
                address += size
                onEvent(.progress(.read, done: UInt64(out.count), total: range.count))
            }
            return out
        }
    }

    /// One READ of `count` bytes at `address`; flash reads start on a page boundary (the bootrom
    /// refuses others with BAD_ALIGNMENT), so an unaligned start reads from the page and drops the lead.
    func readAligned(address: UInt32, count: UInt32) throws(FlashError) -> [UInt8] {
        let lead = chip.flash.contains(address) ? address % chip.pageSize : 0
        let bytes = try device { () throws(PicobootError) in try connection.read(address: address - lead, count: count + lead) }
        return Array(bytes[Int(lead)...])
    }

    /// Erases `range` of flash (4096-aligned), reporting `.erase` progress. The flash size is
    /// learnt first (`learnFlashSize`); a range past its end is refused before anything is erased.
    public func erase(_ range: AddressRange, chunk: UInt32 = 64 * 1024) throws(FlashError) {
        try Self.checkErase(range, chip: chip)
        try withExclusiveAccess { () throws(FlashError) in
            try device { () throws(PicobootError) in try connection.exitXIP() }
            let helperReady = try loadHelperIfAny()
            try checkInsideFlash(range, size: learnFlashSizeHoldingAccess(helperReady: helperReady))
            try eraseHoldingAccess(range, helperReady: helperReady, chunk: chunk)
        }
    }

    /// Erases the whole flash (`erase` without a range) and returns the range erased with the size
    /// it found. The size is learnt as `erase` learns it; when nothing tells it (the start of flash
    /// is blank and the board names no size), the first sector is erased and a marker written there,
    /// so that aliasing shows where the flash wraps; the marker goes with the rest of the flash.
    public func eraseAll(chunk: UInt32 = 64 * 1024) throws(FlashError) -> (range: AddressRange, size: FlashSize) {
        try withExclusiveAccess { () throws(FlashError) -> (range: AddressRange, size: FlashSize) in
            try device { () throws(PicobootError) in try connection.exitXIP() }
            let helperReady = try loadHelperIfAny()
            let size: FlashSize
            if let learnt = try learnFlashSizeHoldingAccess(helperReady: helperReady) { size = learnt } else { size = try sizeByMarker() }
            let range = AddressRange(start: chip.flash.start, end: UInt64(chip.flash.start) + UInt64(size.bytes))
            try eraseHoldingAccess(range, helperReady: helperReady, chunk: chunk)
            return (range, size)
        }
    }

    /// 1 KiB that no erased or programmed flash start is likely to repeat: the whole-flash erase's
    /// marker for the aliasing probe.
    static let sizeMarker: [UInt8] = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ 0x5A ^ ($0 >> 3)) }

    /// The flash size by aliasing of a marker (exclusive access held, XIP exited): the first sector is
    /// erased and the marker written at the start of flash. A marker that repeats nowhere within one
    /// chip select (16 MiB) means that chip select is full.
    func sizeByMarker() throws(FlashError) -> FlashSize {
        let base = chip.flash.start
        try device { () throws(PicobootError) in try connection.erase(address: base, size: chip.sectorSize) }
        try device { () throws(PicobootError) in try connection.write(address: base, bytes: Self.sizeMarker) }
        switch try probeAliasing(probe: UInt32(Self.sizeMarker.count)) {
        case .size(let bytes), .atLeast(let bytes): return FlashSize(bytes: bytes, source: .aliasing)
        case .undetermined:
            throw .unexpectedAnswer(command: "READ 0x\(String(base, radix: 16))", detail: "the size marker written at the start of flash reads back uniform")
        }
    }

    /// Erases `range` (checked, inside the flash), exclusive access held and XIP exited: the RP2040
    /// helper's 64 KiB block erases when it is ready, else FLASH_ERASE in `chunk`s; `.erase` progress.
    func eraseHoldingAccess(_ range: AddressRange, helperReady: Bool, chunk: UInt32) throws(FlashError) {
        if try eraseWithHelperIfReady(range, helperReady: helperReady) { return }     // RP2040: 64 KiB block erases
        var address = range.start
        while UInt64(address) < range.end {
            let size = UInt32(min(UInt64(chunk), range.end - UInt64(address)))
            try device { () throws(PicobootError) in try connection.erase(address: address, size: size) }
            address += size
            onEvent(.progress(.erase, done: UInt64(address - range.start), total: range.count))
        }
    }

    /// Guesses the flash size by aliasing: reads past the chip's size wrap to its start.
    public func guessFlashSize(probe: UInt32 = 1024) throws(FlashError) -> FlashSizeGuess {
        try withExclusiveAccess { () throws(FlashError) -> FlashSizeGuess in try probeAliasing(probe: probe) }
    }

    /// The aliasing probe (exclusive access held): the first `probe` bytes of flash compared with
    /// those at 64 KiB, 128 KiB, ... up to the chip's window or 16 MiB (one chip select).
    func probeAliasing(probe: UInt32 = 1024) throws(FlashError) -> FlashSizeGuess {
        let base = chip.flash.start
        let first = try device { () throws(PicobootError) in try connection.read(address: base, count: probe) }
        if first.allSatisfy({ $0 == first[0] }) { return .undetermined }
        let limit = UInt32(min(chip.flash.count, 16 << 20))
        var size: UInt32 = 64 * 1024
        while size < limit {
            let other = try device { () throws(PicobootError) in try connection.read(address: base + size, count: probe) }
            if other == first { return .size(size) }
            size <<= 1
        }
        return .atLeast(limit)
    }

    /// Reboots the board (the connection is gone afterwards); on RP2350 `architecture` chooses the
    /// cores it boots on (the bootrom refuses an architecture that OTP disables).
    public func reboot(_ target: RebootTarget, delayMilliseconds: UInt32 = 500, architecture: CPUArchitecture? = nil) throws(FlashError) {
        if architecture != nil, chip.hasExec { throw .unsupported(operation: "choosing the CPU architecture", chip: chip) }
        let archFlag = architecture.map { $0 == .riscV ? Reboot2.toRiscVFlag : Reboot2.toArmFlag } ?? 0
        let command: any PicobootCommand
        switch (target, chip.hasExec) {
        case (.application, true): command = Reboot(pc: 0, sp: 0, delayMilliseconds: delayMilliseconds)
        case (.application, false): command = Reboot2(flags: Reboot2.Kind.normal.rawValue | archFlag, delayMilliseconds: delayMilliseconds)
        case (.bootsel, true): throw .unsupported(operation: "rebooting into BOOTSEL over PICOBOOT", chip: chip)
        case (.bootsel, false): command = Reboot2(flags: Reboot2.Kind.bootsel.rawValue | archFlag, delayMilliseconds: delayMilliseconds)
        case (.ram(let entry, _), true):
            // picotool passes the image's start address as pc.
            command = Reboot(pc: entry, sp: UInt32(truncatingIfNeeded: chip.sram.end), delayMilliseconds: delayMilliseconds)
        case (.ram(let entry, let size), false):
            command = Reboot2(.ramImage, delayMilliseconds: delayMilliseconds, p0: entry, p1: size)
        }
        _ = try device { () throws(PicobootError) in try connection.execute(command) }
    }
}

extension FlashExecutor {
    /// Chip, CPU, flash-device and boot information through GET_INFO (RP2350 only).
    public func systemInfo(_ items: SystemInfo.Items = .standard) throws(FlashError) -> SystemInfo {
        guard !chip.hasExec else { throw .unsupported(operation: "GET_INFO", chip: chip) }
        return try withExclusiveAccess { () throws(FlashError) -> SystemInfo in
            let answer = try device { () throws(PicobootError) in
                try connection.execute(GetInfo(.system, params: (items.rawValue, 0, 0), length: 256))
            }
            guard let info = SystemInfo(answer: answer) else {
                throw .device(PicobootError(reason: .shortTransfer(expected: 8, received: answer.count), command: .getInfo,
                                            commandText: "GET_INFO SYS", address: nil, token: connection.nextToken &- 1,
                                            phase: .data))
            }
            return info
        }
    }
}
