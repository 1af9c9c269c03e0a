// CDC-ACM on interfaces 0 and 1: line coding and control lines on EP0, data on EP 0x02 OUT /
// 0x82 IN. Like the pico-sdk's stdio_usb, output is queued only while the host holds DTR, and a
// line coding of 1200 baud ("1200-baud touch") reboots the board into BOOTSEL.

/// The CDC-ACM function.
enum CDC {
    nonisolated(unsafe) static var inBusy = false
    nonisolated(unsafe) static var inPID: UInt32 = 0
    nonisolated(unsafe) static var outPID: UInt32 = 0
    nonisolated(unsafe) static var outArmed = false
    /// Bytes of the last OUT packet not yet handed to the main loop.
    nonisolated(unsafe) static var received = 0
    nonisolated(unsafe) static var receivedTaken = 0
    /// Earliest time to re-arm OUT after an empty packet (an emulated host may answer an armed
    /// buffer with nothing at once; a real one NAKs until it has data).
    nonisolated(unsafe) static var outRearmAt: UInt64 = 0

    /// True while there is something to move on the data endpoints.
    static var hasWork: Bool {
        (CDCRing.count > 0 && !inBusy && USBDevice.configured) || receivedTaken < received
            || (USBDevice.configured && !outArmed && Timer.now() >= outRearmAt)
    }

    /// SET_CONFIGURATION: enables the endpoints and arms OUT.
    static func configure() {
        let dpram = RP2040.usbDPRAM
        let enable: UInt32 = 1 << 31, perBuffer: UInt32 = 1 << 29
        write32(dpram + 0x08, enable | perBuffer | (3 << 26) | USBReg.ep1InBuffer)   // EP1 IN interrupt
        write32(dpram + 0x10, enable | perBuffer | (2 << 26) | USBReg.ep2InBuffer)   // EP2 IN bulk
        write32(dpram + 0x14, enable | perBuffer | (2 << 26) | USBReg.ep2OutBuffer)  // EP2 OUT bulk
        inBusy = false
        inPID = 0
        outPID = 0
        received = 0
        receivedTaken = 0
        armOut()
    }

    /// Bus reset: the host is gone.
    static func disconnected() {
        CDCRing.accepting = false
        CDCRing.clear()
        inBusy = false
        outArmed = false
        received = 0
        receivedTaken = 0
    }

    /// CLEAR_FEATURE(ENDPOINT_HALT) on `endpoint`: its data toggle restarts at DATA0.
    static func clearHalt(_ endpoint: UInt8) {
        if endpoint == 0x82 { inPID = 0 }
        if endpoint == 0x02 { outPID = 0 }
    }

    private static func armOut() {
        let control = UInt32(64) | (outPID != 0 ? USBReg.data1 : 0)
        outArmed = true
        armBuffer(0x94, control)
    }

    /// A packet arrived on EP 0x02.
    static func outDone() {
        outArmed = false
        outPID ^= 1
        received = Int(read32(RP2040.usbDPRAM + 0x94) & 0x3FF)
        receivedTaken = 0
        if received == 0 { outRearmAt = Timer.now() + 1000 }
    }

    /// The next received byte; re-arms OUT once the packet is consumed.
    static func nextByte() -> UInt8? {
        if receivedTaken < received {
            let byte = dpramByte(USBReg.ep2OutBuffer, receivedTaken)
            receivedTaken += 1
            return byte
        }
        if USBDevice.configured && !outArmed && Timer.now() >= outRearmAt {
            received = 0
            receivedTaken = 0
            armOut()
        }
        return nil
    }

    /// The IN packet went to the host.
    static func inDone() {
        inBusy = false
    }

