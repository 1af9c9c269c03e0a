// The RP2040 USB controller in device mode: bus reset, the control endpoint (standard, CDC and
// reset-interface requests) and the endpoint buffers in DPRAM. Single-buffered endpoints only:
// one 64-byte buffer per endpoint, an interrupt per buffer.

/// Register offsets and bits of USBCTRL_REGS and the DPRAM layout the firmware uses.
enum USBReg {
    static let addrEndp: UInt32 = 0x00, mainCtrl: UInt32 = 0x40, sieCtrl: UInt32 = 0x4C
    static let sieStatus: UInt32 = 0x50, buffStatus: UInt32 = 0x58, epStallArm: UInt32 = 0x68
    static let muxing: UInt32 = 0x74, power: UInt32 = 0x78, inte: UInt32 = 0x90, ints: UInt32 = 0x98
    /// INTS bits the firmware services.
    static let intBuffStatus: UInt32 = 1 << 4, intBusReset: UInt32 = 1 << 12, intSetupReq: UInt32 = 1 << 16
    /// SIE_STATUS bits.
    static let sieSetupRec: UInt32 = 1 << 17, sieBusReset: UInt32 = 1 << 19
    /// Buffer control bits.
    static let full: UInt32 = 1 << 15, data1: UInt32 = 1 << 13, stall: UInt32 = 1 << 11
    static let available: UInt32 = 1 << 10
    /// DPRAM offsets of the data buffers.
    static let ep0Buffer: UInt32 = 0x100, ep1InBuffer: UInt32 = 0x180
    static let ep2OutBuffer: UInt32 = 0x1C0, ep2InBuffer: UInt32 = 0x200
}

/// A setup packet.
struct SetupPacket {
    var requestType: UInt8
    var request: UInt8
    var value: UInt16
    var index: UInt16
    var length: UInt16

    /// Reads the packet the controller stored at the start of DPRAM.
    static func fromDPRAM() -> SetupPacket {
        let w0 = read32(RP2040.usbDPRAM), w1 = read32(RP2040.usbDPRAM + 4)
        return SetupPacket(requestType: UInt8(truncatingIfNeeded: w0), request: UInt8(truncatingIfNeeded: w0 >> 8),
                           value: UInt16(truncatingIfNeeded: w0 >> 16), index: UInt16(truncatingIfNeeded: w1),
                           length: UInt16(truncatingIfNeeded: w1 >> 16))
    }
}

/// Copies `count` bytes from `source` into DPRAM at `offset` with word writes.
func copyToDPRAM(_ offset: UInt32, _ source: UnsafePointer<UInt8>, _ count: Int) {
    var i = 0
    while i < count {
        var word: UInt32 = 0
        for b in 0..<4 where i + b < count { word |= UInt32(source[i + b]) << UInt32(8 * b) }
        write32(RP2040.usbDPRAM + offset + UInt32(i), word)
        i += 4
    }
}

/// Reads byte `index` of the DPRAM buffer at `offset`.
func dpramByte(_ offset: UInt32, _ index: Int) -> UInt8 {
    let word = read32(RP2040.usbDPRAM + offset + UInt32(index & ~3))
    return UInt8(truncatingIfNeeded: word >> UInt32(8 * (index & 3)))
}

/// Hands a buffer to the controller: the control word first, then, after the controller's
/// clock domain has seen it (the datasheet asks for a few clk_usb cycles, ~12 clk_sys at
/// 125 MHz), the same word with AVAILABLE.
func armBuffer(_ controlOffset: UInt32, _ control: UInt32) {
    let register = RP2040.usbDPRAM + controlOffset
    write32(register, control)
    var settle = 0
    while settle < 4 { _ = read32(RP2040.sio); settle += 1 }   // SIO CPUID: a harmless read
    write32(register, control | USBReg.available)
}

/// Descriptor blob in Startup/usb_descriptors.S.
@_extern(c, "companion_usb_descriptors")
func companionUSBDescriptors() -> UnsafePointer<UInt8>

/// The USB device: CDC-ACM serial and the pico-sdk reset interface.
enum USBDevice {
    nonisolated(unsafe) static var ep0InRemaining = 0
    nonisolated(unsafe) static var ep0InSource: UnsafePointer<UInt8>? = nil
    nonisolated(unsafe) static var ep0InNeedsZLP = false
    nonisolated(unsafe) static var ep0PID: UInt32 = 0
    nonisolated(unsafe) static var pendingAddress: UInt32 = 0
    nonisolated(unsafe) static var configured = false
    /// What the control endpoint's OUT data stage carries.
    nonisolated(unsafe) static var ep0OutPurpose: UInt8 = 0   // 0 nothing, 1 line coding

