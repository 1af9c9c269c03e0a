/// How long each phase of a PICOBOOT exchange may take before the host gives up.
public struct PicobootTimeouts: Hashable, Sendable {
    /// Sending a command block, and the acknowledgement of quick commands.
    public var command: Duration = .seconds(1)
    /// The base allowance of a data phase and of the acknowledgement after one.
    public var dataBase: Duration = .seconds(3)
    /// Added to a data phase per KiB (transfer plus page programming, with margin).
    public var dataPerKiB: Duration = .milliseconds(10)
    /// The base allowance of an erase (or EXEC) acknowledgement.
    public var eraseBase: Duration = .seconds(10)
    /// Added to an erase per 4 KiB sector (the worst-case sector erase time).
    public var erasePerSector: Duration = .milliseconds(400)
    /// Added to a RAM helper's erase per 64 KiB block (the datasheet maximum of a W25Q16JV-class
    /// block erase, command 0xD8).
    public var erasePerBlock: Duration = .seconds(2)
    /// A control request (status, interface reset).
    public var control: Duration = .seconds(1)

    /// The defaults: 1 s commands, 3 s + 10 ms/KiB data, 10 s + 400 ms/sector erases, 2 s/block helper erases.
    public init() {}

    /// The worst case of erasing `blocks` 64 KiB blocks and `sectors` 4 KiB sectors (no base allowance).
    public func eraseWork(blocks: Int, sectors: Int) -> Duration {
        erasePerBlock * blocks + erasePerSector * sectors
    }

    /// The allowance for the data phase of `length` bytes.
    public func data(length: UInt32) -> Duration {
        dataBase + dataPerKiB * Int((length + 1023) / 1024)
    }

    /// The allowance for the acknowledgement of `command`.
    public func acknowledgement(of command: some PicobootCommand) -> Duration {
        switch type(of: command).id {
        case .flashErase:
            let sectors = Int((command.arguments.readUInt32(at: 4) + 4095) / 4096)
            return eraseBase + erasePerSector * sectors
        case .exec, .exitXIP, .enterCommandXIP:
            return eraseBase
        default:
            return command.dataPhase == .none ? self.command : dataBase
        }
    }
}

/// Counters of what went over the wire.
public struct WireStatistics: Hashable, Sendable {
    /// Commands started.
    public var commands = 0
    /// Commands that failed.
    public var failures = 0
    /// Data-phase bytes sent to the device.
    public var bytesToDevice: UInt64 = 0
    /// Data-phase bytes received from the device.
    public var bytesToHost: UInt64 = 0
    /// Command blocks, acknowledgements and control requests, in bytes.
    public var overheadBytes: UInt64 = 0
    /// Commands by id.
    public var commandsByID: [UInt8: Int] = [:]

    /// Empty counters.
    public init() {}

    /// All bytes over USB, data and overhead.
    public var totalBytes: UInt64 { bytesToDevice + bytesToHost + overheadBytes }
}

/// Drives PICOBOOT commands over any `PicobootTransport`: command, data phase, acknowledgement,
/// and on a stall or timeout the status read, interface reset and halt clearing.
///
/// ```swift
/// let connection = PicobootConnection(transport: transport)
/// try connection.reset()
/// try connection.execute(ExclusiveAccess(.exclusive))
/// let bytes = try connection.read(address: 0x1000_0000, count: 4096)
/// ```
public final class PicobootConnection {
    /// The transport the commands go through.
    public let transport: any PicobootTransport
    /// The per-phase timeouts.
    public var timeouts: PicobootTimeouts
    /// What went over the wire so far.
    public private(set) var statistics = WireStatistics()
    /// The packet sent on bulk OUT to acknowledge an IN data phase: empty by default; picotool sends one byte.
    public var inAcknowledgement: [UInt8] = []
    /// The last command status read after a failure (evidence for reports).
    public private(set) var lastFailureStatus: CommandStatus?
    private var session: PicobootSession

    /// GET_COMMAND_STATUS, the vendor request that reads the 16-byte status.
    public static let getCommandStatusRequest: UInt8 = 0x42
    /// INTERFACE_RESET, the vendor request that clears the interface.
    public static let interfaceResetRequest: UInt8 = 0x41

    /// A connection over `transport`; `checksTokens` reads the status after every command to match tokens.
    public init(transport: any PicobootTransport, timeouts: PicobootTimeouts = PicobootTimeouts(),
                firstToken: UInt32 = 1, checksTokens: Bool = false) {
        self.transport = transport
        self.timeouts = timeouts
        self.session = PicobootSession(firstToken: firstToken, checksTokens: checksTokens)
    }

    /// The token the next command will carry.
    public var nextToken: UInt32 { session.nextToken }

