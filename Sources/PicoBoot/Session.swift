/// The host side of PICOBOOT exchanges as a state machine with no I/O.
///
/// Each mutating transition takes what just happened on the wire and returns the next thing the
/// I/O layer must do. Tokens increase by one per command. A misbehaving device ends a command in
/// `.failed`; calling a transition that does not fit the current state is a programming error.
///
/// ```swift
/// var session = PicobootSession()
/// var action = session.start(Read(address: 0x1000_0000, size: 256))   // .sendCommand(32 bytes)
/// action = session.commandSent()                                      // .receiveData(length: 256)
/// action = session.dataTransferred(count: 256)                        // .sendAck
/// action = session.acknowledged()                                     // .finished
/// ```
public struct PicobootSession: Sendable {
    /// What the I/O layer must do next.
    public enum Action: Hashable, Sendable {
        /// Send these 32 bytes on bulk OUT.
        case sendCommand([UInt8])
        /// Send the command's data (its transfer length) on bulk OUT.
        case sendData(length: Int)
        /// Read exactly `length` bytes on bulk IN.
        case receiveData(length: Int)
        /// Read the zero-length acknowledgement on bulk IN.
        case receiveAck
        /// Send a zero-length acknowledgement on bulk OUT (after an IN data phase).
        case sendAck
        /// Read the command status with the GET_COMMAND_STATUS control request.
        case readStatus
        /// Clear both endpoint halts and send INTERFACE_RESET (which also drops exclusive access).
        case resetInterface
        /// The command completed.
        case finished
        /// The command failed; the interface has been reset where that was possible.
        case failed(PicobootError)
    }

    /// The command in flight.
    private struct Pending: Sendable {
        var token: UInt32
        var id: PicobootCommandID
        var text: String
        var address: UInt32?
        var dataPhase: DataPhase

        func error(_ reason: PicobootError.Reason, _ phase: ExchangePhase, _ status: CommandStatus? = nil) -> PicobootError {
            PicobootError(reason: reason, command: id, commandText: text, address: address, token: token,
                          phase: phase, status: status)
        }
    }

    private enum State: Sendable {
        case idle
        case sendingCommand(Pending)
        case transferringData(Pending)
        case awaitingAck(Pending)
        case checkingStatus(Pending)
        case readingFailureStatus(Pending, USBTransportError, ExchangePhase)
        case resetting(PicobootError?)
    }

    private var state: State = .idle
    /// The token the next command will carry.
    public private(set) var nextToken: UInt32
    /// When true, every successful command is followed by a status read that must name its token.
    public var checksTokens: Bool

    /// A session whose first command carries `firstToken`.
    public init(firstToken: UInt32 = 1, checksTokens: Bool = false) {
        nextToken = firstToken
        self.checksTokens = checksTokens
    }

    /// True when no command is in flight.
    public var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// The token of the command in flight, if any.
    public var currentToken: UInt32? {
        switch state {
        case .sendingCommand(let p), .transferringData(let p), .awaitingAck(let p), .checkingStatus(let p),
             .readingFailureStatus(let p, _, _):
            p.token
        case .idle, .resetting:
            nil
        }
    }

    /// Starts `command`: returns the command block to send.
    public mutating func start(_ command: some PicobootCommand) -> Action {
        guard case .idle = state else { preconditionFailure("PICOBOOT command started while another is in flight") }
        let token = nextToken
        nextToken &+= 1
        let pending = Pending(token: token, id: type(of: command).id, text: command.description,
                              address: command.address, dataPhase: command.dataPhase)
        state = .sendingCommand(pending)
        return .sendCommand(command.packet(token: token).bytes)
    }

    /// Starts a recovery with no command: reset the interface (on connect, and before release).
    public mutating func startReset() -> Action {
        guard case .idle = state else { preconditionFailure("interface reset requested while a command is in flight") }
        state = .resetting(nil)
        return .resetInterface
    }

    /// The command block went out.
    public mutating func commandSent() -> Action {
        guard case .sendingCommand(let p) = state else { preconditionFailure("commandSent in the wrong state") }
        switch p.dataPhase {
        case .none:
            state = .awaitingAck(p)
            return .receiveAck
        case .toDevice(let length):
            state = .transferringData(p)
            return .sendData(length: Int(length))
        case .toHost(let length):
            state = .transferringData(p)
            return .receiveData(length: Int(length))
        }
    }

