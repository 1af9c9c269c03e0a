import Testing
@testable import PicoSerial

private let IAC = TelnetCommand.iac, WILL = TelnetCommand.will, WONT = TelnetCommand.wont
private let DO = TelnetCommand.do, DONT = TelnetCommand.dont, SB = TelnetCommand.sb, SE = TelnetCommand.se
private let COM = TelnetOption.comPort, BINARY = TelnetOption.binary, SGA = TelnetOption.suppressGoAhead

@Suite struct RFC2217SessionTests {
    /// Feeds `input` one byte at a time and joins what every step produced.
    func byteByByte(_ session: inout RFC2217Session, _ input: [UInt8]) -> RFC2217Session.Step {
        var all = RFC2217Session.Step()
        for byte in input {
            let step = session.receive([byte])
            all.data += step.data
            all.reply += step.reply
            all.events += step.events
        }
        return all
    }

    func started(_ settings: ComPortSettings = .init()) -> RFC2217Session {
        var session = RFC2217Session(settings: settings)
        _ = session.start()
        return session
    }

    @Test func startOffersBinarySuppressGoAheadAndComPort() {
        var session = RFC2217Session()
        #expect(session.start() == [IAC, WILL, BINARY, IAC, DO, BINARY, IAC, WILL, SGA, IAC, DO, SGA, IAC, WILL, COM])
    }

    @Test func settingsAreSentOnceWhenTheServerAgreesToComPort() {
        var session = started(ComPortSettings(baud: 115_200, dataBits: 7, parity: .even, stopBits: .two,
                                              dtr: true, rts: false, purge: .both))
        let step = byteByByte(&session, [IAC, DO, COM])
        let expected: [UInt8] = [IAC, SB, COM, 1, 0x00, 0x01, 0xC2, 0x00, IAC, SE,
                                 IAC, SB, COM, 2, 7, IAC, SE,
                                 IAC, SB, COM, 3, 3, IAC, SE,
                                 IAC, SB, COM, 4, 2, IAC, SE,
                                 IAC, SB, COM, 5, 1, IAC, SE,
                                 IAC, SB, COM, 5, 8, IAC, SE,
                                 IAC, SB, COM, 5, 12, IAC, SE,
                                 IAC, SB, COM, 12, 3, IAC, SE]
        #expect(step.reply == expected, "our own request answered: no WILL again, only the settings")
        #expect(step.events == [.enabled(COM, .client)])
        #expect(session.settingsSent)
        #expect(byteByByte(&session, [IAC, DO, COM]).reply.isEmpty, "a repeated DO is not answered")
    }