    /// Runs `command`; OUT commands send `data` (its length must equal the transfer length), IN commands return what arrived.
    /// `work` adds to the acknowledgement's allowance the device time the command is known to carry
    /// (an EXEC of a routine that erases).
    @discardableResult
    public func execute<C: PicobootCommand>(_ command: C, data: [UInt8] = [], work: Duration = .zero) throws(PicobootError) -> [UInt8] {
        statistics.commands += 1
        statistics.commandsByID[C.id.rawValue, default: 0] += 1
        var received: [UInt8] = []
        var action = session.start(command)
        while true {
            switch action {
            case .sendCommand(let bytes):
                do {
                    try transport.bulkOut(bytes, timeout: timeouts.command)
                    statistics.overheadBytes += UInt64(bytes.count)
                    action = session.commandSent()
                } catch { action = session.transferFailed(error) }
            case .sendData(let length):
                precondition(data.count == length, "\(command): \(data.count) bytes given for a \(length)-byte data phase")
                do {
                    try transport.bulkOut(data, timeout: timeouts.data(length: UInt32(length)))
                    statistics.bytesToDevice += UInt64(length)
                    action = session.dataTransferred(count: length)
                } catch { action = session.transferFailed(error) }
            case .receiveData(let length):
                do {
                    received = try transport.bulkIn(length: length, timeout: timeouts.data(length: UInt32(length)))
                    statistics.bytesToHost += UInt64(received.count)
                    action = session.dataTransferred(count: received.count)
                } catch { action = session.transferFailed(error) }
            case .receiveAck:
                do {
                    _ = try transport.bulkIn(length: 0, timeout: timeouts.acknowledgement(of: command) + work)
                    action = session.acknowledged()
                } catch { action = session.transferFailed(error) }
            case .sendAck:
                do {
                    try transport.bulkOut(inAcknowledgement, timeout: timeouts.command)
                    action = session.acknowledged()
                } catch { action = session.transferFailed(error) }
            case .readStatus:
                do {
                    let status = try readStatus()
                    lastFailureStatus = status
                    action = session.statusRead(status)
                } catch { action = session.statusUnavailable(error) }
            case .resetInterface:
                action = session.interfaceReset(error: resetTransport())
            case .finished:
                return received
            case .failed(let error):
                statistics.failures += 1
                throw error
            }
        }
    }

    /// Resets the interface and clears halts: on connect and before releasing the board.
    public func reset() throws(PicobootError) {
        var action = session.startReset()
        while true {
            switch action {
            case .resetInterface: action = session.interfaceReset(error: resetTransport())
            case .finished: return
            case .failed(let error): throw error
            default: preconditionFailure("unexpected action \(action) during a reset")
            }
        }
    }

    /// Reads the 16-byte command status.
    public func readStatus() throws(USBTransportError) -> CommandStatus {
        let bytes = try transport.controlIn(request: Self.getCommandStatusRequest, value: 0,
                                            length: CommandStatus.size, timeout: timeouts.control)
        statistics.overheadBytes += UInt64(bytes.count)
        guard let status = CommandStatus(bytes: bytes) else { throw .other(name: "short command status", code: Int32(bytes.count)) }
        return status
    }

    /// Clear halts then INTERFACE_RESET; returns the first error.
    private func resetTransport() -> USBTransportError? {
        do {
            // picotool's order: clear host-side halts, then reset the device's interface.
            try transport.clearHalts()
            try transport.controlOut(request: Self.interfaceResetRequest, value: 0, timeout: timeouts.control)
            return nil
        } catch {
            return error
        }
    }
}

extension PicobootConnection {
    /// Takes (or with `.shared` releases) exclusive access.
    public func exclusiveAccess(_ mode: ExclusiveAccess.Mode) throws(PicobootError) {
        try execute(ExclusiveAccess(mode))
    }

    /// Leaves XIP so flash can be erased and programmed.
    public func exitXIP() throws(PicobootError) { try execute(ExitXIP()) }

    /// Returns the flash to XIP mode.
    public func enterCommandXIP() throws(PicobootError) { try execute(EnterCommandXIP()) }

    /// Reads `count` bytes from `address` in one READ.
    public func read(address: UInt32, count: UInt32) throws(PicobootError) -> [UInt8] {
        try execute(Read(address: address, size: count))
    }

    /// Writes `bytes` at `address` in one WRITE (flash: 256-aligned, erased).
    public func write(address: UInt32, bytes: [UInt8]) throws(PicobootError) {
        try execute(Write(address: address, size: UInt32(bytes.count)), data: bytes)
    }

    /// Erases `size` bytes of flash from `address` (both multiples of 4096). An unaligned range is
    /// refused here, before it is sent: the RP2040 B1 bootrom accepts one and erases whole sectors.
    public func erase(address: UInt32, size: UInt32) throws(PicobootError) {
        guard address % 4096 == 0, size % 4096 == 0 else {
            throw PicobootError(reason: .rejected(.badAlignment), command: FlashErase.id,
                                commandText: "FLASH_ERASE 0x\(String(address, radix: 16))+\(size) (not 4096-aligned; not sent)",
                                address: address, token: nextToken, phase: .command)
        }
        try execute(FlashErase(address: address, size: size))
    }

    /// Calls the RAM function at `address` (RP2040); `work` is the worst-case time the routine
    /// spends (added to the acknowledgement's base allowance).
    public func exec(address: UInt32, work: Duration = .zero) throws(PicobootError) {
        try execute(Exec(address: address), work: work)
    }
}
