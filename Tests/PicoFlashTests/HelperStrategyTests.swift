import Testing
import PicoBoot
@testable import PicoFlash
@testable import PicoSim
import UF2

/// The strategy choice, the self-check, CRC verify and the unique id (issue 9).
@Suite struct HelperStrategyTests {
    let base: UInt32 = 0x1000_0000

    var noReboot: FlashOptions {
        var options = FlashOptions()
        options.reboot = false
        return options
    }

    @Test func planSaysWhyTheHelperIsUsedOrNot() throws {
        let first = helperRig(), second = helperRig()
        let used = try first.executor.flash(image(base, pattern(8192)), options: noReboot)
        #expect(used.plan.helperNote?.hasPrefix("used:") == true)
        #expect(used.plan.summary().contains("helper:  used"))
        #expect(Set(used.phaseTimes.keys) == [.check, .erase, .write, .verify])

        var off = noReboot
        off.useHelper = false
        let plain = try second.executor.flash(image(base, pattern(8192)), options: off)
        #expect(plain.plan.helperNote == "not used: turned off (--no-helper)")

        let rp2350 = Rig(chip: .rp2350)
        rp2350.executor.helper = PicobootRAMHelper.rp2040()
        let other = try rp2350.executor.flash(image(base, pattern(8192)), options: noReboot)
        #expect(other.plan.helperNote == "not used: the rp2350 bootrom has no EXEC")
    }

    @Test func failingSelfCheckFallsBackToPlainPicoboot() throws {
        // No helper model on the board: EXEC does nothing, so the status word stays 0xFFFFFFFF.
        let rig = Rig()
        rig.executor.helper = PicobootRAMHelper(code: helperCode)
        let data = pattern(8192, seed: 4)
        let summary = try rig.executor.flash(image(base, data), options: noReboot)
        #expect(summary.plan.erase == .bootromSectors)
        #expect(summary.plan.helperNote?.hasPrefix("not used: self-check failed") == true)
        #expect(rig.flashBytes(base, data.count) == data)
    }

    @Test func selfCheckReadsNoFlash() throws {
        let rig = helperRig()
        let load = try PicobootRAMHelper(code: helperCode).load(over: rig.executor.connection, chip: .rp2040)
        #expect(load == .ready)
        #expect(rig.executor.connection.statistics.bytesToHost == 8)
    }

    @Test func eraseUsesBlocksWithTheHelper() throws {
        let rig = helperRig()
        rig.board.preload(flashAt: base, pattern(0x2_2000))
        try rig.executor.erase(AddressRange(start: base + 0x1000, end: UInt64(base) + 0x2_2000))
        #expect(rig.flashBytes(base + 0x1000, 0x2_1000).allSatisfy { $0 == 0xFF })
        #expect(rig.board.statistics.blockErases == 1)            // 0x10010000..0x10020000
        #expect(rig.board.statistics.sectorErases == 15 + 2)
        let plain = Rig()
        plain.board.preload(flashAt: base, pattern(0x2_2000))
        try plain.executor.erase(AddressRange(start: base + 0x1000, end: UInt64(base) + 0x2_2000))
        #expect(plain.board.statistics.blockErases == 0 && plain.board.statistics.sectorErases == 33)
    }

    @Test func oneHelperServesSeveralBoards() throws {
        // Non-zero code: a board that never received it fails the self-check (SRAM starts zeroed).
        let code = [UInt8](repeating: 0xA5, count: 512)
        let shared = PicobootRAMHelper(code: code)
        let first = helperRig(), second = helperRig()
        first.executor.helper = shared
        second.executor.helper = shared
        for rig in [first, second] {
            let summary = try rig.executor.flash(image(base, pattern(8192)), options: noReboot)
            #expect(summary.plan.erase == .helperBlocks)
            #expect(Array(rig.board.sram.prefix(code.count)) == code)
        }
    }

    @Test func verifyUsesHelperCRCsAndFindsTheWrongByte() throws {
        let rig = helperRig()
        let data = pattern(5 * 4096 + 100, seed: 8)
        rig.board.preload(flashAt: base, data)
        let good = try rig.executor.verifyUsingHelper(image(base, data))
        #expect(good.matches && good.byCRC && good.bytesCompared == data.count)
        #expect(good.bytesReadByHelperCheck < 4096 + 64)        // 5 CRCs, the partial last sector read whole
        rig.board.preload(flashAt: base + 2 * 4096 + 17, [data[2 * 4096 + 17] ^ 0x80])
        let bad = try rig.executor.verifyUsingHelper(image(base, data))
        #expect(bad.mismatchCount == 1)
        #expect(bad.firstMismatches.first?.address == base + 2 * 4096 + 17)
    }

    @Test func uniqueIDComesFromTheFlash() throws {
        let rig = helperRig()
        #expect(try rig.executor.readUniqueID() == rig.board.uniqueID)
        let rp2350 = Rig(chip: .rp2350)
        #expect(try rp2350.executor.readUniqueID() == nil)
    }

    @Test func unalignedErasesAreRefusedBeforeSending() throws {
        let rig = helperRig()
        let sent = rig.board.statistics.commands
        #expect(throws: PicobootError.self) { try rig.executor.connection.erase(address: base + 0x100, size: 4096) }
        #expect(throws: PicobootError.self) { try PicobootRAMHelper(code: helperCode).erase(address: base, size: 100, over: rig.executor.connection) }
        #expect(rig.board.statistics.commands == sent)
    }
}
