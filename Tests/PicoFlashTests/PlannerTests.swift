import Testing
import PicoBoot
@testable import PicoFlash
import UF2

/// Deterministic pseudo-random bytes.
func pattern(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed &* 2_654_435_761 | 1
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 17; state ^= state << 5
        return UInt8(truncatingIfNeeded: state)
    }
}

func image(_ address: UInt32, _ bytes: [UInt8]) -> MemoryImage {
    try! MemoryImage(segments: [.init(address: address, bytes: bytes)])
}

let blankSector = [UInt8](repeating: 0xFF, count: 4096)

@Suite struct PlannerTests {
    let chip = Chip.rp2040
    let base: UInt32 = 0x1000_0000

    @Test func blankDeviceNeedsNoErase() throws {
        let data = pattern(3 * 4096)
        let plan = try FlashPlanner.plan(image: image(base, data), chip: chip) { _ in .contents(blankSector) }
        #expect(plan.kind == .flash)
        #expect(plan.sectors.map(\.action) == [.program, .program, .program])
        #expect(plan.sectorsToErase.isEmpty)
        #expect(plan.pageCount == 48)
        #expect(plan.writeRuns.count == 1 && plan.writeRuns[0].size == 3 * 4096)
    }

    @Test func identicalDeviceIsSkipped() throws {
        let data = pattern(2 * 4096)
        let plan = try FlashPlanner.plan(image: image(base, data), chip: chip) { sector in
            let offset = Int(sector - 0x1000_0000)
            return .contents(Array(data[offset..<(offset + 4096)]))
        }
        #expect(plan.sectorsSkipped == 2)
        #expect(plan.pageCount == 0 && plan.bytesToWrite == 0 && plan.bytesToVerify == 0)
        #expect(plan.skippedShare == 1)
    }

    @Test func oneChangedSector() throws {
        let old = pattern(4 * 4096, seed: 1)
        var new = old
        new[2 * 4096 + 17] ^= 0x55
        let plan = try FlashPlanner.plan(image: image(base, new), chip: chip) { sector in
            let offset = Int(sector - 0x1000_0000)
            return .contents(Array(old[offset..<(offset + 4096)]))
        }
        #expect(plan.sectors.map(\.action) == [.skip, .skip, .eraseAndProgram, .skip])
        #expect(plan.eraseRuns.map(\.address) == [0x1000_2000])
        // After an erase every non-blank page is written again.
        #expect(plan.pageCount == 16)
        #expect(plan.bytesToVerify == 4096)
    }

    @Test func coveredSectorsKeepNoCopyOfTheImage() throws {
        // Three whole sectors and a partial one: only the partial sector holds its target; the
        // others are the image's bytes, read from the image when asked.
        let data = pattern(3 * 4096 + 100, seed: 6)
        let device = pattern(4096, seed: 7)
        let plan = try FlashPlanner.plan(image: image(base, data), chip: chip) { _ in .contents(device) }
        #expect(plan.sectors.map { $0.target == nil } == [true, true, true, false])
        for index in 0..<3 {
            #expect(plan.target(ofSector: index) == Array(data[(index * 4096)..<((index + 1) * 4096)]))
        }
        #expect(plan.target(at: base + 3 * 4096 + 99) == data[3 * 4096 + 99] && plan.target(at: base + 3 * 4096 + 100) == device[100])
        // The pages to program are a mask, not an array per sector: 8,192 sectors (32 MiB) plan in a few hundred KiB.
        #expect(plan.sectors.map(\.pageCount) == [16, 16, 16, 16])   // the partial sector's device bytes are written back
        #expect(plan.sectors[1].pages == (0..<16).map { base + 4096 + UInt32($0) * 256 })
        #expect(MemoryLayout<SectorPlan>.size <= 48)
    }

    @Test func partialSectorKeepsDeviceBytes() throws {
        let device = pattern(4096, seed: 9)
        let data = pattern(100, seed: 3)
        let plan = try FlashPlanner.plan(image: image(base + 0x200, data), chip: chip) { _ in .contents(device) }
        let sector = try #require(plan.sectors.first)
        #expect(sector.action == .eraseAndProgram)
        let target = try #require(sector.target)
        #expect(Array(target[0..<0x200]) == Array(device[0..<0x200]))
        #expect(Array(target[0x200..<0x264]) == data)
        #expect(Array(target[0x264...]) == Array(device[0x264...]))
        #expect(sector.pages.count == 16)   // the device's own pages are written back, never zero-filled
        #expect(sector.imageBytes == 100)
    }

    @Test func unalignedImageOnBlankPagesProgramsWithoutErase() throws {
        var device = blankSector
        device.replaceSubrange(0..<256, with: pattern(256, seed: 4))   // page 0 holds data, the rest is blank
        let data = pattern(300, seed: 5)
        let plan = try FlashPlanner.plan(image: image(base + 0x310, data), chip: chip) { _ in .contents(device) }
        let sector = try #require(plan.sectors.first)
        #expect(sector.action == .program)
        #expect(sector.pages == [base + 0x300, base + 0x400])
        #expect(plan.target(at: base + 0x30f) == 0xFF)
        #expect(plan.target(at: base + 0x310) == data[0])
        #expect(plan.target(at: base) == device[0])
    }

