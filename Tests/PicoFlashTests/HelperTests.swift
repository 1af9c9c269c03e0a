import Testing
import PicoBoot
@testable import PicoFlash
@testable import PicoSim
import UF2

/// Stand-in bytes for the helper's code: the simulated board models its effect, not its instructions.
let helperCode = [UInt8](repeating: 0x00, count: 512)

/// A rig whose RP2040 board runs the helper model and whose executor carries a RAM helper.
func helperRig(flashSize: UInt32 = 4 << 20) -> Rig {
    let rig = Rig(flashSize: flashSize)
    SimulatedHelper.install(on: rig.board)
    rig.executor.helper = PicobootRAMHelper(code: helperCode)
    return rig
}

@Suite struct HelperTests {
    let base: UInt32 = 0x1000_0000

    var noReboot: FlashOptions {
        var options = FlashOptions()
        options.reboot = false
        return options
    }

    @Test func fullFlashUsesBlockErasesAndCRCVerify() throws {
        let rig = helperRig()
        let old = pattern(1 << 20, seed: 1), new = pattern(1 << 20, seed: 2)
        rig.board.preload(flashAt: base, old)
        let summary = try rig.executor.flash(image(base, new), options: noReboot)
        #expect(rig.flashBytes(base, new.count) == new)
        #expect(summary.plan.erase == .helperBlocks && summary.plan.check == .helperCRC && summary.plan.verifyByCRC)
        #expect(rig.board.statistics.blockErases == 16)
        #expect(rig.board.statistics.sectorErases == 0)
        #expect(Array(rig.board.sram.prefix(helperCode.count)) == helperCode)
        #expect(rig.board.statistics.flashOperationsInXIPMode == 0)
    }

    @Test func blankSectorsAfterACRCPassAreWrittenOutOfXIP() throws {
        let rig = helperRig()
        try rig.executor.flash(image(base, pattern(3 * 4096)), options: noReboot)
        #expect(rig.board.statistics.blockErases == 0 && rig.board.statistics.pagePrograms == 48)
        #expect(rig.board.statistics.flashOperationsInXIPMode == 0)
    }

    @Test func issueNineTargets() throws {
        let old = pattern(1 << 20, seed: 1), new = pattern(1 << 20, seed: 2)
        let plain = try Scenario.run(old: old, new: new)
        let rig = helperRig()
        rig.board.preload(flashAt: base, old)
        _ = try rig.executor.flash(image(base, new), options: noReboot)
        let helperFull = rig.board.modelledTime
        // Full flash at most half the sector-by-sector time.
        #expect(helperFull.secondsValue <= plain.modelled.secondsValue / 2)

        let again = helperRig()
        again.board.preload(flashAt: base, new)
        let identical = try again.executor.flash(image(base, new), options: noReboot)
        // Identical re-flash with verify reads at most 1/50 of the image over USB.
        #expect(identical.wire.bytesToHost * 50 <= UInt64(new.count))
        #expect(identical.plan.sectorsSkipped == 256)
        #expect(again.board.statistics.blockErases == 0 && again.board.statistics.pagePrograms == 0)
    }

    @Test func partialSectorsAreStillReadAndKept() throws {
        let rig = helperRig()
        let user = pattern(3 * 4096, seed: 5)
        rig.board.preload(flashAt: base, user)
        let data = pattern(4096 + 300, seed: 6)
        try rig.executor.flash(image(base + 0x800, data), options: noReboot)
        var expected = user
        expected.replaceSubrange(0x800..<(0x800 + data.count), with: data)
        #expect(rig.flashBytes(base, 3 * 4096) == expected)
    }

    @Test func rp2350FallsBackToPlainPicoboot() throws {
        let rig = Rig(chip: .rp2350)
        rig.executor.helper = PicobootRAMHelper(code: helperCode)
        let summary = try rig.executor.flash(image(base, pattern(8192)), options: noReboot)
        #expect(summary.plan.erase == .bootromSectors)
        #expect(summary.plan.check == .probeThenRead)
    }

    @Test func helperCanBeTurnedOff() throws {
        let rig = helperRig()
        var options = noReboot
        options.useHelper = false
        let summary = try rig.executor.flash(image(base, pattern(8192)), options: options)
        #expect(summary.plan.erase == .bootromSectors)
        #expect(rig.board.statistics.commands > 0 && rig.executor.connection.statistics.commandsByID[Exec.id.rawValue] == nil)
    }

    @Test func crcMismatchNamesTheFirstWrongByte() throws {
        let rig = helperRig()
        let data = pattern(8192, seed: 3)
        var options = noReboot
        options.dryRun = true
        let plan = try rig.executor.flash(image(base, data), options: options).plan
        rig.board.preload(flashAt: base, data)
        rig.board.preload(flashAt: base + 4096 + 9, [data[4096 + 9] ^ 0x01])
        let error = try #require(throws: FlashError.self) {
            try rig.executor.withExclusiveAccess { () throws(FlashError) in try rig.executor.verifyWithHelper(plan) }
        }
        #expect(error == .verifyFailed(address: base + 4096 + 9, expected: data[4096 + 9], actual: data[4096 + 9] ^ 0x01))
    }

    @Test func estimateModelsBlockErases() throws {
        let rig = helperRig()
        rig.board.preload(flashAt: base, pattern(1 << 20, seed: 1))
        var options = noReboot
        options.dryRun = true
        let summary = try rig.executor.flash(image(base, pattern(1 << 20, seed: 2)), options: options)
        #expect(summary.estimate.erase == .milliseconds(150) * 16 + .microseconds(500) * 3)
        #expect(summary.plan.summary().contains("RAM helper, 64 KiB blocks"))
        #expect(summary.plan.summary().contains("RAM helper CRCs"))
    }
}