    /// Resets, configures and connects the controller (pull-up on).
    static func start() {
        reset(ResetBit.usbctrl)
        unreset(ResetBit.usbctrl)
        var offset: UInt32 = 0
        while offset < 0x1000 { write32(RP2040.usbDPRAM + offset, 0); offset += 4 }
        buildSerialDescriptor()
        let regs = RP2040.usbRegs
        write32(regs + USBReg.muxing, (1 << 0) | (1 << 3))         // TO_PHY, SOFTCON
        write32(regs + USBReg.power, (1 << 2) | (1 << 3))          // VBUS detect, override
        write32(regs + USBReg.mainCtrl, 1)                         // CONTROLLER_EN
        write32(regs + USBReg.sieCtrl, 1 << 29)                    // EP0_INT_1BUF
        write32(regs + USBReg.inte, USBReg.intBuffStatus | USBReg.intBusReset | USBReg.intSetupReq)
        setBits(regs + USBReg.sieCtrl, 1 << 16)                    // PULLUP_EN: connect
    }

    /// Writes the serial number string descriptor (the unique id in hex) to `Scratch`.
    static func buildSerialDescriptor() {
        let d = Scratch.serialDescriptor
        d[0] = 2 + 32
        d[1] = 3
        for i in 0..<8 {
            let byte = Scratch.uniqueID[i]
            d[2 + 4 * i] = hexDigit(byte >> 4)
            d[3 + 4 * i] = 0
            d[4 + 4 * i] = hexDigit(byte & 0xF)
            d[5 + 4 * i] = 0
        }
    }

    /// Services every pending controller event.
    static func poll() {
        let regs = RP2040.usbRegs
        var rounds = 0
        while rounds < 16 {
            rounds += 1
            let status = read32(regs + USBReg.ints)
            if status == 0 { return }
            if status & USBReg.intBusReset != 0 { busReset() }
            if status & USBReg.intSetupReq != 0 {
                write32(regs + USBReg.sieStatus, USBReg.sieSetupRec)
                handleSetup(SetupPacket.fromDPRAM())
            }
            if status & USBReg.intBuffStatus != 0 {
                let done = read32(regs + USBReg.buffStatus)
                write32(regs + USBReg.buffStatus, done)
                if done & 1 != 0 { ep0InDone() }
                if done & 2 != 0 { ep0OutDone() }
                if done & (1 << 4) != 0 { CDC.inDone() }
                if done & (1 << 5) != 0 { CDC.outDone() }
            }
        }
    }

    /// True when the controller has nothing left for the CPU.
    static var idle: Bool {
        read32(RP2040.usbRegs + USBReg.ints) == 0 && !CDC.hasWork
    }

    /// Moves queued CDC output to the bulk IN endpoint.
    static func flush() {
        CDC.flush()
    }

    /// The next byte the host sent on CDC.
    static func receivedByte() -> UInt8? {
        CDC.nextByte()
    }

    private static func busReset() {
        write32(RP2040.usbRegs + USBReg.sieStatus, USBReg.sieBusReset)
        write32(RP2040.usbRegs + USBReg.addrEndp, 0)
        pendingAddress = 0
        configured = false
        ep0InRemaining = 0
        ep0InNeedsZLP = false
        CDC.disconnected()
        EnumerationFix.afterBusReset()
    }

    // MARK: control endpoint

    /// Starts an IN data stage of `count` bytes from `source`, cut to what the host asked for.
    static func sendControl(_ source: UnsafePointer<UInt8>, count: Int, requested: UInt16) {
        let total = count < Int(requested) ? count : Int(requested)
        ep0InSource = source
        ep0InRemaining = total
        ep0InNeedsZLP = total < Int(requested) && total % 64 == 0
        sendNextControlPacket()
    }

    /// Sends the status stage of a request without data (a zero-length IN packet).
    static func acknowledge() {
        ep0InSource = nil
        ep0InRemaining = 0
        ep0InNeedsZLP = false
        armEP0In(length: 0)
    }

    private static func sendNextControlPacket() {
        let chunk = ep0InRemaining < 64 ? ep0InRemaining : 64
        if let source = ep0InSource, chunk > 0 {
            copyToDPRAM(USBReg.ep0Buffer, source, chunk)
            ep0InSource = source + chunk
        }
        ep0InRemaining -= chunk
        armEP0In(length: UInt32(chunk))
    }