    @Test func unknownContentsEraseEverythingButPartialSectorsNeedARead() throws {
        let plan = try FlashPlanner.plan(image: image(base, pattern(4096)), chip: chip, check: .none) { _ in .unknown }
        #expect(plan.sectors.map(\.action) == [.eraseAndProgram])
        #expect(throws: FlashError.contentsNeeded(sector: base)) {
            try FlashPlanner.plan(image: image(base, pattern(100)), chip: chip) { _ in .unknown }
        }
    }

    @Test func crcKnowledge() throws {
        let data = pattern(2 * 4096)
        let crcs = [CRC32MPEG2.checksum(data[0..<4096]), CRC32MPEG2.checksum(blankSector)]
        let plan = try FlashPlanner.plan(image: image(base, data), chip: chip, check: .helperCRC) { sector in
            .crc32(crcs[Int(sector - 0x1000_0000) / 4096])
        }
        #expect(plan.sectors.map(\.action) == [.skip, .program])
        #expect(plan.check == .helperCRC)
    }

    @Test func crcMatchesTheBoot2Algorithm() {
        // CRC-32/MPEG-2 check value of "123456789".
        #expect(CRC32MPEG2.checksum(Array("123456789".utf8)) == 0x0376_E6E7)
    }

    @Test func ramImage() throws {
        let plan = try FlashPlanner.plan(image: image(0x2000_0000, pattern(1000)), chip: chip) { _ in .unknown }
        #expect(plan.kind == .ram)
        #expect(plan.entryPoint == 0x2000_0000)
        #expect(plan.bytesToWrite == 1000)
        #expect(plan.bytesToVerify == 1000)
        #expect(plan.sectors.isEmpty)
    }

    @Test func familyCheck() throws {
        #expect(throws: FlashError.familyMismatch(image: .rp2040, board: .rp2350)) {
            try FlashPlanner.checkFamily(.rp2040, chip: .rp2350, force: false)
        }
        try FlashPlanner.checkFamily(.rp2040, chip: .rp2350, force: true)
        try FlashPlanner.checkFamily(.rp2350ArmS, chip: .rp2350, force: false)
        try FlashPlanner.checkFamily(nil, chip: .rp2040, force: false)
        let message = FlashError.familyMismatch(image: .rp2040, board: .rp2350).description
        #expect(message.contains("rp2040") && message.contains("rp2350"))
    }

    @Test func refusedImages() throws {
        #expect(throws: FlashError.emptyImage) { try FlashPlanner.kind(of: MemoryImage(), chip: chip) }
        let mixed = try MemoryImage(segments: [.init(address: base, bytes: [1]), .init(address: 0x2000_0000, bytes: [2])])
        #expect(throws: FlashError.mixedFlashAndRAM(flashAddress: base, ramAddress: 0x2000_0000)) { try FlashPlanner.kind(of: mixed, chip: chip) }
        #expect(throws: FlashError.outsideMemory(address: 0x3000_0000, length: 4, chip: chip)) {
            try FlashPlanner.kind(of: image(0x3000_0000, [1, 2, 3, 4]), chip: chip)
        }
        var options = PlanOptions()
        options.flashSize = 4096
        #expect(throws: FlashError.beyondFlash(end: UInt64(base) + 8192, flashSize: 4096)) {
            try FlashPlanner.plan(image: image(base, pattern(8192)), chip: chip, options: options) { _ in .contents(blankSector) }
        }
    }

    @Test func runsRespectLimits() throws {
        var options = PlanOptions()
        options.maxErase = 8192
        options.maxTransfer = 4096
        let old = pattern(5 * 4096, seed: 7)
        let plan = try FlashPlanner.plan(image: image(base, pattern(5 * 4096, seed: 8)), chip: chip, options: options) { sector in
            let offset = Int(sector - 0x1000_0000)
            return .contents(Array(old[offset..<(offset + 4096)]))
        }
        #expect(plan.eraseRuns.map(\.size) == [8192, 8192, 4096])
        #expect(plan.writeRuns.count == 5)
        #expect(plan.verifyRuns.count == 5)
    }

    @Test func estimateAndSummary() throws {
        let plan = try FlashPlanner.plan(image: image(base, pattern(16 * 4096)), chip: chip, checkedBytes: 65536, checkCommands: 4) { _ in
            .contents(pattern(4096, seed: 99))
        }
        let estimate = plan.estimate()
        // 16 sector erases at 45 ms plus one command.
        #expect(estimate.erase == .milliseconds(45) * 16 + .microseconds(500))
        #expect(estimate.bytes == 65536 + 65536 + 65536)
        #expect(estimate.commands == 4 + 1 + 4 + 4)
        #expect(estimate.total > estimate.limit)
        let text = plan.summary()
        #expect(text.contains("16 sector(s) in 1 command(s)"))
        #expect(text.contains("256 page(s), 65536 bytes"))
        #expect(text.contains("skip:    0 sector(s)"))
    }
}