    @Test func dtrAndRtsLeftAloneAreNotSent() {
        var session = started(ComPortSettings(baud: 9600, dtr: nil, rts: nil))
        let reply = byteByByte(&session, [IAC, DO, COM]).reply
        #expect(reply == [IAC, SB, COM, 1, 0x00, 0x00, 0x25, 0x80, IAC, SE, IAC, SB, COM, 2, 8, IAC, SE,
                          IAC, SB, COM, 3, 1, IAC, SE, IAC, SB, COM, 4, 1, IAC, SE, IAC, SB, COM, 5, 1, IAC, SE])
    }

    @Test func baudWithAnIACByteIsEscapedInTheSubnegotiation() {
        let bytes = RFC2217Session.comPortCommand(ComPortCommand.setBaudRate, [0x00, 0x00, 0xFF, 0x01])
        #expect(bytes == [IAC, SB, COM, 1, 0x00, 0x00, IAC, IAC, 0x01, IAC, SE])
    }

    @Test func unknownOptionsAreRefusedOnceAndOffersAccepted() {
        var session = started()
        let step = byteByByte(&session, [IAC, DO, 24, IAC, WILL, 31, IAC, WILL, TelnetOption.echo, IAC, DONT, 24])
        #expect(step.reply == [IAC, WONT, 24, IAC, DONT, 31, IAC, DO, TelnetOption.echo])
        #expect(session.isEnabled(TelnetOption.echo, .server))
        #expect(step.events == [.enabled(TelnetOption.echo, .server)])
    }

    @Test func answersToOurRequestsAreNotAnswered() {
        var session = started()
        let step = byteByByte(&session, [IAC, WILL, BINARY, IAC, DO, BINARY, IAC, WILL, SGA, IAC, WONT, SGA])
        #expect(step.reply == [IAC, DONT, SGA], "only the server's later refusal is acknowledged")
        #expect(session.isEnabled(BINARY, .server) && session.isEnabled(BINARY, .client))
        #expect(!session.isEnabled(SGA, .server))
        #expect(step.events == [.enabled(BINARY, .server), .enabled(BINARY, .client), .enabled(SGA, .server), .disabled(SGA, .server)])
    }

    @Test func anOptionTurnedOffIsAcknowledged() {
        var session = started()
        _ = byteByByte(&session, [IAC, DO, COM])
        let step = byteByByte(&session, [IAC, DONT, COM])
        #expect(step.reply == [IAC, WONT, COM])
        #expect(step.events == [.disabled(COM, .client)])
    }

    @Test func doubledIACInDataIsOneByte() {
        var session = started()
        let step = byteByByte(&session, [0x41, IAC, IAC, 0x42, IAC, IAC, IAC, IAC, 0x0A])
        #expect(step.data == [0x41, 0xFF, 0x42, 0xFF, 0xFF, 0x0A])
        #expect(step.reply.isEmpty && step.events.isEmpty)
    }

    @Test func serverAnswersAreReportedAndDataAroundThemKept() {
        var session = started()
        let input: [UInt8] = [0x68, IAC, SB, COM, 101, 0x00, 0x01, 0xC2, 0x00, IAC, SE, 0x69,
                              IAC, SB, COM, 102, 8, IAC, SE, IAC, SB, COM, 103, 1, IAC, SE,
                              IAC, SB, COM, 104, 1, IAC, SE, IAC, SB, COM, 105, 8, IAC, SE,
                              IAC, SB, COM, 106, 0x60, IAC, SE, IAC, SB, COM, 107, 0xB0, IAC, SE,
                              IAC, SB, COM, 112, 3, IAC, SE,
                              IAC, SB, COM, 100] + Array("ser2net".utf8) + [IAC, SE, 0x0A]
        let step = byteByByte(&session, input)
        #expect(step.data == [0x68, 0x69, 0x0A])
        #expect(step.events == [.comPort(code: 1, value: [0x00, 0x01, 0xC2, 0x00]), .comPort(code: 2, value: [8]),
                                .comPort(code: 3, value: [1]), .comPort(code: 4, value: [1]), .comPort(code: 5, value: [8]),
                                .comPort(code: 6, value: [0x60]), .comPort(code: 7, value: [0xB0]),
                                .comPort(code: 12, value: [3]), .comPort(code: 0, value: Array("ser2net".utf8))])
        #expect(step.reply.isEmpty)
    }

    @Test func escapedIACInsideAServerSubnegotiation() {
        var session = started()
        let step = byteByByte(&session, [IAC, SB, COM, 101, 0x00, 0x00, IAC, IAC, 0x01, IAC, SE])
        #expect(step.events == [.comPort(code: 1, value: [0x00, 0x00, 0xFF, 0x01])])
    }

    @Test func flowControlSuspendAndResume() {
        var session = started()
        #expect(byteByByte(&session, [IAC, SB, COM, 108, IAC, SE]).events == [.suspended])
        #expect(session.isSuspended)
        #expect(byteByByte(&session, [IAC, SB, COM, 109, IAC, SE]).events == [.resumed])
        #expect(!session.isSuspended)
    }

    @Test func commandsWithoutMeaningAreSkipped() {
        var session = started()
        // NOP, GA, a stray SE, a subnegotiation of another option, a client-direction COM-PORT command.
        let step = byteByByte(&session, [0x31, IAC, 241, IAC, 249, IAC, SE, IAC, SB, 24, 1, IAC, SE,
                                         IAC, SB, COM, 1, 0, 0, 0, 1, IAC, SE, 0x32])
        #expect(step.data == [0x31, 0x32])
        #expect(step.events.isEmpty && step.reply.isEmpty)
    }

    @Test func aBrokenSubnegotiationIsDroppedAndTheByteReadAsACommand() {
        var session = started()
        let step = byteByByte(&session, [IAC, SB, COM, 101, 1, IAC, WILL, 31, 0x41])
        #expect(step.events.isEmpty)
        #expect(step.reply == [IAC, DONT, 31])
        #expect(step.data == [0x41])
    }

    @Test func anOverlongSubnegotiationIsDropped() {
        var session = started()
        session.maxSubnegotiationLength = 8
        let step = byteByByte(&session, [IAC, SB, COM, 100] + [UInt8](repeating: 0x41, count: 20) + [IAC, SE, 0x42])
        #expect(step.events.isEmpty)
        #expect(step.data == [0x42])
    }

    @Test func crNulIsCrUntilTheServerSendsBinary() {
        var session = started()
        #expect(byteByByte(&session, [0x61, 0x0D, 0x00, 0x62, 0x0D, 0x0A]).data == [0x61, 0x0D, 0x62, 0x0D, 0x0A])
        _ = byteByByte(&session, [IAC, WILL, BINARY])
        #expect(byteByByte(&session, [0x0D, 0x00]).data == [0x0D, 0x00], "binary: NUL after CR is data")
    }

    @Test func outgoingDataIsEscapedAndCrPaddedOutsideBinary() {
        var session = started()
        #expect(session.encode([0x61, 0xFF, 0x0D]) == [0x61, 0xFF, 0xFF, 0x0D, 0x00])
        #expect(session.encode([0x0D, 0x0A, 0x0D, 0x62]) == [0x0D, 0x0A, 0x0D, 0x00, 0x62])
        _ = session.receive([IAC, DO, BINARY])
        #expect(session.encode([0xFF, 0x0D]) == [0xFF, 0xFF, 0x0D])
    }

    @Test func anySplitGivesTheSameResult() {
        let input: [UInt8] = [IAC, DO, COM, 0x61, IAC, IAC, IAC, SB, COM, 101, 0, 0, IAC, IAC, 1, IAC, SE, 0x62, IAC, WILL, 31]
        var whole = started()
        let expected = whole.receive(input)
        for cut in 0...input.count {
            var session = started()
            let a = session.receive(input[..<cut]), b = session.receive(input[cut...])
            #expect(a.data + b.data == expected.data)
            #expect(a.reply + b.reply == expected.reply)
            #expect(a.events + b.events == expected.events)
        }
    }

    @Test func lineFormats() {
        #expect(ComPortSettings.parseFormat("8N1")! == (8, .none, .one))
        #expect(ComPortSettings.parseFormat("7e2")! == (7, .even, .two))
        #expect(ComPortSettings.parseFormat("5M1.5")! == (5, .mark, .onePointFive))
        #expect(ComPortSettings.parseFormat("9N1") == nil)
        #expect(ComPortSettings.parseFormat("8X1") == nil)
        #expect(ComPortSettings.parseFormat("8N3") == nil)
    }
}