    private static func armEP0In(length: UInt32) {
        let control = length | USBReg.full | (ep0PID != 0 ? USBReg.data1 : 0)
        ep0PID ^= 1
        armBuffer(0x80, control)
    }

    /// Arms EP0 OUT for a data or status stage.
    static func armEP0Out(length: UInt32) {
        let control = length | (ep0PID != 0 ? USBReg.data1 : 0)
        armBuffer(0x84, control)
    }

    /// Refuses the current request: both EP0 directions answer STALL until the next setup.
    static func stall() {
        write32(RP2040.usbRegs + USBReg.epStallArm, 0x3)
        write32(RP2040.usbDPRAM + 0x80, USBReg.stall)
        write32(RP2040.usbDPRAM + 0x84, USBReg.stall)
    }

    private static func ep0InDone() {
        if pendingAddress != 0 {
            write32(RP2040.usbRegs + USBReg.addrEndp, pendingAddress)
            pendingAddress = 0
        }
        if ep0InRemaining > 0 {
            sendNextControlPacket()
        } else if ep0InNeedsZLP {
            ep0InNeedsZLP = false
            armEP0In(length: 0)
        } else if ep0InSource != nil {
            ep0InSource = nil
            ep0PID = 1
            armEP0Out(length: 0)     // status stage of an IN transfer: DATA1
        }
    }

    private static func ep0OutDone() {
        let length = Int(read32(RP2040.usbDPRAM + 0x84) & 0x3FF)
        if ep0OutPurpose == 1 && length >= 7 {
            ep0OutPurpose = 0
            CDC.lineCodingReceived()
            acknowledge()
        }
    }

    private static func handleSetup(_ setup: SetupPacket) {
        ep0PID = 1
        ep0OutPurpose = 0
        let kind = setup.requestType & 0x60
        if kind == 0x00 {
            handleStandard(setup)
        } else if kind == 0x20 && setup.requestType & 0x1F == 1 && setup.index & 0xFF == 2 {
            ResetInterface.handle(setup)
        } else if kind == 0x20 && setup.requestType & 0x1F == 1 && setup.index & 0xFF <= 1 {
            CDC.handleClassRequest(setup)
        } else {
            stall()
        }
    }

    private static func handleStandard(_ setup: SetupPacket) {
        let toHost = setup.requestType & 0x80 != 0
        switch setup.request {
        case 0x05:   // SET_ADDRESS, applied after the status stage
            pendingAddress = UInt32(setup.value & 0x7F)
            acknowledge()
        case 0x06 where toHost:
            sendDescriptor(setup)
        case 0x09:   // SET_CONFIGURATION
            configured = setup.value != 0
            if configured { CDC.configure() }
            acknowledge()
        case 0x08 where toHost:   // GET_CONFIGURATION
            Scratch.controlReply[0] = configured ? 1 : 0
            sendControl(Scratch.controlReply, count: 1, requested: setup.length)
        case 0x00 where toHost:   // GET_STATUS
            Scratch.controlReply[0] = 0
            Scratch.controlReply[1] = 0
            sendControl(Scratch.controlReply, count: 2, requested: setup.length)
        case 0x0A where toHost:   // GET_INTERFACE
            Scratch.controlReply[0] = 0
            sendControl(Scratch.controlReply, count: 1, requested: setup.length)
        case 0x01, 0x03, 0x0B:    // CLEAR_FEATURE, SET_FEATURE, SET_INTERFACE
            if setup.request == 0x01 && setup.requestType & 0x1F == 2 { CDC.clearHalt(UInt8(setup.index & 0xFF)) }
            acknowledge()
        default:
            stall()
        }
    }

    private static func sendDescriptor(_ setup: SetupPacket) {
        let blob = companionUSBDescriptors()
        let kind = UInt8(truncatingIfNeeded: setup.value >> 8)
        let index = Int(setup.value & 0xFF)
        switch kind {
        case 1:
            sendControl(blob, count: 18, requested: setup.length)
        case 2:
            let config = blob + 18
            sendControl(config, count: Int(config[2]) | Int(config[3]) << 8, requested: setup.length)
        case 3 where index == 3:
            sendControl(Scratch.serialDescriptor, count: Int(Scratch.serialDescriptor[0]), requested: setup.length)
        case 3 where index <= 5:
            let config = blob + 18
            var string = config + (Int(config[2]) | Int(config[3]) << 8)
            let position = index < 3 ? index : index - 1     // the blob has no string 3
            for _ in 0..<position { string += Int(string[0]) }
            sendControl(string, count: Int(string[0]), requested: setup.length)
        default:
            stall()
        }
    }
}
