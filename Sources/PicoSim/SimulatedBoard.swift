#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PicoBoot
import UF2

/// A Pico board in a deterministic model: its bootrom's PICOBOOT interface, flash, RAM, reboots and
/// the time a real board would take, with faults on demand.
///
/// It implements `PicobootTransport` exactly as the USB device behaves: a rejected command stalls
/// both endpoints until the host clears the halts or resets the interface; the status is read with
/// GET_COMMAND_STATUS. Time is modelled, not slept, unless `pacing` asks for scaled sleeps.
public final class SimulatedBoard: PicobootTransport {
    /// The board's chip.
    public let chip: Chip
    /// The flash chip's size in bytes (reads past it alias, as on RP2040).
    public let flashSize: UInt32
    /// The timing model.
    public var timing: BoardTiming
    /// Real-time pacing: nil models time only; a factor `f` sleeps modelled time divided by `f`.
    public var pacing: Double?
    /// The interface number of PICOBOOT (1 with mass storage enabled).
    public let interfaceNumber: UInt8
    /// The board's 64-bit unique id (flash unique id on RP2040, chip id on RP2350).
    public let uniqueID: UInt64
    /// Acknowledge FLASH_ERASE and VECTORIZE_FLASH even when they fail, without a stall and with
    /// status OK, as the RP2040 bootrom does (its no-data acknowledgement ignores the task's result).
    /// Off by default, so failures show; turn it on to test that a host checks before and verifies after.
    public var silentTaskFailures = false
    /// The flash's JEDEC id (command 0x9F), as a W25Q-class part of `flashSize` answers it:
    /// Winbond (0xEF), type 0x40, capacity log2 of the size. Set it to model another part.
    public var jedecID: [UInt8]
    /// The RP2350 bootrom's flash device word (GET_INFO SYS): by default as OTP programmed for
    /// `flashSize`; `FlashDeviceInfo.bootromDefault` models a board whose OTP leaves it unset.
    public var flashDeviceInfo: FlashDeviceInfo
    /// Runs when the host sends EXEC (RP2040): gets the board and the address, returns a status and the time taken.
    /// Without one, EXEC returns at once, as a routine that only returns would (see `SimulatedHelper`).
    public var execHandler: ((SimulatedBoard, UInt32) -> (PicobootStatus, Duration))?

    /// Flash contents (`flashSize` bytes).
    public internal(set) var flash: [UInt8]
    /// Main SRAM contents.
    public internal(set) var sram: [UInt8]
    /// XIP SRAM contents.
    public internal(set) var xipSRAM: [UInt8]
    /// What the board is doing.
    public internal(set) var mode: BoardMode = .bootsel
    /// What happened, in order.
    public internal(set) var events: [BoardEvent] = []
    /// Work counters.
    public internal(set) var statistics = BoardStatistics()
    /// Time a real board would have spent so far.
    public internal(set) var modelledTime: Duration = .zero
    /// The exclusive-access level the host holds.
    public internal(set) var exclusiveAccess: ExclusiveAccess.Mode = .shared
    /// Whether XIP has been exited (flash in command mode).
    public internal(set) var xipExited = false

    /// The partition table the bootrom has loaded (RP2350); nil: none, flash is one unpartitioned space.
    public var partitionTable: PartitionTable?
    /// Permissions and families of unpartitioned space; by default what the RP2350 bootrom uses
    /// without a table: everyone reads and writes, absolute, rp2350-arm-s and rp2350-riscv accepted.
    public var unpartitionedSpace = SimulatedBoard.defaultUnpartitionedSpace
    /// OTP rows (RP2350), raw 24-bit values by row; rows not set read as 0.
    public var otp: [UInt16: UInt32] = [:]
    /// Software lock level by OTP page (64 rows a page): bit 1 set makes the page unreadable from BOOTSEL.
    public var otpPageLocks: [Int: UInt8] = [:]
    /// The CPU the bootrom runs on (RP2350): false Arm, true RISC-V.
    public var runsRiscV = false
    /// Word 0 of the RP2350 boot info (`boot_info_t`): by default a BOOTSEL boot (type 2) with no
    /// partition booted and no diagnostic partition (both -1).
    public var bootInfoWord: UInt32 = 0x00ff_02ff

