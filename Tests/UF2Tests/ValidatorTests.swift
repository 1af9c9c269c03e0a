import Testing
@testable import UF2

@Suite struct ValidatorTests {
    func rules(_ report: UF2ValidationReport, _ severity: UF2ValidationReport.Finding.Severity) -> Set<String> {
        Set(report.findings.filter { $0.severity == severity }.map(\.rule))
    }

    @Test func sdkOutputIsValid() throws {
        let out = try SDKConversion.elfToUF2(try ELFFile(bytes: SDKLikeImage.elf(imageDef: true)), family: .rp2350ArmS, absoluteBlockAddress: 0x10ff_ff00)
        let report = UF2Validator.validate(out)
        #expect(report.isValid(strict: true))
        #expect(report.hasAbsoluteBlock)
        #expect(report.findings.map(\.rule) == ["rp2350-e10-absolute-block"])
        #expect(report.families.map(\.family) == [.rp2350ArmS] && report.families[0].blocks == 17)
    }

    @Test func magicsTruncationAndEmptiness() {
        var bytes = uf2([block(0x1000_0000, 0, of: 2), block(0x1000_0100, 1, of: 2)])
        bytes[512 + 508] ^= 0xff  // end magic of block 1
        bytes += [1, 2, 3]
        let report = UF2Validator.validate(bytes)
        let magic = report.findings.first { $0.rule == "bad-magic" }
        #expect(magic?.block == 1 && magic?.address == 0x1000_0100 && magic?.message.contains("end magic") == true)
        #expect(report.findings.contains { $0.rule == "truncated" && $0.block == 2 })
        #expect(report.findings.contains { $0.rule == "missing-block" && $0.message.contains(": 1;") })
        #expect(!report.isValid())
        #expect(rules(UF2Validator.validate([]), .error) == ["empty"])
        #expect(rules(UF2Validator.validate([UInt8](repeating: 0x55, count: 1024)), .error) == ["not-uf2"])
    }

    @Test func numberingAndCounts() {
        let report = UF2Validator.validate(uf2([
            block(0x1000_0000, 0, of: 4), block(0x1000_0100, 0, of: 4), block(0x1000_0200, 5, of: 4), block(0x1000_0300, 2, of: 3),
        ]))
        #expect(report.findings.contains { $0.rule == "duplicate-block" && $0.block == 1 && $0.address == 0x1000_0100 })
        #expect(report.findings.contains { $0.rule == "block-number" && $0.block == 2 })
        #expect(report.findings.contains { $0.rule == "block-count" && $0.block == 3 })
        #expect(report.findings.contains { $0.rule == "missing-block" && $0.message.contains("1, 3") })
        let absurd = UF2Validator.validate(uf2([block(0x1000_0000, 0, of: 0xffff_ffff)]))
        #expect(absurd.findings.contains { $0.rule == "block-count" && $0.message.contains("waits forever") })
    }

    @Test func payloadAlignmentFlagsAndFamilies() {
        var tagged = block(0x1000_1000, 0, of: 1, flags: [.familyIDPresent, .extensionTagsPresent])
        tagged.data.replaceSubrange(256..<264, with: [0x08, 0xbc, 0xc7, 0x9f, 1, 2, 3, 4])  // version tag, known
        let good = UF2Validator.validate(uf2([tagged]))
        #expect(good.isValid(strict: true))
        var badTag = tagged
        badTag.data.replaceSubrange(256..<260, with: [0x02, 0, 0, 0])
        #expect(rules(UF2Validator.validate(uf2([badTag])), .error) == ["extension-tags"])
        let report = UF2Validator.validate(uf2([
            block(0x1000_0000, 0, of: 1, size: 300),
            block(0x1000_0010, 0, of: 1, family: .rp2350ArmS),
            block(0x1000_0000, 0, of: 1, family: Family(rawValue: 0x1234_5678), size: 477),
            block(0x1000_0000, 0, of: 1, flags: [.familyIDPresent, .notMainFlash, .fileContainer]).with(family: .rp2350RiscV),
            UF2Block(flags: [], targetAddress: 0, payloadSize: 4, blockNumber: 0, blockCount: 1, familyOrFileSize: 99, data: []),
            block(0x1000_0000, 0, of: 1, flags: [.familyIDPresent, .fileContainer]).with(family: .rp2350RiscV),
        ]))
        #expect(report.findings.contains { $0.rule == "payload-size" && $0.block == 0 && $0.severity == .error })
        #expect(report.findings.contains { $0.rule == "alignment" && $0.block == 1 && $0.address == 0x1000_0010 })
        #expect(report.findings.contains { $0.rule == "payload-size" && $0.block == 2 })
        #expect(report.findings.contains { $0.rule == "unknown-family" && $0.block == 2 && $0.severity == .warning })
        // Flag 0x1: skipped before every other rule (its file-container flag is not looked at).
        #expect(report.findings.filter { $0.block == 3 }.map(\.rule) == ["not-main-flash"])
        #expect(report.findings.contains { $0.rule == "not-main-flash" && $0.severity == .info })
        #expect(report.notMainFlashBlocks == 1)
        #expect(report.findings.contains { $0.rule == "file-container" && $0.block == 5 })
        #expect(report.findings.contains { $0.rule == "no-family" && $0.block == 4 })
        #expect(report.findings.contains { $0.rule == "multiple-families" && $0.severity == .info })
        #expect(report.families.count == 5)
    }

