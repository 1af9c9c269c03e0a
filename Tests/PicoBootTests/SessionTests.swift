import Testing
@testable import PicoBoot

@Suite struct SessionTests {
    @Test func readExchange() {
        var session = PicobootSession(firstToken: 5)
        #expect(session.start(Read(address: 0x1000_0000, size: 256)) == .sendCommand(Read(address: 0x1000_0000, size: 256).packet(token: 5).bytes))
        #expect(session.currentToken == 5)
        #expect(session.commandSent() == .receiveData(length: 256))
        #expect(session.dataTransferred(count: 256) == .sendAck)
        #expect(session.acknowledged() == .finished)
        #expect(session.isIdle)
        #expect(session.nextToken == 6)
    }

    @Test func writeExchange() {
        var session = PicobootSession()
        _ = session.start(Write(address: 0x2000_0000, size: 64))
        #expect(session.commandSent() == .sendData(length: 64))
        #expect(session.dataTransferred(count: 64) == .receiveAck)
        #expect(session.acknowledged() == .finished)
    }

    @Test func noDataExchange() {
        var session = PicobootSession()
        _ = session.start(FlashErase(address: 0x1000_0000, size: 4096))
        #expect(session.commandSent() == .receiveAck)
        #expect(session.acknowledged() == .finished)
    }

    @Test func tokensIncreasePerCommand() {
        var session = PicobootSession(firstToken: UInt32.max)
        _ = session.start(ExitXIP())
        _ = session.commandSent()
        _ = session.acknowledged()
        #expect(session.nextToken == 0)
        guard case .sendCommand(let block) = session.start(ExitXIP()) else { Issue.record("no command"); return }
        #expect(Array(block[4..<8]) == [0, 0, 0, 0])
    }

    @Test func stallReadsStatusThenResets() {
        var session = PicobootSession(firstToken: 3)
        _ = session.start(FlashErase(address: 0x1000_0100, size: 4096))
        _ = session.commandSent()
        #expect(session.transferFailed(.stall) == .readStatus)
        let status = CommandStatus(token: 3, status: .badAlignment, commandID: 0x03, inProgress: false)
        #expect(session.statusRead(status) == .resetInterface)
        guard case .failed(let error) = session.interfaceReset() else { Issue.record("expected failure"); return }
        #expect(error.reason == .rejected(.badAlignment))
        #expect(error.command == .flashErase)
        #expect(error.address == 0x1000_0100)
        #expect(error.token == 3)
        #expect(error.phase == .acknowledgement)
        #expect(error.status == status)
        #expect(error.description.contains("BAD_ALIGNMENT"))
        #expect(error.fix?.contains("4096") == true)
        #expect(session.isIdle)
    }

    @Test func timeoutWithUnreadableStatusStillResets() {
        var session = PicobootSession()
        _ = session.start(Read(address: 0x1000_0000, size: 64))
        _ = session.commandSent()
        #expect(session.transferFailed(.timeout) == .readStatus)
        #expect(session.statusUnavailable(.timeout) == .resetInterface)
        guard case .failed(let error) = session.interfaceReset() else { Issue.record("expected failure"); return }
        #expect(error.reason == .transport(.timeout))
        #expect(error.phase == .data)
        #expect(error.fix?.contains("BOOTSEL") == true)
    }

    @Test func disconnectFailsAtOnce() {
        var session = PicobootSession()
        _ = session.start(ExclusiveAccess(.exclusive))
        guard case .failed(let error) = session.transferFailed(.disconnected) else { Issue.record("expected failure"); return }
        #expect(error.isDisconnect)
        #expect(error.phase == .command)
        #expect(session.isIdle)
    }

    @Test func shortTransferResets() {
        var session = PicobootSession()
        _ = session.start(Read(address: 0x1000_0000, size: 256))
        _ = session.commandSent()
        #expect(session.dataTransferred(count: 200) == .resetInterface)
        guard case .failed(let error) = session.interfaceReset() else { Issue.record("expected failure"); return }
        #expect(error.reason == .shortTransfer(expected: 256, received: 200))
    }

    @Test func tokenCheckAfterSuccess() {
        var session = PicobootSession(firstToken: 10, checksTokens: true)
        _ = session.start(ExitXIP())
        _ = session.commandSent()
        #expect(session.acknowledged() == .readStatus)
        #expect(session.statusRead(CommandStatus(token: 10, status: .ok, commandID: 6, inProgress: false)) == .finished)

        _ = session.start(ExitXIP())
        _ = session.commandSent()
        #expect(session.acknowledged() == .readStatus)
        #expect(session.statusRead(CommandStatus(token: 99, status: .ok, commandID: 6, inProgress: false)) == .resetInterface)
        guard case .failed(let error) = session.interfaceReset() else { Issue.record("expected failure"); return }
        #expect(error.reason == .tokenMismatch(received: 99))
    }

    @Test func stallWithStatusOfAnotherTokenIsReported() {
        var session = PicobootSession(firstToken: 1)
        _ = session.start(ExitXIP())
        _ = session.commandSent()
        _ = session.transferFailed(.stall)
        _ = session.statusRead(CommandStatus(token: 42, status: .invalidState, commandID: 6, inProgress: false))
        guard case .failed(let error) = session.interfaceReset() else { Issue.record("expected failure"); return }
        #expect(error.reason == .tokenMismatch(received: 42))
    }

    @Test func standaloneReset() {
        var session = PicobootSession()
        #expect(session.startReset() == .resetInterface)
        #expect(session.interfaceReset() == .finished)
        #expect(session.startReset() == .resetInterface)
        guard case .failed(let error) = session.interfaceReset(error: .accessDenied) else { Issue.record("expected failure"); return }
        #expect(error.fix?.contains("udev") == true)
    }
}
