// Clock tree as the pico-sdk's clocks_init sets it up: 12 MHz crystal, PLL_SYS at 1500 MHz / 6 / 2
// = 125 MHz for clk_sys and clk_peri, PLL_USB at 1200 MHz / 5 / 5 = 48 MHz for clk_usb and clk_adc,
// clk_ref from the crystal, clk_rtc = 48 MHz / 1024. Every lock wait is bounded: rp2040py does
// not model the PLLs (their registers read all ones, so LOCK appears set) and its oscillator is
// stable at once.

/// Frequencies the firmware runs at.
enum ClockRates {
    /// Crystal frequency on the Pico.
    static let xosc: UInt32 = 12_000_000
    /// clk_sys and clk_peri.
    static let system: UInt32 = 125_000_000
    /// clk_usb.
    static let usb: UInt32 = 48_000_000
}

private enum ClockReg {
    static let refCtrl: UInt32 = 0x30, refDiv: UInt32 = 0x34, refSelected: UInt32 = 0x38
    static let sysCtrl: UInt32 = 0x3C, sysDiv: UInt32 = 0x40, sysSelected: UInt32 = 0x44
    static let periCtrl: UInt32 = 0x48
    static let usbCtrl: UInt32 = 0x54, usbDiv: UInt32 = 0x58
    static let adcCtrl: UInt32 = 0x60, adcDiv: UInt32 = 0x64
    static let rtcCtrl: UInt32 = 0x6C, rtcDiv: UInt32 = 0x70
    static let resusCtrl: UInt32 = 0x78
    static let enable: UInt32 = 1 << 11
}

/// Starts the crystal oscillator and waits (bounded) for it to be stable.
private func startCrystal() {
    let base = RP2040.xosc
    write32(base + 0x00, 0xAA0)                                  // FREQ_RANGE 1-15 MHz
    write32(base + 0x0C, ((ClockRates.xosc / 1000) + 128) / 256)  // STARTUP delay ~1 ms
    setBits(base + 0x00, 0xFAB << 12)                             // ENABLE
    _ = waitUntil { read32(base + 0x04) & 0x8000_0000 != 0 }      // STATUS.STABLE
}

/// Brings a PLL up at `refdiv`, `fbdiv` and the two post dividers.
private func startPLL(_ base: UInt32, resetBit: UInt32, refdiv: UInt32, fbdiv: UInt32,
                      postdiv1: UInt32, postdiv2: UInt32) {
    reset(resetBit)
    unreset(resetBit)
    write32(base + 0x00, refdiv)            // CS.REFDIV
    write32(base + 0x08, fbdiv)             // FBDIV_INT
    clearBits(base + 0x04, (1 << 0) | (1 << 5))   // PWR: power up PD and VCOPD
    _ = waitUntil { read32(base + 0x00) & 0x8000_0000 != 0 }   // CS.LOCK
    write32(base + 0x0C, (postdiv1 << 16) | (postdiv2 << 12))  // PRIM
    clearBits(base + 0x04, 1 << 3)          // PWR.POSTDIVPD
}

/// Gives an auxiliary-only clock (usb, adc, rtc, peri) a source and divider, then enables it.
private func configureAux(ctrl: UInt32, div: UInt32?, divider: UInt32, auxsrc: UInt32) {
    let base = RP2040.clocks
    clearBits(base + ctrl, ClockReg.enable)
    var settle = 0
    while settle < 64 { settle += 1 }       // a few cycles of the old clock to stop cleanly
    if let div { write32(base + div, divider) }
    writeMasked(base + ctrl, auxsrc << 5, 0x7 << 5)
    setBits(base + ctrl, ClockReg.enable)
}

/// Sets up the whole clock tree; returns false if a switch was not confirmed in time.
@discardableResult
func initClocks() -> Bool {
    let base = RP2040.clocks
    var confirmed = true
    write32(base + ClockReg.resusCtrl, 0)
    startCrystal()

    // Move clk_sys and clk_ref to their glitchless sources before touching the PLLs.
    clearBits(base + ClockReg.sysCtrl, 0x1)
    confirmed = waitUntil { read32(base + ClockReg.sysSelected) == 0x1 } && confirmed
    clearBits(base + ClockReg.refCtrl, 0x3)
    confirmed = waitUntil { read32(base + ClockReg.refSelected) == 0x1 } && confirmed

    startPLL(RP2040.pllSys, resetBit: ResetBit.pllSys, refdiv: 1, fbdiv: 125, postdiv1: 6, postdiv2: 2)
    startPLL(RP2040.pllUSB, resetBit: ResetBit.pllUSB, refdiv: 1, fbdiv: 100, postdiv1: 5, postdiv2: 5)

    // clk_ref <- XOSC, divider 1.
    write32(base + ClockReg.refDiv, 1 << 8)
    writeMasked(base + ClockReg.refCtrl, 0x2, 0x3)
    confirmed = waitUntil { read32(base + ClockReg.refSelected) == 1 << 2 } && confirmed

    // clk_sys <- aux PLL_SYS, divider 1.
    write32(base + ClockReg.sysDiv, 1 << 8)
    writeMasked(base + ClockReg.sysCtrl, 0 << 5, 0x7 << 5)
    setBits(base + ClockReg.sysCtrl, 0x1)
    confirmed = waitUntil { read32(base + ClockReg.sysSelected) == 1 << 1 } && confirmed

    configureAux(ctrl: ClockReg.usbCtrl, div: ClockReg.usbDiv, divider: 1 << 8, auxsrc: 0)      // PLL_USB
    configureAux(ctrl: ClockReg.adcCtrl, div: ClockReg.adcDiv, divider: 1 << 8, auxsrc: 0)      // PLL_USB
    configureAux(ctrl: ClockReg.rtcCtrl, div: ClockReg.rtcDiv, divider: 1024 << 8, auxsrc: 0)   // PLL_USB / 1024
    configureAux(ctrl: ClockReg.periCtrl, div: nil, divider: 0, auxsrc: 0)                      // clk_sys

    // Watchdog tick for the timer: 1 us from the 12 MHz clk_ref.
    write32(RP2040.watchdog + 0x2C, (1 << 9) | (ClockRates.xosc / 1_000_000))
    return confirmed
}
