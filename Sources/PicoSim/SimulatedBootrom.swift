import PicoBoot
import UF2

/// Why a command is refused, as the bootrom decides before any data moves.
struct Rejection: Error {
    var status: PicobootStatus
}

extension SimulatedBoard {
    /// A command block arrived on bulk OUT.
    func receiveCommand(_ data: [UInt8]) throws(USBTransportError) {
        guard let packet = try? CommandPacket(bytes: data) else {
            // Not a command block: the bootrom halts both endpoints, leaving the status alone.
            stalled = true
            statistics.stalls += 1
            return
        }
        commandNumber += 1
        statistics.commands += 1
        events.append(.command(number: commandNumber, id: packet.id, token: packet.token))
        status = CommandStatus(token: packet.token, status: .ok, commandID: packet.id.rawValue, inProgress: false)
        spend(timing.commandOverhead)
        for fault in faults where fault.command == commandNumber {
            events.append(.faultFired(fault))
            switch fault {
            case .disconnect:
                mode = .unplugged
                throw .disconnected
            case .timeout:
                status.inProgress = true
                state = .hung
                return
            case .stall(_, let code):
                reject(code)
                return
            case .wrongToken:
                status.token = packet.token &+ 0x1000
            case .corruptRead:
                break
            }
        }
        do {
            try start(packet)
            // Like the bootrom: the command's task runs until its acknowledgement goes out.
            status.inProgress = true
        } catch {
            reject(error.status)
        }
    }

    /// Sets the status and stalls both endpoints.
    func reject(_ code: PicobootStatus) {
        status.status = code
        status.inProgress = false
        stalled = true
        state = .idle
        statistics.stalls += 1
        events.append(.rejected(number: commandNumber, status: code))
    }

    /// Checks and starts a command (the bootrom's command-packet handler).
    func start(_ packet: CommandPacket) throws(Rejection) {
        let id = packet.id
        guard let expected = argumentSize(of: id) else { throw Rejection(status: .unknownCommand) }
        guard packet.arguments.count == expected else { throw Rejection(status: .invalidCommandLength) }
        let address = packet.argumentWord(at: 0), size = packet.argumentWord(at: 4)
        switch id {
        case .read, .write:
            guard packet.transferLength == size else { throw Rejection(status: .invalidTransferLength) }
        case .getInfo, .otpRead:
            break
        default:
            guard packet.transferLength == 0 else { throw Rejection(status: .invalidTransferLength) }
        }
        switch id {
        case .exclusiveAccess:
            exclusiveAccess = ExclusiveAccess.Mode(rawValue: packet.argumentByte(at: 0)) ?? .exclusive
            state = .acknowledgingToHost
        case .exitXIP:
            xipExited = true
            state = .acknowledgingToHost
        case .enterCommandXIP:
            xipExited = false
            state = .acknowledgingToHost
        case .flashErase:
            try taskWithoutData { () throws(Rejection) in try erase(address: address, size: size) }
            state = .acknowledgingToHost
        case .read:
            var data = try readMemory(address: address, size: size)
            spend(timing.transfer(bytes: UInt64(size)) + timing.flashRead(bytes: UInt64(size)))
            for case .corruptRead(let n, let offset) in faults where n == commandNumber && offset < data.count {
                data[offset] ^= 0xFF
            }
            state = data.isEmpty ? .awaitingHostAcknowledgement : .sending(data)
        case .write:
            try checkWrite(address: address, size: size)
            if size == 0 { state = .acknowledgingToHost } else { state = .receiving(packet, received: []) }
        case .reboot:
            scheduleReboot(packet.argumentWord(at: 0) == 0 ? bootTarget() : .ramImage(entry: packet.argumentWord(at: 0)))
            state = .acknowledgingToHost
        case .reboot2:
            let flags = packet.argumentWord(at: 0), p0 = packet.argumentWord(at: 8)
            try chooseArchitecture(flags)
            switch flags & 0xF {
            case Reboot2.Kind.normal.rawValue, Reboot2.Kind.flashUpdate.rawValue: scheduleReboot(bootTarget())
            case Reboot2.Kind.bootsel.rawValue: scheduleReboot(.bootsel)
            case Reboot2.Kind.ramImage.rawValue:
                guard chip.sram.contains(p0) else { throw Rejection(status: .invalidArgument) }
                scheduleReboot(.ramImage(entry: p0))
            default: throw Rejection(status: .invalidArgument)
            }
            state = .acknowledgingToHost
        case .exec:
            guard chip.sram.contains(address) || chip.xipSRAM.contains(address) else { throw Rejection(status: .invalidAddress) }
            let (code, duration) = execHandler?(self, address & ~1) ?? (.ok, .microseconds(10))
            guard code == .ok else { throw Rejection(status: code) }
            pendingWork = duration
            state = .acknowledgingToHost
        case .vectorizeFlash:
            // The address is checked; the copied function table itself is not modelled.
            try taskWithoutData { () throws(Rejection) in
                guard chip.sram.contains(address) else { throw Rejection(status: .invalidAddress) }
            }
            state = .acknowledgingToHost
        case .getInfo:
            // The bootrom answers at most 256 bytes (one buffer) and refuses a longer transfer.
            guard packet.transferLength <= 256, packet.transferLength >= 4 else { throw Rejection(status: .invalidTransferLength) }
            state = .sending(try info(kind: packet.argumentByte(at: 0), mask: packet.argumentWord(at: 4),
                                      length: Int(packet.transferLength)))
        case .otpRead:
            let count = Int(packet.argumentHalfword(at: 2)), ecc = packet.argumentByte(at: 4) != 0
            guard Int(packet.transferLength) == count * (ecc ? 2 : 4) else { throw Rejection(status: .invalidTransferLength) }
            let data = try otpRead(row: packet.argumentHalfword(at: 0), count: UInt16(count), ecc: ecc)
            state = data.isEmpty ? .awaitingHostAcknowledgement : .sending(data)
        default:
            throw Rejection(status: .unknownCommand)
        }
    }

