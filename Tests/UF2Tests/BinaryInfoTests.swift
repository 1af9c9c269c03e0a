import Testing
@testable import UF2

@Suite struct BinaryInfoTests {
    @Test func decodesEveryEntryOfAnSDKLikeImage() throws {
        let file = try FirmwareFile.read(bytes: SDKLikeImage.elf())
        #expect(file.format == .elf && file.family == .rp2040 && file.kind == .flash && file.conversionProblem == nil)
        let info = try #require(BinaryInfo.decode(file.image, chip: .rp2040))
        #expect(info.headerAddress == 0x1000_01c0)
        #expect(info.programName == "sdk-like")
        #expect(info.programVersion == "1.2.3")  // a RAM pointer resolved through the copy table
        #expect(info.features == ["USB stdio", "UART stdio"])
        #expect(info.buildDate == "Nov 29 2026")
        #expect(info.binaryStart == 0x1000_0000 && info.binaryEnd == 0x1000_1100)
        #expect(info.copyTable == [.init(source: 0x1000_1000, destinationStart: 0x2000_0000, destinationEnd: 0x2000_0100)])
        #expect(info.pins.map(\.rangesText) == ["0", "1", "2-5", "25"])
        #expect(info.pins.map(\.label) == ["UART0 TX", "UART0 RX", "SIO", "LED"])
        #expect(info.namedGroups.count == 1 && info.namedGroups[0].label == "settings")
        #expect(info.namedGroups[0].members == ["baud = 115200"])
        #expect(info.blockDevices == [.init(name: "fs", address: 0x101f_0000, size: 0x1_0000, flags: 3)])
        #expect(info.unknownEntries.isEmpty && info.otherValues.isEmpty)
    }

    @Test func survivesTheUF2RoundTrip() throws {
        let uf2 = try SDKConversion.elfToUF2(try ELFFile(bytes: SDKLikeImage.elf()), family: .rp2040)
        let file = try FirmwareFile.read(bytes: uf2)
        let info = try #require(BinaryInfo.decode(file.image, chip: file.chip))
        #expect(info.programVersion == "1.2.3" && info.pins.count == 4)
        #expect(Boot2(image: file.image)?.isValid == true)
    }

    @Test func pinNamesSplitOnBarsAndCollapse() throws {
        // pins_with_name "D0|D1|D2" over mask 0b111, and two entries naming the same pin.
        var w = ByteWriter()
        w.words([BinaryInfo.markerStart, 0x2000_0040, 0x2000_004c, 0x2000_0080, BinaryInfo.markerEnd])
        w.bytes += [UInt8](repeating: 0, count: 0x40 - w.bytes.count)
        w.words([0x2000_0050, 0x2000_0060, 0x2000_0070])  // entry pointers
        w.bytes += [UInt8](repeating: 0, count: 0x50 - w.bytes.count)
        w.words([9 | 0x5052 << 16, 0b111, 0x2000_0090, 0])
        w.words([9 | 0x5052 << 16, 0b1000_0000_0000, 0x2000_00a0, 0])
        w.words([9 | 0x5052 << 16, 0b1000_0000_0000, 0x2000_00a8, 0])
        w.words([0, 0, 0])  // empty copy table at 0x20000080
        w.bytes += [UInt8](repeating: 0, count: 0x90 - w.bytes.count)
        w.bytes += Array("D0|D1|D2".utf8) + [0] + [UInt8](repeating: 0, count: 7)
        w.bytes += Array("SCK".utf8) + [0, 0, 0, 0, 0] + Array("CLK".utf8) + [0]
        let image = try MemoryImage(segments: [.init(address: 0x2000_0000, bytes: w.bytes)])
        let info = try #require(BinaryInfo.decode(image, chip: .rp2040))
        #expect(info.pins.map(\.label) == ["D0", "D1", "D2", "SCK, CLK"])
        #expect(info.pins.last?.pins == [11])
        #expect(BinaryInfo.rangesText([0, 1, 2, 5, 7, 8]) == "0-2, 5, 7-8")
    }