    @Test func overlapsAndMemoryRanges() {
        let report = UF2Validator.validate(uf2([
            block(0x1000_0000, 0, of: 3), block(0x1000_0000, 1, of: 3), block(0x1100_0000, 2, of: 3),
        ]))
        #expect(report.findings.contains { $0.rule == "overlap" && $0.block == 1 && $0.address == 0x1000_0000 })
        #expect(report.findings.contains { $0.rule == "outside-memory" && $0.block == 2 && $0.address == 0x1100_0000 })
        // The same address is inside RP2350's 32 MiB window.
        let rp2350 = UF2Validator.validate(uf2([block(0x1100_0000, 0, of: 1, family: .rp2350ArmS)]))
        #expect(rp2350.isValid(strict: true))
    }

    @Test func rp2040SpecificRules() {
        // E14: sector 0 has 2 of 16 pages and is not the last sector.
        let e14 = UF2Validator.validate(uf2([block(0x1000_0000, 0, of: 3, fill: 0), block(0x1000_0100, 1, of: 3), block(0x1000_1000, 2, of: 3)]))
        #expect(e14.findings.contains { $0.rule == "rp2040-e14" && $0.block == 0 && $0.severity == .warning })
        #expect(e14.findings.contains { $0.rule == "boot2-crc" && $0.block == 0 })  // all-zero boot2 has the wrong CRC
        #expect(!e14.isValid())
        var good = block(0x1000_0000, 0, of: 2)
        good.data = Boot2.sealed([UInt8](repeating: 0x11, count: 252)) + [UInt8](repeating: 0, count: 220)
        var vectors = block(0x1000_0100, 1, of: 2)
        vectors.data = [0x00, 0x20, 0x04, 0x20, 0x81, 0x01, 0x00, 0x10] + [UInt8](repeating: 0, count: 468)  // sp 0x20042000, reset 0x10000181
        #expect(UF2Validator.validate(uf2([good, vectors])).isValid(strict: true))
        let mixed = UF2Validator.validate(uf2([block(0x2000_0100, 0, of: 3), block(0x2000_0000, 1, of: 3), block(0x1000_0000, 2, of: 3)]))
        #expect(mixed.findings.contains { $0.rule == "mixed-flash-ram" && $0.block == 2 })
        #expect(mixed.findings.contains { $0.rule == "ram-entry" && $0.severity == .warning })
        let xip = UF2Validator.validate(uf2([block(0x1500_0000, 0, of: 1)]))
        #expect(xip.findings.contains { $0.rule == "ram-entry" && $0.severity == .error })
    }

    @Test func absoluteBlockIsRecognisedNotReportedAsInconsistency() {
        let abs = UF2Writer.absoluteBlock(at: 0x10ff_ff00)
        let report = UF2Validator.validate(uf2([abs, block(0x1000_1000, 0, of: 1, family: .rp2350ArmS)]))
        #expect(report.isValid(strict: true))
        #expect(report.findings.map(\.rule) == ["rp2350-e10-absolute-block"])
        // An absolute-family block that is not the E10 block is checked like any other.
        var other = abs
        other.data[3] = 0
        let plain = UF2Validator.validate(uf2([other, block(0x1000_0000, 0, of: 1, family: .rp2350ArmS)]))
        #expect(plain.findings.contains { $0.rule == "missing-block" })
    }

