/// The client side of a Telnet connection with COM-PORT-OPTION (RFC 2217), without I/O: fed the bytes a
/// server sent, it returns the serial data among them, the bytes to answer with, and what the server said.
///
/// ```swift
/// var session = RFC2217Session(settings: ComPortSettings(baud: 115_200))
/// try socket.write(session.start())
/// let step = session.receive(bytesFromServer)
/// try socket.write(step.reply); show(step.data)
/// try socket.write(session.encode(typedBytes))
/// ```
///
/// Option negotiation follows RFC 1143's rules without its queue: a request already pending is not
/// repeated, an answer to our own request is not answered, and a refused option is refused once.
public struct RFC2217Session: Sendable {
    /// One side of an option: ours (WILL/WONT) or the server's (DO/DONT).
    public enum Side: Sendable, Equatable {
        /// The option is performed by the client (negotiated with WILL, answered with DO).
        case client
        /// The option is performed by the server (negotiated with DO, answered with WILL).
        case server
    }

    /// Something the server said that is not serial data.
    public enum Event: Sendable, Equatable {
        /// An option is now on for `side`.
        case enabled(UInt8, Side)
        /// The server refused or turned off an option for `side`.
        case disabled(UInt8, Side)
        /// The server answered a COM-PORT-OPTION command (`code` is the client's code, without the 100)
        /// with `value`, e.g. the baud rate it applied.
        case comPort(code: UInt8, value: [UInt8])
        /// The server asked the client to stop sending (FLOWCONTROL-SUSPEND).
        case suspended
        /// The server lets the client send again (FLOWCONTROL-RESUME).
        case resumed
    }

    /// What one call of `receive` produced.
    public struct Step: Sendable, Equatable {
        /// Serial data, IAC escapes removed.
        public var data: [UInt8] = []
        /// Bytes to send to the server now (negotiation answers, the COM-PORT settings).
        public var reply: [UInt8] = []
        /// What the server said, in order.
        public var events: [Event] = []
    }

    private enum OptionState: Sendable { case no, yes, wantYes, wantNo }

    private enum Parser: Sendable {
        case data
        case command
        case option(verb: UInt8)
        case subnegotiation
        case subnegotiationCommand
    }

    /// The settings sent once the server agrees to COM-PORT-OPTION.
    public let settings: ComPortSettings
    /// True while the server has suspended the client's output (FLOWCONTROL-SUSPEND).
    public private(set) var isSuspended = false
    /// True once the settings were sent.
    public private(set) var settingsSent = false
    /// Subnegotiations longer than this are dropped.
    public var maxSubnegotiationLength = 256

    private var client: [UInt8: OptionState] = [:]
    private var server: [UInt8: OptionState] = [:]
    private var parser: Parser = .data
    private var subnegotiation: [UInt8] = []
    private var afterCR = false
    private var started = false

    /// Options the client performs when asked, and those it lets the server perform.
    private static let clientOptions: Set<UInt8> = [TelnetOption.binary, TelnetOption.suppressGoAhead, TelnetOption.comPort]
    private static let serverOptions: Set<UInt8> = [TelnetOption.binary, TelnetOption.suppressGoAhead,
                                                    TelnetOption.echo, TelnetOption.comPort]

    /// A session that will ask the server for `settings`.
    public init(settings: ComPortSettings = .init()) {
        self.settings = settings
    }

    /// Whether an option is on for `side`.
    public func isEnabled(_ option: UInt8, _ side: Side) -> Bool {
        (side == .client ? client[option] : server[option]) == .yes
    }

    /// The opening requests: WILL BINARY, DO BINARY, WILL SGA, DO SGA, WILL COM-PORT-OPTION.
    public mutating func start() -> [UInt8] {
        precondition(!started, "start() called twice")
        started = true
        var out: [UInt8] = []
        for option in [TelnetOption.binary, TelnetOption.suppressGoAhead] {
            client[option] = .wantYes
            server[option] = .wantYes
            out += [TelnetCommand.iac, TelnetCommand.will, option, TelnetCommand.iac, TelnetCommand.do, option]
        }
        client[TelnetOption.comPort] = .wantYes
        out += [TelnetCommand.iac, TelnetCommand.will, TelnetOption.comPort]
        return out
    }

