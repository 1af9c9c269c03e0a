import Testing
import PicoBoot
@testable import PicoFlash
import PicoSim
import UF2

/// One benchmark scenario on a simulated board: what the board held, what was flashed, what it cost.
struct Scenario {
    var modelled: Duration
    var limit: Duration
    var usbBytes: UInt64
    var commands: Int
    var summary: FlashSummary

    /// Flashes `new` over a board holding `old` (nil = blank) and measures it.
    static func run(old: [UInt8]?, new: [UInt8], chip: Chip = .rp2040) throws -> Scenario {
        let board = SimulatedBoard(chip: chip, flashSize: 4 << 20)
        if let old { board.preload(flashAt: 0x1000_0000, old) }
        let executor = FlashExecutor(connection: PicobootConnection(transport: board), chip: chip)
        var options = FlashOptions()
        options.reboot = false
        let summary = try executor.flash(image(0x1000_0000, new), options: options)
        return Scenario(modelled: board.modelledTime, limit: summary.estimate.limit, usbBytes: summary.wire.totalBytes,
                        commands: summary.wire.commands, summary: summary)
    }
}

@Suite struct BenchmarkTargetTests {
    @Test(arguments: [1 << 20, 2 << 20])
    func issueTargets(size: Int) throws {
        let old = pattern(size, seed: 1), new = pattern(size, seed: 2)
        var oneSector = new
        oneSector[size / 2] ^= 0xFF
        let full = try Scenario.run(old: old, new: new)
        let blank = try Scenario.run(old: nil, new: new)
        let identical = try Scenario.run(old: new, new: new)
        let changed = try Scenario.run(old: new, new: oneSector)
        #expect(full.modelled.secondsValue <= full.limit.secondsValue * 1.10)
        #expect(identical.modelled.secondsValue <= full.modelled.secondsValue / 3)
        #expect(changed.modelled.secondsValue <= full.modelled.secondsValue / 10)
        // The figures behind the targets: erase dominates a full flash; the others only read.
        #expect(full.summary.plan.sectorsToErase.count == size / 4096)
        #expect(identical.summary.plan.sectorsSkipped == size / 4096 && identical.summary.wire.bytesToDevice == 0)
        #expect(changed.summary.plan.sectorsToErase.count == 1 && changed.summary.wire.bytesToDevice == 4096)
        #expect(blank.summary.plan.sectorsToErase.isEmpty)
    }
}