@Suite struct RemoteConsoleTests {
    @Test func urls() throws {
        let a = try RemoteConsole(url: "rfc2217://lab-pi:3333")
        #expect(a.transport == .rfc2217 && a.host == "lab-pi" && a.port == 3333)
        #expect(a.description == "rfc2217://lab-pi:3333")
        let b = try RemoteConsole(url: "tcp://[::1]:20000/")
        #expect(b.transport == .tcp && b.host == "::1" && b.port == 20000 && b.description == "tcp://[::1]:20000")
        let c = try RemoteConsole(url: "rfc2217://10.0.0.2:4000?format=7E2&purge=both")
        #expect(c.settings(baud: 9600, assertDTR: true)
                == ComPortSettings(baud: 9600, dataBits: 7, parity: .even, stopBits: .two, dtr: true, rts: true, purge: .both))
        #expect(c.settings(baud: 9600, assertDTR: false).dtr == nil)
    }

    @Test func badURLsSayWhatIsWrong() {
        for (url, words) in [("rfc2217://host", "port is missing"), ("rfc2217://:33", "host is missing"),
                             ("tcp://h:0", "not a TCP port"), ("tcp://h:70000", "not a TCP port"),
                             ("tcp://h:1?format=8N1", "tcp:// takes no settings"), ("rfc2217://h:1?format=8Q1", "not like 8N1"),
                             ("rfc2217://h:1?speed=9", "unknown setting"), ("telnet://h:1", "rfc2217://HOST:PORT")] {
            #expect(throws: RemoteConsole.URLError.self) { try RemoteConsole(url: url) }
            do { _ = try RemoteConsole(url: url) } catch { #expect(error.description.contains(words), "\(url): \(error)") }
        }
        #expect(RemoteConsole.isURL("rfc2217://h:1") && RemoteConsole.isURL("tcp://h:1") && !RemoteConsole.isURL("/dev/ttyACM0"))
    }
}