    /// Feeds bytes from the server; any split of a stream gives the same result as the whole.
    public mutating func receive(_ bytes: some Sequence<UInt8>) -> Step {
        var step = Step()
        for byte in bytes { feed(byte, into: &step) }
        return step
    }

    /// Serial data for the server: IAC doubled; a CR followed by NUL unless the client sends in binary.
    public func encode(_ data: some Collection<UInt8>) -> [UInt8] {
        let binary = isEnabled(TelnetOption.binary, .client)
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 8)
        var previousCR = false
        for byte in data {
            if previousCR && byte != 0x0A { out.append(0) }
            out.append(byte)
            if byte == TelnetCommand.iac { out.append(TelnetCommand.iac) }
            previousCR = !binary && byte == 0x0D
        }
        if previousCR { out.append(0) }
        return out
    }

    /// One COM-PORT-OPTION subnegotiation, its value IAC-escaped.
    public static func comPortCommand(_ code: UInt8, _ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [TelnetCommand.iac, TelnetCommand.sb, TelnetOption.comPort, code]
        for byte in value {
            out.append(byte)
            if byte == TelnetCommand.iac { out.append(TelnetCommand.iac) }
        }
        return out + [TelnetCommand.iac, TelnetCommand.se]
    }

    /// The settings as COM-PORT-OPTION commands, in the order they are sent.
    public static func settingsCommands(_ settings: ComPortSettings) -> [UInt8] {
        let baud = settings.baud
        var out = comPortCommand(ComPortCommand.setBaudRate,
                                 [UInt8(baud >> 24 & 0xFF), UInt8(baud >> 16 & 0xFF), UInt8(baud >> 8 & 0xFF), UInt8(baud & 0xFF)])
        out += comPortCommand(ComPortCommand.setDataSize, [settings.dataBits])
        out += comPortCommand(ComPortCommand.setParity, [settings.parity.rawValue])
        out += comPortCommand(ComPortCommand.setStopSize, [settings.stopBits.rawValue])
        out += comPortCommand(ComPortCommand.setControl, [ComPortControl.noFlowControl])
        if let dtr = settings.dtr {
            out += comPortCommand(ComPortCommand.setControl, [dtr ? ComPortControl.dtrOn : ComPortControl.dtrOff])
        }
        if let rts = settings.rts {
            out += comPortCommand(ComPortCommand.setControl, [rts ? ComPortControl.rtsOn : ComPortControl.rtsOff])
        }
        if let purge = settings.purge {
            out += comPortCommand(ComPortCommand.purgeData, [purge.rawValue])
        }
        return out
    }

    // MARK: parsing

    private mutating func feed(_ byte: UInt8, into step: inout Step) {
        switch parser {
        case .data:
            if byte == TelnetCommand.iac {
                parser = .command
            } else {
                dataByte(byte, into: &step)
            }
        case .command:
            command(byte, into: &step)
        case .option(let verb):
            parser = .data
            negotiate(verb, byte, into: &step)
        case .subnegotiation:
            if byte == TelnetCommand.iac {
                parser = .subnegotiationCommand
            } else {
                collect(byte)
            }
        case .subnegotiationCommand:
            if byte == TelnetCommand.iac {
                collect(byte)
                parser = .subnegotiation
            } else if byte == TelnetCommand.se {
                parser = .data
                finishSubnegotiation(into: &step)
            } else {
                // IAC and anything but IAC or SE inside a subnegotiation: the subnegotiation is broken; drop it
                // and read the byte as a command.
                subnegotiation.removeAll()
                command(byte, into: &step)
            }
        }
    }

    private mutating func dataByte(_ byte: UInt8, into step: inout Step) {
        // Without binary from the server, CR is sent as CR NUL (or CR LF): the NUL is not data.
        if afterCR && byte == 0 && !isEnabled(TelnetOption.binary, .server) {
            afterCR = false
            return
        }
        afterCR = byte == 0x0D
        step.data.append(byte)
    }

    private mutating func command(_ byte: UInt8, into step: inout Step) {
        switch byte {
        case TelnetCommand.iac:
            parser = .data
            dataByte(TelnetCommand.iac, into: &step)
        case TelnetCommand.will, TelnetCommand.wont, TelnetCommand.do, TelnetCommand.dont:
            parser = .option(verb: byte)
        case TelnetCommand.sb:
            parser = .subnegotiation
            subnegotiation.removeAll(keepingCapacity: true)
        default:
            parser = .data   // NOP, GA, DM, BRK, a stray SE …: nothing to do
        }
    }

    private mutating func collect(_ byte: UInt8) {
        if subnegotiation.count <= maxSubnegotiationLength { subnegotiation.append(byte) }
    }

    private mutating func negotiate(_ verb: UInt8, _ option: UInt8, into step: inout Step) {
        switch verb {
        case TelnetCommand.do:
            asked(option, on: .client, enable: true, into: &step)
        case TelnetCommand.dont:
            asked(option, on: .client, enable: false, into: &step)
        case TelnetCommand.will:
            asked(option, on: .server, enable: true, into: &step)
        default:
            asked(option, on: .server, enable: false, into: &step)
        }
    }

    /// The server asked for `option` on `side` to be on (`enable`) or off.
    private mutating func asked(_ option: UInt8, on side: Side, enable: Bool, into step: inout Step) {
        let supported = (side == .client ? Self.clientOptions : Self.serverOptions).contains(option)
        let current = (side == .client ? client[option] : server[option]) ?? .no
        let accept = side == .client ? TelnetCommand.will : TelnetCommand.do
        let refuse = side == .client ? TelnetCommand.wont : TelnetCommand.dont
        var next = current
        if enable {
            switch current {
            case .no:
                if supported {
                    next = .yes
                    step.reply += [TelnetCommand.iac, accept, option]
                } else {
                    step.reply += [TelnetCommand.iac, refuse, option]
                }
            case .wantYes: next = .yes
            case .wantNo: next = .no   // it insists after we asked for off: RFC 1143 treats this as an error; stay off
            case .yes: break
            }
        } else {
            switch current {
            case .yes:
                next = .no
                step.reply += [TelnetCommand.iac, refuse, option]
            case .wantYes, .wantNo: next = .no
            case .no: break
            }
        }
        if side == .client { client[option] = next } else { server[option] = next }
        if next == .yes && current != .yes {
            step.events.append(.enabled(option, side))
            if side == .client && option == TelnetOption.comPort && !settingsSent {
                settingsSent = true
                step.reply += Self.settingsCommands(settings)
            }
        } else if next == .no && current != .no {
            step.events.append(.disabled(option, side))
        }
    }

    private mutating func finishSubnegotiation(into step: inout Step) {
        defer { subnegotiation.removeAll(keepingCapacity: true) }
        guard subnegotiation.count >= 2, subnegotiation.count <= maxSubnegotiationLength,
              subnegotiation[0] == TelnetOption.comPort else { return }
        let code = subnegotiation[1]
        guard code >= ComPortCommand.serverOffset else { return }   // a client's command sent to us: not ours to act on
        let command = code - ComPortCommand.serverOffset
        switch command {
        case ComPortCommand.flowControlSuspend:
            isSuspended = true
            step.events.append(.suspended)
        case ComPortCommand.flowControlResume:
            isSuspended = false
            step.events.append(.resumed)
        default:
            step.events.append(.comPort(code: command, value: Array(subnegotiation[2...])))
        }
    }
}
