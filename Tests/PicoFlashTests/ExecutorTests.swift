import Testing
import PicoBoot
@testable import PicoFlash
import PicoSim
import UF2

/// A flash image whose first 256 bytes are a boot2 with a correct CRC, so an RP2040 boots it.
func bootableImage(size: Int, seed: UInt32 = 1) -> [UInt8] {
    var bytes = pattern(size, seed: seed)
    let crc = CRC32MPEG2.checksum(bytes[0..<252])
    bytes.replaceSubrange(252..<256, with: [UInt8(truncatingIfNeeded: crc), UInt8(truncatingIfNeeded: crc >> 8),
                                            UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 24)])
    return bytes
}

/// A board, a connection and an executor that records events.
final class Rig {
    let board: SimulatedBoard
    let executor: FlashExecutor
    var events: [FlashEvent] = []

    init(chip: Chip = .rp2040, flashSize: UInt32 = 2 << 20, checksTokens: Bool = false) {
        board = SimulatedBoard(chip: chip, flashSize: flashSize)
        executor = FlashExecutor(connection: PicobootConnection(transport: board, checksTokens: checksTokens), chip: chip)
        executor.onEvent = { [unowned self] in events.append($0) }
    }

    func flashBytes(_ address: UInt32, _ count: Int) -> [UInt8] {
        let offset = Int(address - 0x1000_0000)
        return Array(board.flash[offset..<(offset + count)])
    }
}

@Suite struct ExecutorTests {
    let base: UInt32 = 0x1000_0000
    /// What learning the size of a 2 MiB board without a helper reads: 1 KiB at 0, then at 64 KiB,
    /// 128 KiB, ... 2 MiB, where the start comes back.
    let aliasingProbe: UInt64 = 7 * 1024

    @Test func fullFlashOnBlankBoardVerifiesAndBoots() throws {
        let rig = Rig()
        let data = bootableImage(size: 64 * 1024)
        let summary = try rig.executor.flash(image(base, data))
        #expect(rig.flashBytes(base, data.count) == data)
        #expect(rig.board.statistics.sectorErases == 0)           // blank sectors are not erased
        #expect(rig.board.statistics.pagePrograms == 256)
        #expect(summary.plan.bytesToVerify == 65536)
        #expect(summary.rebooted)
        #expect(rig.board.events.contains(.rebooted(target: .application)))
        rig.board.completeReboot()
        #expect(rig.board.mode == .application)
        #expect(rig.board.exclusiveAccess == .shared)
        #expect(summary.wire.commandsByID[Reboot.id.rawValue] == 1)
    }

    @Test func identicalReflashTouchesNothing() throws {
        let rig = Rig()
        let data = bootableImage(size: 32 * 1024)
        rig.board.preload(flashAt: base, data)
        var options = FlashOptions()
        options.reboot = false
        let summary = try rig.executor.flash(image(base, data), options: options)
        #expect(rig.board.statistics.sectorErases == 0 && rig.board.statistics.pagePrograms == 0)
        #expect(summary.skippedShare == 1)
        #expect(summary.wire.bytesToDevice == 0)
        // The size probe (1 KiB at 0, 64 KiB, ... 2 MiB, where it wraps), one first-page probe that
        // cannot decide, then the eight sectors whole in two 16 KiB reads.
        #expect(summary.wire.bytesToHost == aliasingProbe + 32 * 1024 + 256)
        #expect(summary.plan.checkCommands == 3)
        #expect(summary.plan.check == .probeThenRead)
        options.plan.probeFirstPage = false
        let plain = try rig.executor.flash(image(base, data), options: options)
        #expect(plain.wire.bytesToHost == aliasingProbe + 32 * 1024)
        #expect(plain.plan.check == .readBack)
    }

    @Test func probeSettlesAnEraseWithoutReadingTheSector() throws {
        let rig = Rig()
        rig.board.preload(flashAt: base, pattern(16 * 4096, seed: 1))
        var options = FlashOptions()
        options.reboot = false
        options.plan.verify = false
        let summary = try rig.executor.flash(image(base, pattern(16 * 4096, seed: 2)), options: options)
        #expect(summary.wire.bytesToHost == aliasingProbe + 16 * 256)
        #expect(summary.plan.sectorsToErase.count == 16)
        #expect(rig.flashBytes(base, 16 * 4096) == pattern(16 * 4096, seed: 2))
    }