    @Test func pinFunctionNames() {
        // Spot checks against picotool's tables.
        #expect(PinFunctions.name(function: 2, pin: 4, rp2040: true) == "UART1 TX")
        #expect(PinFunctions.name(function: 2, pin: 9, rp2040: true) == "UART1 RX")
        #expect(PinFunctions.name(function: 2, pin: 12, rp2040: true) == "UART0 TX")
        #expect(PinFunctions.name(function: 2, pin: 29, rp2040: true) == "UART0 RX")
        #expect(PinFunctions.name(function: 1, pin: 18, rp2040: true) == "SPI0 SCK")
        #expect(PinFunctions.name(function: 1, pin: 27, rp2040: true) == "SPI1 TX")
        #expect(PinFunctions.name(function: 3, pin: 7, rp2040: true) == "I2C1 SCL")
        #expect(PinFunctions.name(function: 4, pin: 17, rp2040: true) == "PWM0 B")
        #expect(PinFunctions.name(function: 8, pin: 21, rp2040: true) == "CLOCK GPOUT0")
        #expect(PinFunctions.name(function: 9, pin: 5, rp2040: true) == "USB VBUS EN")
        #expect(PinFunctions.name(function: 0, pin: 3, rp2040: true) == "Unknown pin function 0")
        #expect(PinFunctions.name(function: 2, pin: 30, rp2040: true) == "Unknown pin function 2")
        #expect(PinFunctions.name(function: 4, pin: 33, rp2040: false) == "PWM8 B")
        #expect(PinFunctions.name(function: 4, pin: 42, rp2040: false) == "PWM9 A")
        #expect(PinFunctions.name(function: 2, pin: 37, rp2040: false) == "UART1 RX")
        #expect(PinFunctions.name(function: 0, pin: 12, rp2040: false) == "HSTX0")
        #expect(PinFunctions.name(function: 0, pin: 2, rp2040: false) == "JTAG TDI")
        #expect(PinFunctions.name(function: 9, pin: 47, rp2040: false) == "XIP CS1")
        #expect(PinFunctions.name(function: 11, pin: 10, rp2040: false) == "UART1 TX")
        #expect(PinFunctions.name(function: 11, pin: 9, rp2040: false) == "Unknown pin function 11")
        #expect(PinFunctions.name(function: 15, pin: 0, rp2040: true) == "Unknown pin function 15")
    }

    @Test func noHeaderMeansNoInfo() throws {
        let image = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: [UInt8](repeating: 0xff, count: 1024))])
        #expect(BinaryInfo.decode(image, chip: .rp2040) == nil)
        #expect(BinaryInfo.decode(MemoryImage()) == nil)
    }
}

@Suite struct Boot2AndImageDefinitionTests {
    @Test func crc32MPEG2CheckValue() {
        #expect(Boot2.crc32MPEG2(Array("123456789".utf8)[...]) == 0x0376_E6E7)
        let sealed = Boot2.sealed([UInt8](repeating: 0xAB, count: 252))
        #expect(Boot2(bytes: sealed)?.isValid == true)
        var broken = sealed
        broken[10] ^= 1
        #expect(Boot2(bytes: broken)?.isValid == false)
    }

    @Test func elfFamilyComesFromItsSegmentsWithoutCopyingThem() throws {
        // IMAGE_DEF (Arm, non-secure) in a second segment inside the search window, after a large first one.
        var w = ByteWriter()
        w.words([MetadataBlock.startMarker, 0x1011_0142, 0x0000_01ff, 0, MetadataBlock.endMarker])
        let big = [UInt8](repeating: 0, count: 0x100)
        let elf = ELFBuilder(entry: 0x1000_0001, segments: [
            .init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: big),
            .init(vaddr: 0x1000_0400, paddr: 0x1000_0400, data: w.bytes + [UInt8](repeating: 7, count: 100_000)),
        ]).build()
        let file = try FirmwareFile.read(bytes: elf)
        #expect(file.family == .rp2350ArmNS)
        let all = try ELFFile(bytes: elf).memoryImage()
        #expect(file.family == FirmwareFile.guessFamily(image: all, machine: .arm))
        // Addresses only RP2350 has.
        let high = ELFBuilder(entry: 0x1100_0001, segments: [.init(vaddr: 0x1100_0000, paddr: 0x1100_0000, data: big)]).build()
        #expect(try FirmwareFile.read(bytes: high).family == .rp2350ArmS)
    }

    @Test func decodesTheSDKImageDefinition() throws {
        // The block the SDK embeds in RP2350 Arm secure executables, after a 0x110-byte vector table.
        var w = ByteWriter()
        w.bytes = [UInt8](repeating: 0, count: 0x110)
        w.words([MetadataBlock.startMarker, 0x1021_0142, 0x0000_01ff, 0, MetadataBlock.endMarker])
        let image = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: w.bytes)])
        let block = try #require(MetadataBlock.find(in: image))
        #expect(block.address == 0x1000_0110 && block.link == 0)
        #expect(block.items.map(\.name) == ["image type"])
        let type = try #require(block.imageType)
        #expect(type.imageType == "exe" && type.chip == "rp2350" && type.cpu == "arm" && type.security == "secure")
        #expect(block.impliedFamily == .rp2350ArmS)
        #expect(FirmwareFile.guessFamily(image: image, machine: .arm) == .rp2350ArmS)
        // RISC-V: cpu bits 0x100.
        var r = ByteWriter()
        r.words([MetadataBlock.startMarker, 0x1101_0142, 0x0000_01ff, 0, MetadataBlock.endMarker])
        let riscv = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: r.bytes)])
        #expect(MetadataBlock.find(in: riscv)?.impliedFamily == .rp2350RiscV)
        // A wrong last-item size is not a block.
        var bad = ByteWriter()
        bad.words([MetadataBlock.startMarker, 0x1021_0142, 0x0000_02ff, 0, MetadataBlock.endMarker])
        #expect(MetadataBlock.find(in: try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: bad.bytes)])) == nil)
    }
}
