import Testing
@testable import UF2

@Suite struct ConversionTests {
    @Test func streamedFlattenAndWriterGiveTheArrayBytes() throws {
        let image = try MemoryImage(segments: [.init(address: 0x1000_0010, bytes: [1, 2, 3]),
                                               .init(address: 0x1002_0000, bytes: [UInt8](repeating: 9, count: 70_000))])
        var flat: [UInt8] = []
        SDKConversion.flatten(image, fill: 0xee) { flat.append(contentsOf: $0) }
        #expect(flat == (try SDKConversion.flatten(image, fill: 0xee).bytes))
        var blocks: [UInt8] = []
        let pages = UF2Writer.pageAddresses(of: image, completeSectors: true)
        try UF2Writer.write(image, pages: pages, options: .init(family: .rp2350ArmS, absoluteBlockAddress: 0x10ff_ff00), chunkBlocks: 7) {
            blocks.append(contentsOf: $0)
        }
        #expect(blocks == (try UF2Writer.write(image, options: .init(family: .rp2350ArmS, completeSectors: true, absoluteBlockAddress: 0x10ff_ff00))))
    }

    @Test func elfToUF2MatchesTheSDKAlgorithm() throws {
        let bytes = SDKLikeImage.elf()
        let elf = try ELFFile(bytes: bytes)
        let ours = try SDKConversion.elfToUF2(elf, family: .rp2040)
        let reference = ReferenceConverter.elfToUF2(bytes, family: Family.rp2040.rawValue, flash: true)
        #expect(ours == reference)
        // 7 pages of flash, completed to 16 in sector 0, plus the .data page at 0x10001000.
        #expect(ours.count == 17 * 512)
        let last = UF2Block(decoding: ours, at: 16 * 512)
        #expect(last.targetAddress == 0x1000_1000 && last.blockNumber == 16 && last.blockCount == 17)
        let padding = UF2Block(decoding: ours, at: 9 * 512)
        #expect(padding.targetAddress == 0x1000_0900 && padding.data.allSatisfy { $0 == 0 })
        #expect(last.data[0..<5] == ArraySlice(Array("1.2.3".utf8)))
    }