    var faults: [SimulatedFault] = []
    var status = CommandStatus(token: 0, status: .ok, commandID: 0, inProgress: false)
    var state: DeviceState = .idle
    var stalled = false
    var commandNumber = 0
    var pendingReboot: BoardMode?
    /// Modelled time the current acknowledgement still waits for (an erase in progress).
    var pendingWork: Duration = .zero

    /// The device side of the exchange.
    enum DeviceState {
        case idle
        case receiving(CommandPacket, received: [UInt8])
        case sending([UInt8])
        case acknowledgingToHost
        case awaitingHostAcknowledgement
        case hung
    }

    /// A board of `chip` with `flashSize` bytes of blank (0xFF) flash, in BOOTSEL.
    public init(chip: Chip, flashSize: UInt32 = 2 << 20, timing: BoardTiming = .typical, pacing: Double? = nil,
                interfaceNumber: UInt8 = 1, uniqueID: UInt64 = 0xE660_5838_1234_5678) {
        precondition(flashSize.nonzeroBitCount == 1 && UInt64(flashSize) <= chip.flash.count, "flash size must be a power of two inside the window")
        self.chip = chip
        self.flashSize = flashSize
        self.timing = timing
        self.pacing = pacing
        self.interfaceNumber = interfaceNumber
        self.uniqueID = uniqueID
        jedecID = [0xEF, 0x40, UInt8(flashSize.trailingZeroBitCount)]
        flashDeviceInfo = FlashDeviceInfo(cs0Size: flashSize)
        flash = [UInt8](repeating: 0xFF, count: Int(flashSize))
        sram = [UInt8](repeating: 0, count: Int(chip.sram.count))
        xipSRAM = [UInt8](repeating: 0, count: Int(chip.xipSRAM.count))
    }

    /// Arms a fault.
    public func inject(_ fault: SimulatedFault) { faults.append(fault) }

    /// Commands received so far (the next one is `commandsReceived + 1`).
    public var commandsReceived: Int { commandNumber }

    /// The USB product id the board shows in its current mode (nil when off the bus).
    public var productID: UInt16? {
        switch mode {
        case .bootsel: chip.bootselProductID
        case .application, .ramImage: chip.appProductID
        case .rebooting, .unplugged: nil
        }
    }

