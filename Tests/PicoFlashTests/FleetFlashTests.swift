import Foundation
import Testing
import PicoBoot
@testable import PicoFlash
import PicoSim
import UF2

/// Many boards at once through `FleetFlash`, the code path of `picoctl flash --all`, on paced
/// simulated boards (modelled device time slept for real, scaled).
@Suite struct FleetFlashTests {
    static let size = 64 * 1024
    static let pacing = 4.0

    /// Paced boards, some already holding `held`.
    static func boards(_ count: Int, holding held: [Int: [UInt8]] = [:]) -> [SimulatedBoard] {
        (0..<count).map { index in
            let board = SimulatedBoard(chip: .rp2040, flashSize: 2 << 20, pacing: pacing)
            board.preload(flashAt: 0x1000_0000, held[index] ?? pattern(size, seed: 7))
            return board
        }
    }

    static func jobs(_ boards: [SimulatedBoard], image: MemoryImage) -> [FleetJob] {
        var options = FlashOptions()
        options.reboot = false
        return boards.enumerated().map { index, board in
            FleetFlash.job(label: "sim-\(index)", chip: .rp2040, open: { board }, image: image, options: options)
        }
    }

    @Test func eightBoardsAreFlashedAtTheSameTime() throws {
        let new = pattern(Self.size, seed: 2)
        let image = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: new)])
        let boards = Self.boards(8)
        let clock = ContinuousClock()
        // Each board's first and last event: the span in which it was being flashed.
        let spans = Locked([Int: (first: ContinuousClock.Instant, last: ContinuousClock.Instant)]())
        let outcomes = FleetFlash.run(Self.jobs(boards, image: image), onEvent: { index, _ in
            let now = clock.now
            spans.update { $0[index] = ($0[index]?.first ?? now, now) }
        })
        #expect(outcomes.count == 8 && outcomes.allSatisfy { !$0.failed && !$0.isUpToDate })
        #expect(outcomes.map(\.label) == (0..<8).map { "sim-\($0)" })
        for board in boards {
            #expect(Array(board.flash.prefix(Self.size)) == new)
        }
        // Concurrent, not one after another: every board started before any board finished. The
        // speed figure (8 and 32 boards against one) is the benchmark's, not this test's.
        let all = spans.value
        #expect(all.count == 8)
        if let latestStart = all.values.map(\.first).max(), let earliestEnd = all.values.map(\.last).min() {
            #expect(latestStart < earliestEnd, "spans: \(all.sorted { $0.key < $1.key })")
        }
    }

    @Test func upToDateBoardsAreNotWrittenAndAnUnpluggedOneFailsAlone() throws {
        let new = pattern(Self.size, seed: 2)
        let image = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: new)])
        let boards = Self.boards(8, holding: [5: new])
        let unplugged = Locked(false)
        let events = Locked([Int: Int]())
        let outcomes = FleetFlash.run(Self.jobs(boards, image: image), onEvent: { index, event in
            events.update { $0[index, default: 0] += 1 }
            // Board 3 is pulled out as soon as its writing starts.
            if index == 3, case .progress(.write, _, _) = event, !unplugged.value {
                unplugged.update { $0 = true }
                boards[3].unplug()
            }
        })
        #expect(outcomes.count == 8)
        #expect(outcomes.filter(\.failed).map(\.index) == [3])
        if case .failure(let error as FlashError) = outcomes[3].result, case .device(let picoboot) = error {
            #expect(picoboot.transportError == .disconnected)
        } else {
            Issue.record("board 3: \(outcomes[3].result)")
        }
        #expect(outcomes.filter(\.isUpToDate).map(\.index) == [5])
        if case .success(let summary) = outcomes[5].result { #expect(summary.plan.bytesToWrite == 0) }
        #expect(Set(events.value.keys) == Set(0..<8))
        for index in [0, 1, 2, 4, 6, 7] {
            #expect(Array(boards[index].flash.prefix(Self.size)) == new)
        }
    }
}

/// A value shared with worker threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
