import Testing
import PicoBoot
@testable import PicoFlash
@testable import PicoSim
import UF2

/// Issue 13.1: the board's flash size is learnt before planning, and nothing past its end is
/// erased, written, compared or read (a 2 MiB part ignores the address bits above 2 MiB).
@Suite struct FlashSizeTests {
    let base: UInt32 = 0x1000_0000

    /// A 2 MiB board whose flash holds distinct bytes at 0 and at 1 MiB, so wrapping would show.
    func filledRig(_ rig: Rig) -> Rig {
        rig.board.preload(flashAt: base, pattern(8192, seed: 7))
        rig.board.preload(flashAt: base + 0x10_0000, pattern(8192, seed: 8))
        return rig
    }

    func expectUntouched(_ rig: Rig) {
        #expect(rig.board.statistics.sectorErases == 0 && rig.board.statistics.blockErases == 0)
        #expect(rig.board.statistics.pagePrograms == 0)
        #expect(rig.flashBytes(base, 8192) == pattern(8192, seed: 7))
        #expect(rig.flashBytes(base + 0x10_0000, 8192) == pattern(8192, seed: 8))
    }

    func pastEnd(_ error: FlashError) -> FlashSize? {
        if case .pastEndOfFlash(_, let size, _) = error { return size }
        return nil
    }

    @Test func anImagePastTheEndIsRefusedBeforeAnyErase() throws {
        for rig in [filledRig(helperRig(flashSize: 2 << 20)), filledRig(Rig())] {
            let error = try #require(throws: FlashError.self) { try rig.executor.flash(image(0x1030_0000, pattern(4096, seed: 2))) }
            let size = try #require(pastEnd(error))
            #expect(size.bytes == 2 << 20)
            #expect(error.description.contains("2048 KiB") && error.description.contains("0x10200000"))
            expectUntouched(rig)
            #expect(rig.board.exclusiveAccess == .shared)
        }
    }

    @Test func theSizeComesFromTheJEDECIdOrElseAliasing() throws {
        let helper = helperRig(flashSize: 2 << 20)      // blank flash: aliasing could not tell
        #expect(try helper.executor.learnFlashSize() == FlashSize(bytes: 2 << 20, source: .jedecID(manufacturer: 0xEF, memoryType: 0x40, capacity: 0x15)))
        #expect(try helper.executor.learnFlashSize(useHelper: false) == nil)
        let plain = filledRig(Rig(flashSize: 1 << 20))
        #expect(try plain.executor.learnFlashSize() == FlashSize(bytes: 1 << 20, source: .aliasing))
        let odd = helperRig(flashSize: 2 << 20)
        odd.board.jedecID = [0xBF, 0x26, 0x41]          // a capacity code that is not log2 of the size
        #expect(try odd.executor.learnFlashSize() == nil)
        plain.executor.flashSizeOverride = 4 << 20
        #expect(try plain.executor.learnFlashSize() == FlashSize(bytes: 4 << 20, source: .option))
    }

    @Test func rp2350UsesTheFlashDeviceInfoUnlessItIsTheBootromDefault() throws {
        let rig = filledRig(Rig(chip: .rp2350, flashSize: 2 << 20))
        #expect(try rig.executor.learnFlashSize() == FlashSize(bytes: 2 << 20, source: .flashDeviceInfo(FlashDeviceInfo(cs0Size: 2 << 20))))
        rig.board.flashDeviceInfo = .bootromDefault
        #expect(try rig.executor.learnFlashSize() == FlashSize(bytes: 2 << 20, source: .aliasing))
        let error = try #require(throws: FlashError.self) { try rig.executor.flash(image(0x1030_0000, pattern(4096, seed: 2))) }
        #expect(pastEnd(error)?.source == .aliasing)
        expectUntouched(rig)
        let blank = Rig(chip: .rp2350, flashSize: 2 << 20)
        blank.board.flashDeviceInfo = .bootromDefault
        #expect(try blank.executor.learnFlashSize() == nil)
    }

    @Test func aBinThatCrossesTheEndIsRefused() throws {
        let rig = filledRig(helperRig(flashSize: 2 << 20))
        let error = try #require(throws: FlashError.self) { try rig.executor.flash(image(0x101F_FFF8, pattern(16, seed: 3))) }
        #expect(pastEnd(error) != nil)
        expectUntouched(rig)
        // Without verify, as `--no-verify` flashes: still refused.
        var options = FlashOptions()
        options.plan.verify = false
        #expect(throws: FlashError.self) { try rig.executor.flash(image(base, pattern(4 << 20, seed: 4)), options: options) }
        expectUntouched(rig)
    }