    @Test func md5Area() {
        // The block's MD5 area covers its own first 64 bytes (0x10001000..0x10001040).
        var b = block(0x1000_1000, 0, of: 1, fill: 0x5a, flags: [.familyIDPresent, .md5Present])
        b.data.replaceSubrange(452..<460, with: [0x00, 0x10, 0x00, 0x10, 0x40, 0, 0, 0])
        b.data.replaceSubrange(460..<476, with: MD5.digest([UInt8](repeating: 0x5a, count: 64)[...]))
        let good = UF2Validator.validate(uf2([b]))
        #expect(good.findings.contains { $0.rule == "md5" && $0.severity == .info && $0.message.contains("matches") })
        #expect(good.isValid(strict: true))
        b.data[470] ^= 1
        #expect(UF2Validator.validate(uf2([b])).findings.contains { $0.rule == "md5" && $0.severity == .error && $0.block == 0 })
        b.data.replaceSubrange(452..<460, with: [0, 0, 0, 0x11, 0, 1, 0, 0])  // a region the file does not hold
        #expect(UF2Validator.validate(uf2([b])).findings.contains { $0.rule == "md5" && $0.severity == .info && $0.message.contains("only a device") })
        b.data.replaceSubrange(456..<460, with: [0, 0, 0, 0])
        #expect(UF2Validator.validate(uf2([b])).findings.contains { $0.rule == "md5" && $0.severity == .error })
    }

    @Test func streamingInAnyChunksGivesTheSameReport() {
        var good = block(0x1000_0000, 0, of: 3)
        good.data = Boot2.sealed([UInt8](repeating: 0x11, count: 252)) + [UInt8](repeating: 0, count: 220)
        var md5 = block(0x1000_1000, 2, of: 3, fill: 0x5a, flags: [.familyIDPresent, .md5Present])
        md5.data.replaceSubrange(452..<460, with: [0x00, 0x10, 0x00, 0x10, 0x40, 0, 0, 0])
        let files: [[UInt8]] = [
            uf2([good, block(0x1000_0100, 1, of: 3, flags: [.familyIDPresent, .notMainFlash]), block(0x1000_0100, 1, of: 3), md5]),
            uf2([block(0x1000_0000, 0, of: 3), block(0x2000_0000, 5, of: 2, family: .rp2350ArmS)]) + [1, 2, 3],
            uf2([UF2Writer.absoluteBlock(at: 0x10ff_ff00), block(0x1000_0000, 0, of: 1, family: .rp2350ArmS)]),
            [0x7f, 0x45, 0x4c, 0x46] + [UInt8](repeating: 0, count: 1020),
        ]
        for bytes in files {
            let whole = UF2Validator.validate(bytes)
            for size in [1, 7, 511, 512, 513, 4096] {
                var stream = UF2ValidationStream()
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + size, bytes.count)
                    bytes[offset..<end].withUnsafeBytes { stream.consume($0) }
                    offset = end
                }
                #expect(stream.finish(wholeFile: bytes) == whole, "chunks of \(size)")
            }
        }
        // Without the whole file, MD5 areas are only noted; the truncated block comes first, as before.
        var stream = UF2ValidationStream()
        files[1].withUnsafeBytes { stream.consume($0) }
        #expect(stream.finish().findings.first?.rule == "truncated")
        var withMD5 = UF2ValidationStream()
        files[0].withUnsafeBytes { withMD5.consume($0) }
        #expect(withMD5.needsWholeFile)
    }

    @Test func aStreamKeepsTwentyBytesPerBlock() {
        // 131,072 blocks (a 64 MiB UF2) keep 2.5 MiB: what bounds `uf2 validate`'s memory.
        #expect(MemoryLayout<UF2Validator.Header>.stride == 20)
    }

    @Test func md5KnownVectors() {
        func hex(_ s: String) -> String { UF2Validator.hexBytes(MD5.digest(Array(s.utf8)[...])) }
        #expect(hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(hex("The quick brown fox jumps over the lazy dog") == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(hex(String(repeating: "a", count: 1000)) == "cabe45dcc9ae5b66ba86600cca6b8ba8")
    }

    @Test func findingsAreCappedPerRule() {
        let many = uf2((0..<200).map { block(0x1000_0001 + UInt32($0) * 256, UInt32($0), of: 200) })
        let report = UF2Validator.validate(many)
        #expect(report.findings.filter { $0.rule == "alignment" }.count == UF2Validator.findingsPerRule + 1)
    }
}

extension UF2Block {
    func with(family: Family) -> UF2Block { var b = self; b.familyOrFileSize = family.rawValue; return b }
}
