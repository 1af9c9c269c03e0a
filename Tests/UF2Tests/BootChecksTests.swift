import Testing
@testable import UF2

/// Will the bootrom start it: boot2 CRC, vector table, RP2350 IMAGE_DEF (`BootChecks`, and the
/// validator that runs them per family).
@Suite struct BootChecksTests {
    static func words(_ ws: [UInt32]) -> [UInt8] { ws.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } } }

    /// An RP2040 flash image: boot2 with its CRC, then `sp` and `reset` at 0x10000100, 1 KiB in all.
    static func rp2040(sp: UInt32 = 0x2004_2000, reset: UInt32 = 0x1000_0201, boot2Valid: Bool = true) throws -> MemoryImage {
        var boot2 = Boot2.sealed([UInt8](repeating: 0x42, count: 252))
        if !boot2Valid { boot2[252] ^= 1 }
        let bytes = boot2 + words([sp, reset]) + [UInt8](repeating: 0, count: 1024 - 264)
        return try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: bytes)])
    }

    /// An RP2350 image: vector table at the start, optionally an IMAGE_DEF (exe, Arm, secure) at 0x20.
    static func rp2350(imageDef: Bool, sp: UInt32 = 0x2008_2000) throws -> MemoryImage {
        var bytes = words([sp, 0x1000_0101]) + [UInt8](repeating: 0, count: 0x18)
        if imageDef { bytes += words([MetadataBlock.startMarker, 0x42 | 1 << 8 | 0x1021 << 16, 0xff | 1 << 8, 0, MetadataBlock.endMarker]) }
        bytes += [UInt8](repeating: 0, count: 1024 - bytes.count)
        return try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: bytes)])
    }

    func rules(_ image: MemoryImage, _ chip: Chip) -> [String] { BootChecks.check(image, chip: chip).map(\.rule) }

    @Test func aBootableRP2040ImagePasses() throws {
        #expect(rules(try Self.rp2040(), .rp2040) == [])
        #expect(rules(try Self.rp2040(sp: 0x2000_1000), .rp2040) == [], "any stack pointer inside SRAM")
    }

    @Test func rp2040Boot2AndVectorTable() throws {
        #expect(rules(try Self.rp2040(boot2Valid: false), .rp2040) == ["boot2-crc"])
        #expect(BootChecks.check(try Self.rp2040(boot2Valid: false), chip: .rp2040, boot2: false).isEmpty)
        let sp = BootChecks.check(try Self.rp2040(sp: 0x1000_0000), chip: .rp2040)
        #expect(sp.map(\.rule) == ["vector-table"] && sp[0].message.contains("stack pointer") && sp[0].address == 0x1000_0100)
        let thumb = BootChecks.check(try Self.rp2040(reset: 0x1000_0200), chip: .rp2040)
        #expect(thumb.count == 1 && thumb[0].message.contains("Thumb bit"))
        let outside = BootChecks.check(try Self.rp2040(reset: 0x1010_0001), chip: .rp2040)
        #expect(outside.count == 1 && outside[0].message.contains("outside the image"))
        let short = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: Boot2.sealed([UInt8](repeating: 1, count: 252)))])
        #expect(rules(short, .rp2040) == ["vector-table"])
    }

    @Test func onlyImagesAtTheStartOfFlashAreJudged() throws {
        let data = try MemoryImage(segments: [.init(address: 0x1001_0000, bytes: [UInt8](repeating: 0x55, count: 4096))])
        #expect(rules(data, .rp2040) == [] && rules(data, .rp2350) == [])
        let ram = try MemoryImage(segments: [.init(address: 0x2000_0000, bytes: [UInt8](repeating: 0x55, count: 256))])
        #expect(rules(ram, .rp2040) == [])
    }

    @Test func rp2350NeedsAnImageDef() throws {
        let missing = BootChecks.check(try Self.rp2350(imageDef: false), chip: .rp2350)
        #expect(missing.map(\.rule) == ["rp2350-image-def"] && missing[0].message.contains("will not boot"))
        #expect(rules(try Self.rp2350(imageDef: true), .rp2350) == [])
        #expect(rules(try Self.rp2350(imageDef: true, sp: 0), .rp2350) == ["vector-table"])
    }

    @Test func theValidatorRunsThemPerFamily() throws {
        let bad = try SDKConversion.binToUF2(try Self.rp2040(reset: 0x1000_0200).segments[0].bytes, family: .rp2040)
        let report = UF2Validator.validate(bad)
        #expect(!report.isValid() && report.errors.map(\.rule) == ["vector-table"])
        #expect(report.errors[0].message.hasPrefix("rp2040"))
        let good = UF2Validator.validate(try SDKConversion.binToUF2(try Self.rp2040().segments[0].bytes, family: .rp2040))
        #expect(good.isValid(strict: true), "\(good.findings)")
        let rp2350 = UF2Validator.validate(try SDKConversion.binToUF2(try Self.rp2350(imageDef: false).segments[0].bytes, family: .rp2350ArmS))
        #expect(rp2350.errors.map(\.rule) == ["rp2350-image-def"])
    }
}