    /// The USB serial string in the current mode: the unique id for apps and RP2350 BOOTSEL, a
    /// non-unique ROM-derived string for RP2040 BOOTSEL.
    public var usbSerial: String? {
        let unique = String(uniqueID, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 16 - unique.count)) + unique
        switch mode {
        case .bootsel: return chip.hasBoot2 ? "E0C912D24340" : padded
        case .application: return padded
        case .ramImage: return "EEEEEEEEEEEEEEEE"
        case .rebooting, .unplugged: return nil
        }
    }

    /// Replaces flash bytes directly (test set-up, as if programmed earlier).
    public func preload(flashAt address: UInt32, _ bytes: [UInt8]) {
        let offset = Int((address &- chip.flash.start) % flashSize)
        flash.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }

    /// Finishes a pending reboot: the board comes back on the bus in the mode it rebooted into.
    public func completeReboot() {
        guard case .rebooting = mode, let target = pendingReboot else { return }
        pendingReboot = nil
        mode = target
        resetDeviceState()
        exclusiveAccess = .shared
        xipExited = false
        events.append(.attached(target))
    }

    /// The running app's reset interface (or a 1200-baud touch): reboot into BOOTSEL.
    public func resetToBootsel() {
        switch mode {
        case .application, .ramImage:
            mode = .rebooting
            pendingReboot = .bootsel
            events.append(.rebooted(target: .bootsel))
            completeReboot()
        default: break
        }
    }

    /// The running app's reset interface asking for a reboot into the program in flash.
    public func resetToFlash() {
        switch mode {
        case .application, .ramImage:
            let target = bootTarget()
            mode = .rebooting
            pendingReboot = target
            events.append(.rebooted(target: target))
            completeReboot()
        default: break
        }
    }

    /// Unplugs the board: every call fails with `.disconnected`.
    public func unplug() { mode = .unplugged }

    /// Advances modelled time, sleeping when pacing asks for it.
    func spend(_ duration: Duration) {
        guard duration > .zero else { return }
        modelledTime += duration
        if let pacing, pacing > 0 {
            let nanos = duration.secondsValue / pacing * 1e9
            var request = timespec(tv_sec: Int(nanos / 1e9), tv_nsec: Int(nanos.truncatingRemainder(dividingBy: 1e9)))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 { request = remaining }
        }
    }

    func resetDeviceState() {
        state = .idle
        stalled = false
        pendingWork = .zero
    }

    /// Fails unless the board is on the bus in BOOTSEL.
    func requireAttached() throws(USBTransportError) {
        guard mode == .bootsel else { throw .disconnected }
    }

    // MARK: PicobootTransport

    /// Bulk OUT: a command block, OUT data, or the host's acknowledgement of an IN data phase.
    public func bulkOut(_ data: [UInt8], timeout: Duration) throws(USBTransportError) {
        try requireAttached()
        if stalled { throw .stall }
        switch state {
        case .idle:
            try receiveCommand(data)
        case .receiving(let packet, var received):
            received.append(contentsOf: data)
            statistics.bytesFromHost += UInt64(data.count)
            if received.count > Int(packet.transferLength) { throw .other(name: "babble", code: -1) }
            if received.count < Int(packet.transferLength) {
                state = .receiving(packet, received: received)
            } else {
                finishWrite(packet, received)
            }
        case .awaitingHostAcknowledgement:
            guard data.count <= 1 else { throw .other(name: "unexpected data as acknowledgement", code: -1) }
            completeCommand()
        case .sending, .acknowledgingToHost, .hung:
            // The device does not accept OUT data now: it NAKs until the host gives up.
            spend(timeout)
            throw .timeout
        }
    }

    /// Bulk IN: READ data, or the device's zero-length acknowledgement.
    public func bulkIn(length: Int, timeout: Duration) throws(USBTransportError) -> [UInt8] {
        try requireAttached()
        if stalled { throw .stall }
        switch state {
        case .sending(var data):
            let chunk = Array(data.prefix(max(length, 0)))
            data.removeFirst(chunk.count)
            statistics.bytesToHost += UInt64(chunk.count)
            state = data.isEmpty ? .awaitingHostAcknowledgement : .sending(data)
            return chunk
        case .acknowledgingToHost:
            if pendingWork > timeout {
                pendingWork -= timeout
                spend(timeout)
                throw .timeout
            }
            spend(pendingWork)
            pendingWork = .zero
            completeCommand()
            return []
        case .idle, .receiving, .awaitingHostAcknowledgement, .hung:
            spend(timeout)
            throw .timeout
        }
    }

    /// GET_COMMAND_STATUS (0x42) answers the status; other requests stall.
    public func controlIn(request: UInt8, value: UInt16, length: Int, timeout: Duration) throws(USBTransportError) -> [UInt8] {
        try requireAttached()
        guard request == PicobootConnection.getCommandStatusRequest else { throw .stall }
        spend(timing.commandOverhead / 2)
        return Array(status.bytes.prefix(length))
    }

    /// INTERFACE_RESET (0x41): clears halts, aborts the exchange, clears the status, drops exclusive access.
    public func controlOut(request: UInt8, value: UInt16, timeout: Duration) throws(USBTransportError) {
        try requireAttached()
        guard request == PicobootConnection.interfaceResetRequest else { throw .stall }
        spend(timing.commandOverhead / 2)
        resetDeviceState()
        status = CommandStatus(token: 0, status: .ok, commandID: 0, inProgress: false)
        exclusiveAccess = .shared
        events.append(.interfaceReset)
    }

    /// CLEAR_FEATURE(ENDPOINT_HALT) on both bulk endpoints.
    public func clearHalts() throws(USBTransportError) {
        try requireAttached()
        stalled = false
        events.append(.haltsCleared)
    }
}
