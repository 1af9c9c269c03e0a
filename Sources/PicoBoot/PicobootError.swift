/// Where in a PICOBOOT exchange something went wrong.
public enum ExchangePhase: String, Hashable, Sendable {
    /// Sending the 32-byte command block.
    case command
    /// The data phase.
    case data
    /// The acknowledgement after the data phase.
    case acknowledgement
    /// Reading the command status after a stall.
    case status
    /// Resetting the interface after a failure.
    case reset
}

/// A PICOBOOT command that failed, with the evidence: command, address, token, status, USB error.
public struct PicobootError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Hashable, Sendable {
        /// The device stalled and reported this status for the command.
        case rejected(PicobootStatus)
        /// A USB transfer failed (timeout, disconnect, access) in `phase`.
        case transport(USBTransportError)
        /// The device's status names a different token than the command's.
        case tokenMismatch(received: UInt32)
        /// The data phase moved a different number of bytes than the command asked for.
        case shortTransfer(expected: Int, received: Int)
    }

    /// Why the command failed.
    public var reason: Reason
    /// The command's id.
    public var command: PicobootCommandID
    /// The command as text (`WRITE 0x10000000+4096`).
    public var commandText: String
    /// The address the command was about, if any.
    public var address: UInt32?
    /// The token the host gave the command.
    public var token: UInt32
    /// The exchange phase where it failed.
    public var phase: ExchangePhase
    /// The status the device reported, when it could be read.
    public var status: CommandStatus?

    /// An error with this evidence.
    public init(reason: Reason, command: PicobootCommandID, commandText: String, address: UInt32?,
                token: UInt32, phase: ExchangePhase, status: CommandStatus? = nil) {
        self.reason = reason
        self.command = command
        self.commandText = commandText
        self.address = address
        self.token = token
        self.phase = phase
        self.status = status
    }

    /// The USB error behind the failure, if it was one.
    public var transportError: USBTransportError? {
        if case .transport(let error) = reason { return error }
        return nil
    }

    /// True when the board went away (unplugged or rebooted).
    public var isDisconnect: Bool { transportError == .disconnected }

    /// What happened, one sentence with the evidence.
    public var description: String {
        let subject = "\(commandText) (token \(token))"
        switch reason {
        case .rejected(let code):
            return "the board refused \(subject): \(code.name), \(code.meaning)"
        case .transport(let error):
            return "\(subject) failed in the \(phase.rawValue) phase: \(Self.describe(error))"
                + (status.map { "; device status: \($0)" } ?? "")
        case .tokenMismatch(let received):
            return "\(subject): the board's status is about token \(received), not \(token); another program may be talking to it"
        case .shortTransfer(let expected, let received):
            return "\(subject): the data phase moved \(received) bytes, not the \(expected) asked for"
        }
    }

    /// What the user can do about it, when there is something.
    public var fix: String? {
        switch reason {
        case .rejected(let code):
            switch code {
            case .unknownCommand: return "this chip's bootrom lacks the command; use the chip's own variant (RP2350: REBOOT2)"
            case .badAlignment: return "align flash erases to 4096 bytes and flash writes to 256 bytes"
            case .invalidAddress: return "check the address range against the chip's memory map and flash size"
            case .notPermitted: return "the board's security settings forbid this; check its OTP configuration"
            default: return nil
            }
        case .transport(let error):
            switch error {
            case .timeout: return "the board stopped answering; unplug it, hold BOOTSEL and plug it back in"
            case .disconnected: return "the board went away; reconnect it and retry"
            case .accessDenied: return "install the udev rule (udev/60-picoctl.rules) or run `picoctl doctor`"
            case .busy: return "another program (picotool, a second picoctl) holds the board; close it"
            case .stall: return "the board refused the command; retry, and if it persists re-enter BOOTSEL"
            default: return nil
            }
        case .tokenMismatch:
            return "close other programs talking to the board and retry"
        case .shortTransfer:
            return "retry; if it persists use another USB cable or port"
        }
    }

    /// Words for a USB error.
    static func describe(_ error: USBTransportError) -> String {
        switch error {
        case .stall: "the endpoint stalled"
        case .timeout: "no answer before the timeout"
        case .disconnected: "the board disconnected"
        case .accessDenied: "access to the USB device was denied"
        case .busy: "the interface is held by another program or driver"
        case .overflow: "the board sent more data than asked for"
        case .other(let name, let code): "USB error \(name) (\(code))"
        }
    }
}