    @Test func sectorCompletionStopsAtTheLastPage() throws {
        // Bytes at 0x10000000 and 0x10002300: sector 2 gets pages 0x10002000..0x10002300 only.
        let bytes = ELFBuilder(entry: 0x1000_0001, segments: [
            .init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: [1, 2, 3, 4]),
            .init(vaddr: 0x1000_2310, paddr: 0x1000_2310, data: [5]),
        ]).build()
        let out = try SDKConversion.elfToUF2(try ELFFile(bytes: bytes), family: .rp2040)
        let addresses = stride(from: 0, to: out.count, by: 512).map { UF2Block(decoding: out, at: $0).targetAddress }
        let sector0: [UInt32] = (0..<16).map { (i: Int) -> UInt32 in 0x1000_0000 + UInt32(i) * 256 }
        let sector2: [UInt32] = (0..<4).map { (i: Int) -> UInt32 in 0x1000_2000 + UInt32(i) * 256 }
        #expect(addresses == sector0 + sector2)
        #expect(out == ReferenceConverter.elfToUF2(bytes, family: Family.rp2040.rawValue, flash: true))
        #expect(UF2Block(decoding: out, at: 19 * 512).data[0x10] == 5)
    }

    @Test func rp2350GetsTheAbsoluteBlockFirst() throws {
        let bytes = SDKLikeImage.elf()
        let out = try SDKConversion.elfToUF2(try ELFFile(bytes: bytes), family: .rp2350ArmS,
                                             absoluteBlockAddress: UF2Writer.defaultAbsoluteBlockAddress)
        #expect(out == ReferenceConverter.elfToUF2(bytes, family: Family.rp2350ArmS.rawValue, flash: true, absBlock: 0x10ff_ff00))
        let abs = UF2Block(decoding: out, at: 0)
        #expect(abs.isRP2350AbsoluteBlock && abs.flags.rawValue == 0xa000 && abs.targetAddress == 0x10ff_ff00)
        #expect(Array(out[32 + 256..<32 + 260]) == [0x04, 0xe3, 0x57, 0x99])
        // RP2040 never gets one, even when asked.
        let rp2040 = try SDKConversion.elfToUF2(try ELFFile(bytes: bytes), family: .rp2040, absoluteBlockAddress: 0x10ff_ff00)
        #expect(rp2040.count == 17 * 512)
    }

    @Test func ramImagesAreNotCompletedAndMustStartAtTheirEntry() throws {
        let good = ELFBuilder(entry: 0x2000_0001, segments: [
            .init(vaddr: 0x2000_0000, paddr: 0x2000_0000, data: [UInt8](repeating: 9, count: 300)),
            .init(vaddr: 0x2000_2000, paddr: 0x2000_2000, data: [1]),
        ]).build()
        let out = try SDKConversion.elfToUF2(try ELFFile(bytes: good), family: .rp2040)
        #expect(out.count == 3 * 512)
        #expect(out == ReferenceConverter.elfToUF2(good, family: Family.rp2040.rawValue, flash: false))
        var bad = ELFBuilder(entry: 0x2000_0101, segments: [.init(vaddr: 0x2000_0000, paddr: 0x2000_0000, data: [UInt8](repeating: 9, count: 300))])
        #expect(throws: FirmwareError.ramEntryPointNotLowest(entry: 0x2000_0101, expected: 0x2000_0001)) {
            try SDKConversion.elfToUF2(try ELFFile(bytes: bad.build()), family: .rp2040)
        }
        // The same image is fine for RP2350 (the rule is RP2040's).
        _ = try SDKConversion.elfToUF2(try ELFFile(bytes: bad.build()), family: .rp2350ArmS)
        bad.segments = [.init(vaddr: 0x1500_0000, paddr: 0x1500_0000, data: [1, 2])]
        bad.entry = 0x1500_0001
        #expect(throws: FirmwareError.ramEntryInXIPSRAM(entry: 0x1500_0001)) {
            try SDKConversion.elfToUF2(try ELFFile(bytes: bad.build()), family: .rp2040)
        }
    }

    @Test func clearErrors() throws {
        func convert(_ b: ELFBuilder, _ family: Family = .rp2040) throws -> [UInt8] {
            try SDKConversion.elfToUF2(try ELFFile(bytes: b.build()), family: family)
        }
        let outside = ELFBuilder(entry: 0x1000_0001, segments: [
            .init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: [1, 2, 3, 4]),
            .init(vaddr: 0x10ff_fff0, paddr: 0x10ff_fff0, data: [UInt8](repeating: 1, count: 32)),
        ])
        #expect(throws: FirmwareError.segmentOutsideMemory(address: 0x10ff_fff0, end: 0x1100_0010, chip: "rp2040")) { try convert(outside) }
        _ = try convert(outside, .rp2350ArmS)  // RP2350 flash window is 32 MiB
        let overlap = ELFBuilder(entry: 0x1000_0001, segments: [
            .init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: [1, 2, 3, 4]),
            .init(vaddr: 0x1000_0002, paddr: 0x1000_0002, data: [5]),
        ])
        #expect(throws: FirmwareError.overlappingSegments(address: 0x1000_0002, previousEnd: 0x1000_0004)) { try convert(overlap) }
        let ramContents = ELFBuilder(entry: 0x1000_0001, segments: [
            .init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: [1, 2, 3, 4]),
            .init(vaddr: 0x2000_0000, paddr: 0x2000_0000, data: [1]),
        ])
        #expect(throws: FirmwareError.contentsInUninitializedMemory(address: 0x2000_0000)) { try convert(ramContents) }
        let noEntry = ELFBuilder(entry: 0x1234, segments: [.init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: [1])])
        #expect(throws: FirmwareError.entryPointNotMapped(entry: 0x1234)) { try convert(noEntry) }
        #expect(throws: FirmwareError.elfWrongClass(2)) { try ELFFile(bytes: ELFBuilder(entry: 0, elfClass: 2, segments: []).build()) }
        #expect(throws: FirmwareError.elfWrongEndianness(2)) { try ELFFile(bytes: ELFBuilder(entry: 0, endianness: 2, segments: []).build()) }
        #expect(throws: FirmwareError.elfWrongMachine(62)) { try ELFFile(bytes: ELFBuilder(machine: 62, entry: 0, segments: []).build()) }
        var abi = ELFBuilder(entry: 0, segments: []).build()
        abi[7] = 97
        #expect(throws: FirmwareError.elfUnsupportedABI(97)) { try ELFFile(bytes: abi) }
        #expect(throws: FirmwareError.emptyImage) { try UF2Writer.write(MemoryImage(), options: .init(family: .rp2040)) }
        #expect(throws: FirmwareError.empty) { try SDKConversion.binToUF2([], family: .rp2040) }
    }

    @Test func riscVImagesAreAccepted() throws {
        let bytes = ELFBuilder(machine: 243, entry: 0x1000_0000, segments: [.init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: [0x13, 0, 0, 0])]).build()
        let file = try FirmwareFile.read(bytes: bytes)
        #expect(file.machine == .riscV && file.family == .rp2350RiscV && file.kind == .flash)
    }

    @Test func binToUF2PagesFromTheOffsetWithoutSectorCompletion() throws {
        let bin = (0..<600).map { UInt8(truncatingIfNeeded: $0) }
        let out = try SDKConversion.binToUF2(bin, address: 0x1000_1080, family: .rp2040)
        let blocks = stride(from: 0, to: out.count, by: 512).map { UF2Block(decoding: out, at: $0) }
        #expect(blocks.map(\.targetAddress) == [0x1000_1000, 0x1000_1100, 0x1000_1200])
        #expect(blocks[0].data[0x80] == 0 && blocks[0].data[0x81] == 1 && blocks[0].data[0x7f] == 0)
        #expect(blocks.allSatisfy { $0.blockCount == 3 && $0.flags == .familyIDPresent && $0.family == .rp2040 })
        // The same bytes through the ELF path would have had the sector completed before 0x10001000.
        let reread = try FirmwareFile.read(bytes: out)
        #expect(reread.image.segments.count == 1 && reread.image.lowestAddress == 0x1000_1000)
    }

    @Test func uf2ToBINFillsGapsAndRoundTrips() throws {
        let image = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: [1, 2]), .init(address: 0x1000_0200, bytes: [3])])
        let uf2 = try UF2Writer.write(image, options: .init(family: .rp2040))
        let file = try FirmwareFile.read(bytes: uf2)
        let flat = try SDKConversion.flatten(file.image, fill: 0xff)
        #expect(flat.address == 0x1000_0000 && flat.bytes.count == 0x300)
        #expect(flat.bytes[0] == 1 && flat.bytes[2] == 0 && flat.bytes[0x100] == 0xff && flat.bytes[0x200] == 3)
        let far = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: [1]), .init(address: 0x2000_0000, bytes: [2])])
        #expect(throws: FirmwareError.spanTooLarge(start: 0x1000_0000, end: 0x2000_0001, limit: SDKConversion.flattenLimit)) {
            try SDKConversion.flatten(far)
        }
        // BIN→UF2 of that BIN gives back pages with the same bytes.
        let again = try SDKConversion.binToUF2(flat.bytes, family: .rp2040)
        #expect(UF2Block(decoding: again, at: 0).data[0..<4] == [1, 2, 0, 0])
    }

    @Test func packageAddressMovesTheImage() throws {
        let bytes = SDKLikeImage.elf()
        let out = try SDKConversion.elfToUF2(try ELFFile(bytes: bytes), family: .rp2040, packageAddress: 0x1010_0000)
        #expect(UF2Block(decoding: out, at: 0).targetAddress == 0x1010_0000)
        #expect(UF2Block(decoding: out, at: 16 * 512).targetAddress == 0x1010_1000)
    }
}
