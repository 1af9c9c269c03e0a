/// Telnet (RFC 854/855) command bytes that follow IAC.
public enum TelnetCommand {
    /// Interpret As Command: starts every command; doubled in data.
    public static let iac: UInt8 = 255
    /// The sender refuses to perform (or stops performing) an option.
    public static let dont: UInt8 = 254
    /// The sender asks the receiver to perform an option.
    public static let `do`: UInt8 = 253
    /// The sender refuses to perform (or stops performing) an option.
    public static let wont: UInt8 = 252
    /// The sender offers to perform an option.
    public static let will: UInt8 = 251
    /// Start of a subnegotiation.
    public static let sb: UInt8 = 250
    /// End of a subnegotiation.
    public static let se: UInt8 = 240
}

/// Telnet options a serial console negotiates.
public enum TelnetOption {
    /// Binary transmission (RFC 856): bytes pass unchanged, no CR NUL.
    public static let binary: UInt8 = 0
    /// Echo (RFC 857): accepted from a server that offers it.
    public static let echo: UInt8 = 1
    /// Suppress go-ahead (RFC 858).
    public static let suppressGoAhead: UInt8 = 3
    /// COM-PORT-OPTION (RFC 2217): the serial line's settings.
    public static let comPort: UInt8 = 44
}

/// RFC 2217 subnegotiation codes from client to server; the server answers with the code plus 100.
public enum ComPortCommand {
    /// The server's identification.
    public static let signature: UInt8 = 0
    /// Baud rate, 4 bytes big-endian.
    public static let setBaudRate: UInt8 = 1
    /// Data bits, 5 to 8.
    public static let setDataSize: UInt8 = 2
    /// Parity: 1 none, 2 odd, 3 even, 4 mark, 5 space.
    public static let setParity: UInt8 = 3
    /// Stop bits: 1 one, 2 two, 3 one and a half.
    public static let setStopSize: UInt8 = 4
    /// Flow control and the DTR/RTS lines (see `ComPortControl`).
    public static let setControl: UInt8 = 5
    /// The server reports line state (notification).
    public static let notifyLineState: UInt8 = 6
    /// The server reports modem state (notification).
    public static let notifyModemState: UInt8 = 7
    /// The server asks the client to stop sending.
    public static let flowControlSuspend: UInt8 = 8
    /// The server lets the client send again.
    public static let flowControlResume: UInt8 = 9
    /// Which line-state changes the server reports.
    public static let setLineStateMask: UInt8 = 10
    /// Which modem-state changes the server reports.
    public static let setModemStateMask: UInt8 = 11
    /// Discard buffered data: 1 received, 2 transmit, 3 both.
    public static let purgeData: UInt8 = 12
    /// What a server adds to a command code in its answer.
    public static let serverOffset: UInt8 = 100
}

/// Values of the SET-CONTROL command (RFC 2217).
public enum ComPortControl {
    /// Outbound flow control off.
    public static let noFlowControl: UInt8 = 1
    /// DTR raised.
    public static let dtrOn: UInt8 = 8
    /// DTR dropped.
    public static let dtrOff: UInt8 = 9
    /// RTS raised.
    public static let rtsOn: UInt8 = 11
    /// RTS dropped.
    public static let rtsOff: UInt8 = 12
}

/// The line settings a client asks an RFC 2217 server to apply.
public struct ComPortSettings: Sendable, Equatable {
    /// Parity as RFC 2217 numbers it.
    public enum Parity: UInt8, Sendable, Equatable {
        /// No parity bit.
        case none = 1
        /// Odd parity.
        case odd = 2
        /// Even parity.
        case even = 3
        /// Parity bit always 1.
        case mark = 4
        /// Parity bit always 0.
        case space = 5
    }
    /// Stop bits as RFC 2217 numbers them.
    public enum StopBits: UInt8, Sendable, Equatable {
        /// One stop bit.
        case one = 1
        /// Two stop bits.
        case two = 2
        /// One and a half stop bits.
        case onePointFive = 3
    }
    /// What to discard on the server when the session starts.
    public enum Purge: UInt8, Sendable, Equatable {
        /// The server's receive buffer (data from the port not yet sent to us).
        case received = 1
        /// The server's transmit buffer (data for the port not yet written).
        case transmit = 2
        /// Both buffers.
        case both = 3
    }

    /// Baud rate.
    public var baud: UInt32
    /// Data bits, 5 to 8.
    public var dataBits: UInt8
    /// Parity.
    public var parity: Parity
    /// Stop bits.
    public var stopBits: StopBits
    /// Raise (true) or drop (false) DTR; nil leaves it alone.
    public var dtr: Bool?
    /// Raise (true) or drop (false) RTS; nil leaves it alone.
    public var rts: Bool?
    /// Buffers to discard after the settings are sent; nil discards nothing.
    public var purge: Purge?

    /// 115200 8N1 with DTR and RTS raised, nothing purged: what a Pico console wants.
    public init(baud: UInt32 = 115_200, dataBits: UInt8 = 8, parity: Parity = .none, stopBits: StopBits = .one,
                dtr: Bool? = true, rts: Bool? = true, purge: Purge? = nil) {
        self.baud = baud
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.dtr = dtr
        self.rts = rts
        self.purge = purge
    }

    /// Reads a line format such as `8N1`, `7E2` or `8N1.5`; nil when it is not one.
    public static func parseFormat(_ text: String) -> (dataBits: UInt8, parity: Parity, stopBits: StopBits)? {
        let chars = Array(text.uppercased())
        guard chars.count >= 3, let bits = chars[0].wholeNumberValue, (5...8).contains(bits) else { return nil }
        let parity: Parity
        switch chars[1] {
        case "N": parity = .none
        case "O": parity = .odd
        case "E": parity = .even
        case "M": parity = .mark
        case "S": parity = .space
        default: return nil
        }
        let stop: StopBits
        switch String(chars[2...]) {
        case "1": stop = .one
        case "2": stop = .two
        case "1.5": stop = .onePointFive
        default: return nil
        }
        return (UInt8(bits), parity, stop)
    }
}