    /// The data phase moved `count` bytes.
    public mutating func dataTransferred(count: Int) -> Action {
        guard case .transferringData(let p) = state else { preconditionFailure("dataTransferred in the wrong state") }
        let expected = Int(p.dataPhase.length)
        guard count == expected else {
            state = .resetting(p.error(.shortTransfer(expected: expected, received: count), .data))
            return .resetInterface
        }
        state = .awaitingAck(p)
        if case .toHost = p.dataPhase { return .sendAck }
        return .receiveAck
    }

    /// The acknowledgement went through.
    public mutating func acknowledged() -> Action {
        guard case .awaitingAck(let p) = state else { preconditionFailure("acknowledged in the wrong state") }
        if checksTokens {
            state = .checkingStatus(p)
            return .readStatus
        }
        state = .idle
        return .finished
    }

    /// A transfer of the command, data or acknowledgement failed.
    public mutating func transferFailed(_ error: USBTransportError) -> Action {
        let phase: ExchangePhase
        let p: Pending
        switch state {
        case .sendingCommand(let q): (p, phase) = (q, .command)
        case .transferringData(let q): (p, phase) = (q, .data)
        case .awaitingAck(let q): (p, phase) = (q, .acknowledgement)
        case .idle, .checkingStatus, .readingFailureStatus, .resetting:
            preconditionFailure("transferFailed in the wrong state")
        }
        switch error {
        case .disconnected, .accessDenied:
            // Nothing left to ask: the board is gone or not ours.
            state = .idle
            return .failed(p.error(.transport(error), phase))
        default:
            state = .readingFailureStatus(p, error, phase)
            return .readStatus
        }
    }

    /// The command status arrived.
    public mutating func statusRead(_ status: CommandStatus) -> Action {
        switch state {
        case .checkingStatus(let p):
            if status.token != p.token {
                state = .resetting(p.error(.tokenMismatch(received: status.token), .status, status))
                return .resetInterface
            }
            if status.status != .ok {
                state = .resetting(p.error(.rejected(status.status), .status, status))
                return .resetInterface
            }
            state = .idle
            return .finished
        case .readingFailureStatus(let p, let error, let phase):
            let reason: PicobootError.Reason
            if status.token != p.token && status.status != .ok {
                reason = .tokenMismatch(received: status.token)
            } else if status.status != .ok {
                reason = .rejected(status.status)
            } else {
                reason = .transport(error)
            }
            state = .resetting(p.error(reason, phase, status))
            return .resetInterface
        case .idle, .sendingCommand, .transferringData, .awaitingAck, .resetting:
            preconditionFailure("statusRead in the wrong state")
        }
    }

    /// The status could not be read.
    public mutating func statusUnavailable(_ error: USBTransportError) -> Action {
        switch state {
        case .checkingStatus(let p):
            state = error == .disconnected ? .idle : .resetting(p.error(.transport(error), .status))
            return error == .disconnected ? .failed(p.error(.transport(error), .status)) : .resetInterface
        case .readingFailureStatus(let p, let original, let phase):
            let failure = p.error(.transport(original), phase)
            if error == .disconnected {
                state = .idle
                return .failed(p.error(.transport(.disconnected), .status))
            }
            state = .resetting(failure)
            return .resetInterface
        case .idle, .sendingCommand, .transferringData, .awaitingAck, .resetting:
            preconditionFailure("statusUnavailable in the wrong state")
        }
    }

    /// The interface reset (and halt clearing) finished; `error` when it failed.
    public mutating func interfaceReset(error: USBTransportError? = nil) -> Action {
        guard case .resetting(let failure) = state else { preconditionFailure("interfaceReset in the wrong state") }
        state = .idle
        if let failure { return .failed(failure) }
        if let error {
            return .failed(PicobootError(reason: .transport(error), command: PicobootCommandID(rawValue: 0),
                                         commandText: "INTERFACE_RESET", address: nil, token: 0, phase: .reset))
        }
        return .finished
    }
}
