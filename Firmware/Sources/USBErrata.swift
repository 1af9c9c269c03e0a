// RP2040-E5 (B0 and B1 silicon): after a bus reset the USB controller wants 800 us of idle J
// before it considers itself connected; on a hub that forwards other devices' packets it may
// never see them, and the device fails to enumerate. Like the pico-sdk, force J through the
// GPIO path (GPIO15's USB debug function, DP held high) for a millisecond after each reset,
// then hand the line back to the PHY. B2 silicon does not need it.

/// The RP2040-E5 enumeration workaround.
enum EnumerationFix {
    private static let dpPin: UInt32 = 15
    private static let lineStateSE0: UInt32 = 0, lineStateJ: UInt32 = 1

    /// True on silicon with the erratum (chip revision 1: B0, B1).
    static var needed: Bool { ChipInfo.chipRevision() == 1 }

    private static func lineState() -> UInt32 {
        (read32(RP2040.usbRegs + USBReg.sieStatus) >> 2) & 0x3
    }

    /// Runs the workaround after a bus reset (bounded: never hangs on a missing line state).
    static func afterBusReset() {
        guard needed else { return }
        _ = waitUntil { lineState() != lineStateSE0 }
        let ctrl = RP2040.ioBank0 + 4 + 8 * dpPin
        let pad = RP2040.padsBank0 + 4 + 4 * dpPin
        let savedCtrl = read32(ctrl), savedPad = read32(pad)
        writeMasked(pad, (1 << 3) | (1 << 2), (1 << 3) | (1 << 2))     // bus keep: PUE and PDE
        writeMasked(ctrl, 2 << 12, 0x3 << 12)                          // OEOVER: output disabled
        writeMasked(ctrl, 8, 0x1F)                                     // FUNCSEL 8: USB muxing
        writeMasked(ctrl, 3 << 16, 0x3 << 16)                          // INOVER: DP reads high (J)
        let regs = RP2040.usbRegs
        setBits(regs + 0x7C, 1 << 1)                                   // USBPHY_DIRECT.DP_PULLUP_EN
        setBits(regs + 0x80, 1 << 2)                                   // ...its override enable
        write32(regs + USBReg.muxing, (1 << 2) | (1 << 3))             // TO_DIGITAL_PAD, SOFTCON
        _ = waitUntil { lineState() == lineStateJ }
        _ = waitUntil { read32(regs + USBReg.sieStatus) & (1 << 16) != 0 }   // CONNECTED
        let until = Timer.now() + 1000
        _ = waitUntil(limit: 1_000_000) { Timer.now() >= until }
        write32(regs + USBReg.muxing, (1 << 0) | (1 << 3))             // TO_PHY, SOFTCON
        clearBits(regs + 0x80, 1 << 2)
        write32(ctrl, savedCtrl)
        write32(pad, savedPad)
    }
}
