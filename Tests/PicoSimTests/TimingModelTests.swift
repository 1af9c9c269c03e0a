import Testing
import PicoBoot
@testable import PicoSim
import UF2

@Suite struct TimingModelTests {
    let base: UInt32 = 0x1000_0000

    @Test func eraseCostsSectorTimes() throws {
        let board = SimulatedBoard(chip: .rp2040)
        let connection = PicobootConnection(transport: board)
        try connection.erase(address: base, size: 16 * 4096)
        // One command's overhead plus 16 sector erases at 45 ms.
        #expect(board.modelledTime == .microseconds(500) + .milliseconds(45) * 16)
    }

    @Test func writeCostsTransferAndPagePrograms() throws {
        let board = SimulatedBoard(chip: .rp2040)
        let connection = PicobootConnection(transport: board)
        try connection.write(address: base, bytes: [UInt8](repeating: 0, count: 4096))
        let expected = BoardTiming.typical.transfer(bytes: 4096) + .microseconds(500) * 16 + .microseconds(500)
        #expect(board.modelledTime == expected)
    }

    @Test func longEraseTimesOutWithAShortTimeout() throws {
        let board = SimulatedBoard(chip: .rp2040)
        var timeouts = PicobootTimeouts()
        timeouts.eraseBase = .milliseconds(100)
        timeouts.erasePerSector = .zero
        let connection = PicobootConnection(transport: board, timeouts: timeouts)
        let error = try #require(throws: PicobootError.self) { try connection.erase(address: base, size: 64 * 4096) }
        #expect(error.reason == .transport(.timeout))
        #expect(error.phase == .acknowledgement)
        // With the default timeouts the same erase goes through.
        try PicobootConnection(transport: board).erase(address: base, size: 64 * 4096)
    }

    @Test func pacingSleepsScaledModelledTime() throws {
        let board = SimulatedBoard(chip: .rp2040, pacing: 10)
        let connection = PicobootConnection(transport: board)
        let clock = ContinuousClock()
        let start = clock.now
        try connection.erase(address: base, size: 8 * 4096)   // 360.5 ms modelled, 36 ms at 10×
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(36))
        #expect(elapsed < .milliseconds(1000))
    }

    @Test func helperBlockEraseModel() {
        let board = SimulatedBoard(chip: .rp2040)
        board.preload(flashAt: base, [UInt8](repeating: 0, count: 0x2_1000))
        // 0x10000000..0x10021000: two 64 KiB blocks and one sector.
        let spent = board.helperErase(address: base, size: 0x2_1000)
        #expect(spent == .milliseconds(150) * 2 + .milliseconds(45))
        #expect(board.statistics.blockErases == 2 && board.statistics.sectorErases == 1)
        #expect(board.flash.prefix(0x2_1000).allSatisfy { $0 == 0xFF })
    }
}