    /// Moves up to 64 queued bytes to EP 0x82.
    static func flush() {
        guard USBDevice.configured, !inBusy, CDCRing.count > 0 else { return }
        var count: UInt32 = 0
        var word: UInt32 = 0
        while count < 64, let byte = CDCRing.pop() {
            word |= UInt32(byte) << (8 * (count & 3))
            count += 1
            if count & 3 == 0 {
                write32(RP2040.usbDPRAM + USBReg.ep2InBuffer + count - 4, word)
                word = 0
            }
        }
        if count & 3 != 0 { write32(RP2040.usbDPRAM + USBReg.ep2InBuffer + (count & ~3), word) }
        let control = count | USBReg.full | (inPID != 0 ? USBReg.data1 : 0)
        inPID ^= 1
        inBusy = true
        armBuffer(0x90, control)
    }

    /// Class requests to interface 0 (or 1).
    static func handleClassRequest(_ setup: SetupPacket) {
        switch setup.request {
        case 0x20:   // SET_LINE_CODING: 7 bytes follow on EP0 OUT
            USBDevice.ep0OutPurpose = 1
            USBDevice.armEP0Out(length: 7)
        case 0x21:   // GET_LINE_CODING
            USBDevice.sendControl(Scratch.lineCoding, count: 7, requested: setup.length)
        case 0x22:   // SET_CONTROL_LINE_STATE: bit 0 DTR, bit 1 RTS
            let dtr = setup.value & 1 != 0
            if dtr != CDCRing.accepting { CDCRing.clear() }
            CDCRing.accepting = dtr
            USBDevice.acknowledge()
        case 0x23:   // SEND_BREAK
            USBDevice.acknowledge()
        default:
            USBDevice.stall()
        }
    }

    /// The data stage of SET_LINE_CODING arrived in the EP0 buffer.
    static func lineCodingReceived() {
        for i in 0..<7 { Scratch.lineCoding[i] = dpramByte(USBReg.ep0Buffer, i) }
        let rate = UInt32(Scratch.lineCoding[0]) | UInt32(Scratch.lineCoding[1]) << 8
            | UInt32(Scratch.lineCoding[2]) << 16 | UInt32(Scratch.lineCoding[3]) << 24
        if rate == 1200 { Reboot.schedule(.bootsel(disableInterfaceMask: 0)) }
    }
}

/// The pico-sdk reset interface (vendor class FF/00/01, interface 2).
enum ResetInterface {
    /// RESET_TO_BOOTSEL (wValue low 7 bits: interfaces to disable) or RESET_TO_FLASH.
    static func handle(_ setup: SetupPacket) {
        switch setup.request {
        case 0x01:
            Reboot.schedule(.bootsel(disableInterfaceMask: UInt32(setup.value & 0x7F)))
            USBDevice.acknowledge()
        case 0x02:
            Reboot.schedule(.flash)
            USBDevice.acknowledge()
        default:
            USBDevice.stall()
        }
    }
}

/// A reboot asked for over USB, carried out shortly after the request's status stage so that
/// the host sees the request succeed.
enum Reboot {
    /// Where to reboot to.
    enum Target {
        case bootsel(disableInterfaceMask: UInt32)
        case flash
    }

    nonisolated(unsafe) static var target: Target? = nil
    nonisolated(unsafe) static var deadline: UInt64 = 0

    /// Plans a reboot to `target` 100 ms from now.
    static func schedule(_ target: Target) {
        self.target = target
        deadline = Timer.now() + 100_000
    }

    /// Reboots if the planned time has come.
    static func runIfDue(now: UInt64) {
        guard let target, now >= deadline else { return }
        switch target {
        case .bootsel(let mask):
            companionResetUSBBoot(0, mask)
        case .flash:
            write32(RP2040.watchdog + 0x0C + 4 * 4, 0)     // SCRATCH4: no reboot-to-BOOTSEL magic
            setBits(0x4001_0008, 0x1_FFFC)                 // PSM.WDSEL: all but the oscillators
            write32(RP2040.watchdog + 0x00, 1 << 31)       // CTRL.TRIGGER
            while true {}
        }
    }
}