    @Test func checkSwitchesBetweenProbesAndBulkReads() throws {
        let rig = Rig()
        let new = pattern(16 * 4096, seed: 2)
        // Sectors 0-7 hold another program, sectors 8-15 already hold the image.
        rig.board.preload(flashAt: base, Array(pattern(8 * 4096, seed: 1)) + Array(new[(8 * 4096)...]))
        var options = FlashOptions()
        options.reboot = false
        options.plan.verify = false
        let summary = try rig.executor.flash(image(base, new), options: options)
        // Eight settling probes, one undecided probe, then sectors 8-15 in two bulk reads.
        #expect(summary.plan.checkCommands == 8 + 1 + 2)
        #expect(summary.plan.checkedBytes == 9 * 256 + 8 * 4096)
        #expect(summary.plan.sectors.map(\.action) == [SectorAction](repeating: .eraseAndProgram, count: 8) + [SectorAction](repeating: .skip, count: 8))
        #expect(rig.flashBytes(base, new.count) == new)

        // And back: identical first, different afterwards; a bulk run that sees settling sectors resumes probing.
        let back = Rig()
        back.board.preload(flashAt: base, Array(new[..<(4 * 4096)]) + pattern(12 * 4096, seed: 9))
        let second = try back.executor.flash(image(base, new), options: options)
        // One undecided probe, a bulk read of sectors 0-3 (identical: stay bulk), a bulk read of
        // sectors 4-7 (different: probing resumes), then eight settling probes for sectors 8-15.
        #expect(second.plan.checkCommands == 1 + 1 + 1 + 8)
        #expect(back.flashBytes(base, new.count) == new)
    }

    @Test func withoutSkipOnlyPartialSectorsAreRead() throws {
        let rig = Rig()
        var options = FlashOptions()
        options.reboot = false
        options.plan.skipUnchanged = false
        let summary = try rig.executor.flash(image(base, pattern(4096 + 100)), options: options)
        #expect(summary.plan.check == .none)
        #expect(summary.plan.checkedBytes == 4096)
        #expect(summary.plan.sectors.map(\.action) == [.eraseAndProgram, .program])
    }

    @Test func oneChangedSectorErasesOnlyIt() throws {
        let rig = Rig()
        let old = bootableImage(size: 64 * 1024)
        rig.board.preload(flashAt: base, old)
        var new = old
        new[5 * 4096 + 100] ^= 0xFF
        var options = FlashOptions()
        options.reboot = false
        let summary = try rig.executor.flash(image(base, new), options: options)
        #expect(rig.board.statistics.sectorErases == 1)
        #expect(rig.board.statistics.pagePrograms == 16)
        #expect(rig.flashBytes(base, new.count) == new)
        #expect(summary.plan.sectorsSkipped == 15)
        #expect(rig.board.statistics.flashOperationsInXIPMode == 0)
    }

    @Test func partialSectorKeepsTheUsersBytesOnTheDevice() throws {
        let rig = Rig()
        let user = pattern(8192, seed: 42)
        rig.board.preload(flashAt: base + 0x1_0000, user)
        let data = pattern(1000, seed: 43)
        var options = FlashOptions()
        options.reboot = false
        try rig.executor.flash(image(base + 0x1_0400, data), options: options)
        var expected = user
        expected.replaceSubrange(0x400..<(0x400 + 1000), with: data)
        #expect(rig.flashBytes(base + 0x1_0000, 8192) == expected)
    }

