#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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

@Suite struct ParallelPacingTests {
    @Test func pacedBoardsSleepIndependently() throws {
        // Four boards each spend 40 sector erases (1.8 s modelled, 180 ms at 10×) on their own
        // threads: they sleep at the same time (every board started before any finished), not one
        // after another. A wall-time bound would measure the machine's load instead.
        let boards = (0..<4).map { _ in SimulatedBoard(chip: .rp2040, pacing: 10) }
        let clock = ContinuousClock()
        let spans = (0..<4).map { _ in SpanBox() }
        let threads = zip(boards, spans).map { board, span in
            Worker {
                span.start = clock.now
                try? PicobootConnection(transport: board).erase(address: 0x1000_0000, size: 40 * 4096)
                span.end = clock.now
            }
        }
        threads.forEach { $0.join() }
        #expect(boards.allSatisfy { $0.statistics.sectorErases == 40 })
        let starts = spans.compactMap(\.start), ends = spans.compactMap(\.end)
        #expect(starts.count == 4 && ends.count == 4)
        #expect(zip(starts, ends).allSatisfy { $1 - $0 >= .milliseconds(180) })
        if let latestStart = starts.max(), let earliestEnd = ends.min() {
            #expect(latestStart < earliestEnd)
        }
    }

    @Test func statusShowsACommandInProgressUntilItsAcknowledgement() throws {
        let board = SimulatedBoard(chip: .rp2040)
        try board.bulkOut(FlashErase(address: 0x1000_0000, size: 4096).packet(token: 4).bytes, timeout: .seconds(1))
        let connection = PicobootConnection(transport: board)
        #expect(try connection.readStatus().inProgress)
        _ = try board.bulkIn(length: 0, timeout: .seconds(1))
        #expect(try connection.readStatus() == CommandStatus(token: 4, status: .ok, commandID: 0x03, inProgress: false))
    }
}

/// A POSIX thread running `body`, joined by `join()` (no Foundation needed).
/// When one worker's job started and ended (each written by its own thread, read after `join`).
final class SpanBox: @unchecked Sendable {
    var start: ContinuousClock.Instant?
    var end: ContinuousClock.Instant?
}

final class Worker: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { argument in
            let worker = Unmanaged<Worker>.fromOpaque(argument!).takeRetainedValue()
            worker.body()
            return nil
        }, box)
    }

    func join() { pthread_join(thread, nil) }
}
