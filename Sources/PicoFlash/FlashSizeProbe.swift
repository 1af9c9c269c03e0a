import PicoBoot
import UF2

/// Learning the board's flash size before anything is planned, erased or read: a 2 MiB part
/// ignores the address bits above 2 MiB, so an address past the end silently reaches the start.
/// Nothing is cached: every operation asks the board in front of it.
extension FlashExecutor {
    /// The board's flash size: `flashSizeOverride` when set; RP2040: the flash's JEDEC id through
    /// the RAM helper (when `useHelper` and it loads); RP2350: GET_INFO's flash device word when OTP
    /// programmed it; else the aliasing probe. nil when nothing tells (blank flash and no other source).
    public func learnFlashSize(useHelper: Bool = true) throws(FlashError) -> FlashSize? {
        if let flashSizeOverride { return FlashSize(bytes: flashSizeOverride, source: .option) }
        return try withExclusiveAccess { () throws(FlashError) -> FlashSize? in
            try device { () throws(PicobootError) in try connection.exitXIP() }
            return try learnFlashSizeHoldingAccess(helperReady: useHelper ? loadHelperIfAny() : false)
        }
    }

    /// Loads the executor's helper (RP2040) and says whether it is ready; XIP is left exited.
    func loadHelperIfAny() throws(FlashError) -> Bool {
        guard let helper, chip.hasExec else { return false }
        let load = try device { () throws(PicobootError) in try helper.load(over: connection, chip: chip) }
        if !load.isReady { try device { () throws(PicobootError) in try connection.exitXIP() } }
        return load.isReady
    }

    /// `learnFlashSize` with exclusive access held and XIP exited; `helperReady` says the executor's
    /// helper is loaded and passed its self-check. Leaves XIP exited.
    func learnFlashSizeHoldingAccess(helperReady: Bool) throws(FlashError) -> FlashSize? {
        if let flashSizeOverride { return FlashSize(bytes: flashSizeOverride, source: .option) }
        if chip.hasExec, helperReady, let helper {
            let id = try device { () throws(PicobootError) in try helper.jedecID(over: connection, chip: chip) }
            try device { () throws(PicobootError) in try connection.exitXIP() }      // the helper leaves XIP on
            if let size = FlashSize.fromJEDEC(id, chip: chip) { return size }
        } else if !chip.hasExec, let info = try flashDeviceInfo(), let size = FlashSize.fromDeviceInfo(info) {
            return size
        }
        switch try probeAliasing() {
        case .size(let bytes): return FlashSize(bytes: bytes, source: .aliasing)
        case .atLeast(let bytes):
            // Nothing repeats up to the end of the window: the window is the size (RP2040, 16 MiB).
            return UInt64(bytes) == chip.flash.count ? FlashSize(bytes: bytes, source: .aliasing) : nil
        case .undetermined: return nil
        }
    }

    /// The RP2350 bootrom's flash device word (GET_INFO type SYS, item FLASH_DEV_INFO); nil when
    /// the answer lacks it.
    func flashDeviceInfo() throws(FlashError) -> FlashDeviceInfo? {
        let answer = try device { () throws(PicobootError) in
            try connection.execute(GetInfo(.system, params: (SystemInfo.Items.flashDeviceInfo.rawValue, 0, 0), length: 256))
        }
        return SystemInfo(answer: answer)?.flashDeviceInfo.map(FlashDeviceInfo.init(rawValue:))
    }

    /// Refuses `range` when part of it lies in the flash window past the end of `size`.
    public func checkInsideFlash(_ range: AddressRange, size: FlashSize?) throws(FlashError) {
        guard let size, chip.flash.contains(range.start) else { return }
        let end = UInt64(chip.flash.start) + UInt64(size.bytes)
        if range.end > end { throw .pastEndOfFlash(range, size: size, end: end) }
    }

    /// Refuses a flash image that reaches past the end of `size`.
    func checkInsideFlash(_ image: MemoryImage, size: FlashSize?) throws(FlashError) {
        guard let start = image.lowestAddress, let end = image.endAddress else { return }
        try checkInsideFlash(AddressRange(start: start, end: end), size: size)
    }
}