    @Test func eventsComeInTheDocumentedOrder() throws {
        let rig = Rig()
        rig.board.preload(flashAt: base, pattern(8192, seed: 2))
        try rig.executor.flash(image(base, pattern(8192, seed: 3)))
        let kinds = rig.events.map { event -> String in
            switch event {
            case .started: "started"
            case .progress(let phase, _, _): phase.rawValue
            case .planned: "planned"
            case .rebooting: "rebooting"
            case .finished: "finished"
            }
        }
        // Consecutive progress events of one phase collapse into one entry.
        let phases = kinds.enumerated().filter { $0.offset == 0 || kinds[$0.offset - 1] != $0.element }.map(\.element)
        #expect(phases == ["started", "check", "planned", "erase", "write", "verify", "rebooting", "finished"])
        for case .progress(_, let done, let total) in rig.events { #expect(done <= total) }
        let lastOfPhase = rig.events.enumerated().compactMap { index, event -> (UInt64, UInt64)? in
            guard case .progress(let phase, let done, let total) = event else { return nil }
            if index + 1 < rig.events.count, case .progress(phase, _, _) = rig.events[index + 1] { return nil }
            return (done, total)
        }
        #expect(lastOfPhase.count == 4 && lastOfPhase.allSatisfy { $0.0 == $0.1 })
    }

    @Test func theCheckTotalIsFixedWhileProbesSettleSectors() throws {
        // Sectors 0-1 differ in their first page (probes settle them), 2-3 hold the image (read whole):
        // the probing check adapts, and its progress keeps one total.
        let rig = Rig()
        let old = pattern(16384, seed: 5)
        var new = pattern(16384, seed: 6)
        new.replaceSubrange(8192..<16384, with: old[8192..<16384])
        rig.board.preload(flashAt: base, old)
        var options = FlashOptions()
        options.reboot = false
        try rig.executor.flash(image(base, new), options: options)
        let check = rig.events.compactMap { event -> (UInt64, UInt64)? in
            if case .progress(.check, let done, let total) = event { (done, total) } else { nil }
        }
        #expect(!check.isEmpty && Set(check.map(\.1)) == [16384], "\(check)")
        #expect(zip(check, check.dropFirst()).allSatisfy { $0.0 <= $1.0 } && check.last?.0 == 16384, "\(check)")
    }

    @Test func dryRunChangesNothing() throws {
        let rig = Rig()
        var options = FlashOptions()
        options.dryRun = true
        let summary = try rig.executor.flash(image(base, pattern(4096)), options: options)
        #expect(summary.plan.pageCount == 16)
        #expect(rig.board.statistics.pagePrograms == 0)
        #expect(!summary.rebooted)
        #expect(summary.dryRun && summary.description.contains("nothing was changed"))
        #expect(rig.board.flash.prefix(4096).allSatisfy { $0 == 0xFF })
    }

    @Test func ramImageOnRP2040RebootsWithPCAndSP() throws {
        let rig = Rig()
        let code = pattern(3000, seed: 11)
        let summary = try rig.executor.flash(image(0x2000_0000, code))
        #expect(Array(rig.board.sram.prefix(3000)) == code)
        #expect(summary.plan.kind == .ram)
        #expect(rig.board.events.contains(.rebooted(target: .ramImage(entry: 0x2000_0000))))
        #expect(rig.board.statistics.sectorErases == 0)
    }

    @Test func ramImageOnRP2350UsesReboot2() throws {
        let rig = Rig(chip: .rp2350)
        try rig.executor.flash(image(0x2000_1000, pattern(512)))
        #expect(rig.board.events.contains(.rebooted(target: .ramImage(entry: 0x2000_1000))))
        #expect(rig.executor.connection.statistics.commandsByID[Reboot2.id.rawValue] == 1)
    }

    @Test func rp2350FlashRebootsWithReboot2() throws {
        let rig = Rig(chip: .rp2350)
        try rig.executor.flash(image(base, pattern(4096)))
        #expect(rig.board.events.contains(.rebooted(target: .application)))
        #expect(rig.executor.connection.statistics.commandsByID[Reboot.id.rawValue] == nil)
    }

    @Test func familyMismatchIsRefusedBeforeTouchingTheBoard() throws {
        let rig = Rig(chip: .rp2350)
        var options = FlashOptions()
        options.family = .rp2040
        #expect(throws: FlashError.familyMismatch(image: .rp2040, board: .rp2350)) {
            try rig.executor.flash(image(base, pattern(256)), options: options)
        }
        #expect(rig.board.statistics.commands == 0)
        options.force = true
        try rig.executor.flash(image(base, pattern(256)), options: options)
        #expect(rig.board.statistics.pagePrograms == 1)
    }