    @Test func eraseReadAndVerifyPastTheEndAreRefused() throws {
        for rig in [filledRig(helperRig(flashSize: 2 << 20)), filledRig(Rig())] {
            let range = AddressRange(start: 0x1020_0000, end: 0x1020_1000)
            let error = try #require(throws: FlashError.self) { try rig.executor.erase(range) }
            #expect(pastEnd(error) != nil)
            expectUntouched(rig)
            let size = try rig.executor.learnFlashSize()
            #expect(throws: FlashError.self) { try rig.executor.read(AddressRange(start: base, end: 0x1040_0000), flashSize: size) }
            let wrapped = image(0x1030_0000, pattern(4096, seed: 8))      // what reads at 0x10300000 alias to
            #expect(throws: FlashError.self) { try rig.executor.verify(wrapped) }
            #expect(throws: FlashError.self) { try rig.executor.verifyUsingHelper(wrapped) }
            // Inside the flash, all work as before.
            try rig.executor.erase(AddressRange(start: 0x101F_F000, end: 0x1020_0000))
            #expect(try rig.executor.read(AddressRange(start: 0x101F_F000, end: 0x1020_0000), flashSize: size) == [UInt8](repeating: 0xFF, count: 4096))
        }
    }

    @Test func eraseAllSizesABlankStartByAMarkerAndErasesJustTheFlash() throws {
        // RP2350 whose OTP names no size, flash start blank: aliasing alone cannot tell.
        for size: UInt32 in [1 << 20, 2 << 20] {
            let rig = Rig(chip: .rp2350, flashSize: size)
            rig.board.flashDeviceInfo = .bootromDefault
            rig.board.preload(flashAt: base + size / 2, pattern(4096, seed: 5))
            #expect(try rig.executor.learnFlashSize() == nil)
            let (range, found) = try rig.executor.eraseAll()
            #expect(range == AddressRange(start: base, end: UInt64(base) + UInt64(size)))
            #expect(found == FlashSize(bytes: size, source: .aliasing))
            #expect(rig.flashBytes(base, 4096) == [UInt8](repeating: 0xFF, count: 4096))       // the marker went too
            #expect(rig.flashBytes(base + size / 2, 4096) == [UInt8](repeating: 0xFF, count: 4096))
            #expect(rig.board.exclusiveAccess == .shared)
        }
        // A size the board tells needs no marker: nothing is written.
        let told = filledRig(helperRig(flashSize: 2 << 20))
        #expect(try told.executor.eraseAll().size.source == .jedecID(manufacturer: 0xEF, memoryType: 0x40, capacity: 0x15))
        #expect(told.board.statistics.pagePrograms == 0)
    }

    @Test func theDryRunShowsTheSizeAndItsSource() throws {
        let rig = helperRig(flashSize: 2 << 20)
        var options = FlashOptions()
        options.dryRun = true
        let summary = try rig.executor.flash(image(base, pattern(4096)), options: options)
        #expect(summary.plan.flashSize?.bytes == 2 << 20)
        #expect(summary.plan.summary().contains("flash:   2048 KiB (JEDEC id ef 40 15)"))
        rig.executor.flashSizeOverride = 4 << 20
        let given = try rig.executor.flash(image(0x1030_0000, pattern(4096)), options: options)
        #expect(given.plan.summary().contains("flash:   4 MiB (--flash-size)"))
    }

    @Test func jedecIdsAndDeviceWordsDecode() {
        #expect(FlashSize.fromJEDEC([0xEF, 0x40, 0x15], chip: .rp2040)?.bytes == 2 << 20)
        #expect(FlashSize.fromJEDEC([0xEF, 0x40, 0x18], chip: .rp2040)?.bytes == 16 << 20)
        #expect(FlashSize.fromJEDEC([0xEF, 0x40, 0x19], chip: .rp2040)?.bytes == 16 << 20)     // cut to the window
        #expect(FlashSize.fromJEDEC([0xFF, 0xFF, 0xFF], chip: .rp2040) == nil)
        #expect(FlashSize.fromJEDEC([0x00, 0x00, 0x00], chip: .rp2040) == nil)
        #expect(FlashDeviceInfo.bootromDefault.rawValue == 0x0C00)
        #expect(FlashDeviceInfo(cs0Size: 4 << 20).rawValue == 0x0A00)
        #expect(FlashDeviceInfo(rawValue: 0x9980).cs1Size == 2 << 20 && FlashDeviceInfo(rawValue: 0x9980).d8hEraseSupported)
        #expect(FlashSize.fromDeviceInfo(.bootromDefault) == nil)
        #expect(FlashSize.fromDeviceInfo(FlashDeviceInfo(rawValue: 0x9900))?.bytes == (16 << 20) + (2 << 20))
    }
}