    /// Runs the checks and work of a command without a data phase. With `silentTaskFailures` (the
    /// RP2040 bootrom's behaviour: its acknowledgement callback ignores the task's result) a failure
    /// is acknowledged as if it had worked, and nothing happens.
    func taskWithoutData(_ body: () throws(Rejection) -> Void) throws(Rejection) {
        do {
            try body()
        } catch {
            guard silentTaskFailures else { throw error }
            events.append(.silentlyIgnored(number: commandNumber, status: error.status))
        }
    }

    /// The argument size of a command this chip's bootrom knows, nil for one it does not.
    func argumentSize(of id: PicobootCommandID) -> Int? {
        switch id {
        case .exclusiveAccess: ExclusiveAccess.argumentSize
        case .flashErase: FlashErase.argumentSize
        case .read: Read.argumentSize
        case .write: Write.argumentSize
        case .exitXIP: ExitXIP.argumentSize
        case .enterCommandXIP: EnterCommandXIP.argumentSize
        case .reboot: chip.hasExec ? Reboot.argumentSize : nil
        case .exec: chip.hasExec ? Exec.argumentSize : nil
        case .vectorizeFlash: chip.hasExec ? VectorizeFlash.argumentSize : nil
        case .reboot2: chip.hasExec ? nil : Reboot2.argumentSize
        case .getInfo: chip.hasExec ? nil : GetInfo.argumentSize
        case .otpRead: chip.hasExec ? nil : OTPRead.argumentSize
        default: nil
        }
    }

    /// The OUT data of a WRITE is complete: store it and acknowledge.
    func finishWrite(_ packet: CommandPacket, _ data: [UInt8]) {
        let address = packet.argumentWord(at: 0)
        spend(timing.transfer(bytes: UInt64(data.count)))
        if chip.flash.contains(address) {
            program(address: address, data)
        } else {
            storeRAM(address: address, data)
        }
        state = .acknowledgingToHost
    }

    /// The exchange finished: the status says OK and any reboot starts.
    func completeCommand() {
        state = .idle
        status.inProgress = false
        if let target = pendingReboot, mode == .bootsel {
            mode = .rebooting
            events.append(.rebooted(target: target))
        }
    }

    /// Arms a reboot that happens once the command is acknowledged.
    func scheduleReboot(_ target: BoardMode) { pendingReboot = target }

    /// What a normal boot leads to: the program in flash when it looks bootable, BOOTSEL otherwise.
    func bootTarget() -> BoardMode {
        let first = Array(flash.prefix(256))
        if chip.hasBoot2 {
            // RP2040: boot2's last word must be the CRC-32/MPEG-2 of its first 252 bytes.
            return Boot2(bytes: first)?.isValid == true ? .application : .bootsel
        }
        return first.allSatisfy { $0 == 0xFF } ? .bootsel : .application
    }
}