    @Test func readEraseAndFlashSize() throws {
        let rig = Rig(flashSize: 1 << 20)
        let data = pattern(8192, seed: 5)
        rig.board.preload(flashAt: base, data)
        #expect(try rig.executor.read(AddressRange(start: base, end: UInt64(base) + 8192), chunk: 3000) == data)
        // An unaligned start reads from its page and drops the lead.
        #expect(try rig.executor.read(AddressRange(start: base + 13, end: UInt64(base) + 5000)) == Array(data[13..<5000]))
        #expect(try rig.executor.verify(image(base + 77, Array(data[77..<3000]))).matches)
        #expect(try rig.executor.guessFlashSize() == .size(1 << 20))
        try rig.executor.erase(AddressRange(start: base, end: UInt64(base) + 4096))
        #expect(rig.flashBytes(base, 4096).allSatisfy { $0 == 0xFF })
        #expect(rig.flashBytes(base + 4096, 4096) == Array(data[4096...]))
        #expect(throws: FlashError.self) { try rig.executor.erase(AddressRange(start: base + 1, end: UInt64(base) + 4097)) }
        let blank = Rig()
        #expect(try blank.executor.guessFlashSize() == .undetermined)
    }

    @Test func rebootTargets() throws {
        #expect(throws: FlashError.unsupported(operation: "rebooting into BOOTSEL over PICOBOOT", chip: .rp2040)) {
            try Rig().executor.reboot(.bootsel)
        }
        let rig = Rig(chip: .rp2350)
        try rig.executor.reboot(.bootsel)
        #expect(rig.board.events.last == .rebooted(target: .bootsel))
        rig.board.completeReboot()
        #expect(rig.board.mode == .bootsel)
    }
}

@Suite struct VerifyTests {
    let base: UInt32 = 0x1000_0000

    @Test func verifyReportsMismatchesInOrder() throws {
        let rig = Rig()
        let data = pattern(5000, seed: 8)
        rig.board.preload(flashAt: base, data)
        #expect(try rig.executor.verify(image(base, data)).matches)
        rig.board.preload(flashAt: base + 10, [data[10] ^ 1])
        rig.board.preload(flashAt: base + 4999, [data[4999] ^ 2])
        let report = try rig.executor.verify(image(base, data), limit: 1, chunk: 1024)
        #expect(report.mismatchCount == 2 && report.bytesCompared == 5000)
        #expect(report.firstMismatches == [.init(address: base + 10, expected: data[10], actual: data[10] ^ 1)])
        #expect(rig.board.exclusiveAccess == .shared)
    }

    @Test func anImageThatRefersToItsFileIsComparedPieceByPiece() throws {
        // A BIN read through a source: verify reads the file one chunk at a time, never whole.
        final class Counting: ImageSource, @unchecked Sendable {  // used by one test thread only
            let bytes: [UInt8]
            var largest = 0, total = 0
            init(_ bytes: [UInt8]) { self.bytes = bytes }
            var size: Int { bytes.count }
            func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) {
                bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
                largest = max(largest, buffer.count)
                total += buffer.count
            }
        }
        let rig = Rig()
        let data = pattern(200_000, seed: 3)
        rig.board.preload(flashAt: base, data)
        let source = Counting(data)
        let file = try FirmwareFile.read(source: source, type: .bin)
        let report = try rig.executor.verify(file.image, chunk: 4096)
        #expect(report.matches && report.bytesCompared == data.count)
        #expect(source.largest <= 4096 && source.total <= data.count + 4096)
    }
}

@Suite struct SystemInfoOperationTests {
    @Test func rp2350AnswersChipInformation() throws {
        let rig = Rig(chip: .rp2350)
        let info = try rig.executor.systemInfo()
        #expect(info.items == .standard)
        #expect(info.chip?.device == UInt32(truncatingIfNeeded: rig.board.uniqueID))
        #expect(info.boot?.count == 4)
        #expect(throws: FlashError.unsupported(operation: "GET_INFO", chip: .rp2040)) { try Rig().executor.systemInfo() }
    }
}
