import Testing
@testable import PicoBoot

/// A transport that records calls and answers from a script (protocol-level unit tests; the
/// simulated board covers device behaviour in PicoFlashTests and PicoSimTests).
final class ScriptedTransport: PicobootTransport {
    enum Call: Equatable {
        case out([UInt8]), `in`(Int), controlIn(UInt8), controlOut(UInt8), clearHalts
    }
    let interfaceNumber: UInt8 = 1
    var calls: [Call] = []
    var inAnswers: [Result<[UInt8], USBTransportError>] = []
    var outFailures: [Int: USBTransportError] = [:]   // by index among bulkOut calls
    var outCount = 0
    var status = CommandStatus(token: 0, status: .ok, commandID: 0, inProgress: false)
    var timeouts: [Duration] = []

    func bulkOut(_ data: [UInt8], timeout: Duration) throws(USBTransportError) {
        calls.append(.out(data))
        timeouts.append(timeout)
        outCount += 1
        if let error = outFailures[outCount] { throw error }
    }
    func bulkIn(length: Int, timeout: Duration) throws(USBTransportError) -> [UInt8] {
        calls.append(.in(length))
        timeouts.append(timeout)
        guard !inAnswers.isEmpty else { return [] }
        return try inAnswers.removeFirst().get()
    }
    func controlIn(request: UInt8, value: UInt16, length: Int, timeout: Duration) throws(USBTransportError) -> [UInt8] {
        calls.append(.controlIn(request))
        return status.bytes
    }
    func controlOut(request: UInt8, value: UInt16, timeout: Duration) throws(USBTransportError) {
        calls.append(.controlOut(request))
    }
    func clearHalts() throws(USBTransportError) { calls.append(.clearHalts) }
}

@Suite struct ConnectionTests {
    @Test func readSendsCommandReadsDataAndAcknowledgesOnOut() throws {
        let transport = ScriptedTransport()
        transport.inAnswers = [.success([1, 2, 3, 4])]
        let connection = PicobootConnection(transport: transport)
        let data = try connection.read(address: 0x1000_0000, count: 4)
        #expect(data == [1, 2, 3, 4])
        #expect(transport.calls == [.out(Read(address: 0x1000_0000, size: 4).packet(token: 1).bytes), .in(4), .out([])])
        #expect(connection.statistics.bytesToHost == 4)
        #expect(connection.statistics.commands == 1)
    }

    @Test func writeSendsDataAndReadsAcknowledgement() throws {
        let transport = ScriptedTransport()
        let connection = PicobootConnection(transport: transport)
        try connection.write(address: 0x2000_0000, bytes: [9, 8])
        #expect(transport.calls == [.out(Write(address: 0x2000_0000, size: 2).packet(token: 1).bytes), .out([9, 8]), .in(0)])
    }

    @Test func picotoolStyleOneByteAcknowledgement() throws {
        let transport = ScriptedTransport()
        transport.inAnswers = [.success([7])]
        let connection = PicobootConnection(transport: transport)
        connection.inAcknowledgement = [0]
        _ = try connection.read(address: 0x1000_0000, count: 1)
        #expect(transport.calls.last == .out([0]))
    }

    @Test func stallIsRecoveredAndReported() {
        let transport = ScriptedTransport()
        transport.inAnswers = [.failure(.stall)]
        transport.status = CommandStatus(token: 1, status: .invalidAddress, commandID: 0x03, inProgress: false)
        let connection = PicobootConnection(transport: transport)
        #expect {
            try connection.erase(address: 0x3000_0000, size: 4096)
        } throws: { error in
            guard let error = error as? PicobootError else { return false }
            return error.reason == .rejected(.invalidAddress) && error.address == 0x3000_0000 && error.command == .flashErase
        }
        #expect(Array(transport.calls.suffix(3)) == [.controlIn(0x42), .clearHalts, .controlOut(0x41)])
        #expect(connection.statistics.failures == 1)
        #expect(connection.lastFailureStatus?.status == .invalidAddress)
    }

    @Test func eraseAcknowledgementGetsALongTimeout() throws {
        let transport = ScriptedTransport()
        let connection = PicobootConnection(transport: transport)
        try connection.erase(address: 0x1000_0000, size: 64 * 4096)
        // 10 s + 64 × 400 ms for the acknowledgement; the command block gets 1 s.
        #expect(transport.timeouts == [.seconds(1), .seconds(10) + .milliseconds(400) * 64])
    }

    @Test func resetClearsHaltsThenResetsInterface() throws {
        let transport = ScriptedTransport()
        try PicobootConnection(transport: transport).reset()
        #expect(transport.calls == [.clearHalts, .controlOut(0x41)])
    }

    @Test func timeoutsScaleWithData() {
        let timeouts = PicobootTimeouts()
        #expect(timeouts.data(length: 16 * 1024) == .seconds(3) + .milliseconds(160))
        #expect(timeouts.acknowledgement(of: ExitXIP()) == .seconds(10))
        #expect(timeouts.acknowledgement(of: ExclusiveAccess(.exclusive)) == .seconds(1))
    }
}