/// Issue 13.6: a slow chip (block erases near the datasheet maximum) is not a failure, and the
/// erase reports progress per block.
@Suite struct SlowChipTests {
    let base: UInt32 = 0x1000_0000

    func slowRig() -> Rig {
        let rig = helperRig()
        rig.board.timing.blockErase = .milliseconds(700)
        return rig
    }

    func eraseEvents(_ rig: Rig) -> [UInt64] {
        rig.events.compactMap { if case .progress(.erase, let done, _) = $0 { done } else { nil } }
    }

    @Test func aMegabyteAtSevenTenthsOfASecondPerBlockFlashes() throws {
        let rig = slowRig()
        rig.board.preload(flashAt: base, pattern(1 << 20, seed: 1))
        var options = FlashOptions()
        options.reboot = false
        try rig.executor.flash(image(base, pattern(1 << 20, seed: 2)), options: options)
        #expect(rig.flashBytes(base, 1 << 20) == pattern(1 << 20, seed: 2))
        #expect(rig.board.statistics.blockErases == 16)
        #expect(eraseEvents(rig) == (1...16).map { UInt64($0) << 16 })
    }

    @Test func eraseOfAMegabyteReportsEachBlock() throws {
        let rig = slowRig()
        rig.board.preload(flashAt: base, pattern(1 << 20, seed: 1))
        try rig.executor.erase(AddressRange(start: base, end: UInt64(base) + (1 << 20)))
        #expect(rig.flashBytes(base, 1 << 20) == [UInt8](repeating: 0xFF, count: 1 << 20))
        #expect(eraseEvents(rig) == (1...16).map { UInt64($0) << 16 })
    }

    @Test func piecesAreOneBlockOrTheSectorsBetweenBlocks() {
        let pieces = FlashExecutor.helperErasePieces(address: 0x1000_F000, size: 0x2_2000)
        #expect(pieces.map(\.address) == [0x1000_F000, 0x1001_0000, 0x1002_0000, 0x1003_0000])
        #expect(pieces.map(\.size) == [0x1000, 0x1_0000, 0x1_0000, 0x1000])
        #expect(RAMHelperABI.eraseUnits(address: 0x1000_F000, size: 0x2_2000) == (blocks: 2, sectors: 2))
        let timeouts = PicobootTimeouts()
        #expect(timeouts.eraseWork(blocks: 1, sectors: 0) == .seconds(2))
    }
}

/// Issue 15.5: the RAM helper goes to the board as its real size, not padded to 4 KiB.
@Suite struct HelperUploadTests {
    @Test func loadWritesTheCodeAndChecksThatMany() throws {
        let rig = Rig()
        SimulatedHelper.install(on: rig.board)
        let helper = PicobootRAMHelper.rp2040()
        #expect(helper.code.count < 1024)
        let before = rig.executor.connection.statistics.bytesToDevice
        #expect(try helper.load(over: rig.executor.connection, chip: .rp2040) == .ready)
        // The code, then one 16-byte parameter block for the self-check.
        #expect(rig.executor.connection.statistics.bytesToDevice - before == UInt64(helper.code.count) + 16)
        #expect(rig.board.sram[helper.code.count..<4096].allSatisfy { $0 == 0 })
    }

    @Test func anIdenticalReflashAndAUniqueIdReadSendTheCodeOnce() throws {
        let rig = Rig(flashSize: 2 << 20)
        SimulatedHelper.install(on: rig.board)
        let helper = PicobootRAMHelper.rp2040()
        rig.executor.helper = helper
        let data = pattern(64 * 1024, seed: 3)
        rig.board.preload(flashAt: 0x1000_0000, data)
        var options = FlashOptions()
        options.reboot = false
        let summary = try rig.executor.flash(image(0x1000_0000, data), options: options)
        #expect(summary.plan.sectorsSkipped == 16)
        // The code once, and a 16-byte parameter block for each call: self-check, JEDEC id, CRCs.
        #expect(summary.wire.bytesToDevice == UInt64(helper.code.count) + 3 * 16)
        let before = rig.executor.connection.statistics.bytesToDevice
        _ = try rig.executor.readUniqueID()
        #expect(rig.executor.connection.statistics.bytesToDevice - before == UInt64(helper.code.count) + 16)
    }
}
