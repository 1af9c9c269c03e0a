import Testing
@testable import UF2

/// A generated corpus of malformed files: nothing may crash; readers throw typed errors with evidence.
enum MalformedCorpus {
    /// Named malformed inputs.
    static func cases() -> [(name: String, bytes: [UInt8])] {
        var rng = SplitMix(state: 0x5eed)
        let good = (try? SDKConversion.elfToUF2(try ELFFile(bytes: SDKLikeImage.elf()), family: .rp2040)) ?? []
        let elf = SDKLikeImage.elf()
        var out: [(String, [UInt8])] = [("zero-length", [])]
        for cut in [1, 7, 31, 32, 100, 511, 513, 1000, good.count - 1] { out.append(("uf2-truncated-\(cut)", Array(good.prefix(cut)))) }
        for cut in [4, 16, 51, 52, 60, 84, 116, 200, elf.count - 1] { out.append(("elf-truncated-\(cut)", Array(elf.prefix(cut)))) }
        for word in [0, 1, 127] {
            var b = good
            b[word * 4 % 512] ^= 0x5a
            out.append(("uf2-bad-magic-\(word)", b))
        }
        func patched(_ offset: Int, _ value: UInt32) -> [UInt8] {
            var b = good
            b.replaceSubrange(offset..<(offset + 4), with: [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                                                            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)])
            return b
        }
        out.append(("uf2-absurd-count", patched(24, 0xffff_ffff)))
        out.append(("uf2-absurd-number", patched(20, 0x7fff_ffff)))
        out.append(("uf2-payload-4gib", patched(16, 0xffff_ffff)))
        out.append(("uf2-payload-477", patched(16, 477)))
        out.append(("uf2-address-top", patched(12, 0xffff_ff80)))
        out.append(("uf2-overlap", patched(512 + 12, 0x1000_0000)))
        out.append(("uf2-out-of-range", patched(12, 0x3000_0000)))
        out.append(("uf2-ext-tags-garbage", patched(8, 0xa000)))
        out.append(("uf2-all-flags", patched(8, 0xffff_ffff)))
        var elfBad = ELFBuilder(entry: 0x1000_0001, segments: [.init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: [1, 2, 3, 4])])
        elfBad.offsetOverride = [0: 0xffff_fff0]
        out.append(("elf-segment-offset-past-end", elfBad.build()))
        var hugeCount = elf
        hugeCount[44] = 0xff; hugeCount[45] = 0xff
        out.append(("elf-phnum-65535", hugeCount))
        var phoffPast = elf
        phoffPast.replaceSubrange(28..<32, with: [0xf0, 0xff, 0xff, 0xff])
        out.append(("elf-phoff-past-end", phoffPast))
        out.append(("elf-segment-wraps", ELFBuilder(entry: 0xffff_fff0, segments: [.init(vaddr: 0xffff_fff0, paddr: 0xffff_fff0, data: [UInt8](repeating: 1, count: 64))]).build()))
        for n in 0..<40 {
            let size = Int(rng.next() % 3000)
            var random = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if n % 4 == 1, random.count >= 8 { random.replaceSubrange(0..<8, with: [0x55, 0x46, 0x32, 0x0a, 0x57, 0x51, 0x5d, 0x9e]) }
            if n % 4 == 2, random.count >= 4 { random.replaceSubrange(0..<4, with: [0x7f, 0x45, 0x4c, 0x46]) }
            out.append(("random-\(n)", random))
        }
        // Random mutations of a good UF2 and a good ELF.
        for n in 0..<40 {
            var b = n % 2 == 0 ? good : elf
            for _ in 0..<(1 + Int(rng.next() % 16)) { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            out.append(("mutated-\(n)", b))
        }
        return out
    }
}

@Suite struct MalformedCorpusTests {
    @Test func nothingCrashesAndErrorsCarryEvidence() {
        for (name, bytes) in MalformedCorpus.cases() {
            for type in [nil] + FirmwareFile.Format.allCases.map(Optional.some) {
                do {
                    let file = try FirmwareFile.read(bytes: bytes, type: type)
                    _ = BinaryInfo.decode(file.image, chip: file.chip)
                    _ = MetadataBlock.find(in: file.image)
                    _ = Boot2(image: file.image)
                    if !file.image.isEmpty, let family = file.family {
                        _ = try? UF2Writer.write(file.image, options: .init(family: family, completeSectors: true, absoluteBlockAddress: 0x10ff_ff00))
                    }
                } catch {
                    #expect(!error.description.isEmpty, "\(name): empty message")
                }
            }
            let report = UF2Validator.validate(bytes)
            if name.hasPrefix("uf2-") || name == "zero-length" {
                #expect(!report.isValid(strict: true), "\(name) should not validate")
            }
        }
    }

    @Test func specificErrorsNameTheirEvidence() {
        #expect(throws: FirmwareError.empty) { try FirmwareFile.read(bytes: []) }
        #expect(throws: FirmwareError.noValidUF2Blocks(fileSize: 1024)) { try FirmwareFile.read(bytes: [UInt8](repeating: 0, count: 1024), type: .uf2) }
        let cases = Dictionary(MalformedCorpus.cases().map { ($0.name, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        #expect(throws: FirmwareError.elfSegmentPastEnd(index: 0, offset: 0xffff_fff0, size: 4, fileSize: cases["elf-segment-offset-past-end"]!.count)) {
            try FirmwareFile.read(bytes: cases["elf-segment-offset-past-end"]!)
        }
        #expect(throws: FirmwareError.elfTruncated(needed: 52, fileSize: 51)) { try FirmwareFile.read(bytes: cases["elf-truncated-51"]!) }
        #expect(throws: FirmwareError.segmentOutsideMemory(address: 0xffff_fff0, end: 0x1_0000_0030, chip: "any")) {
            try FirmwareFile.read(bytes: cases["elf-segment-wraps"]!)
        }
        let message = FirmwareError.elfWrongMachine(62).description
        #expect(message.contains("62") && message.contains("Arm (40)"))
    }

    @Test func blocksRoundTripAndTagsParse() throws {
        let b = block(0x1000_0100, 3, of: 9, fill: 7)
        let decoded = UF2Block(decoding: b.encoded)
        #expect(decoded == b && decoded.hasValidMagics && decoded.family == .rp2040 && decoded.payload.count == 256)
        var data = [UInt8](repeating: 0, count: 476)
        data.replaceSubrange(256..<264, with: [0x07, 0x9d, 0x0d, 0x65, 0x41, 0x42, 0x43, 0])
        let tags = try UF2ExtensionTag.parse(data: data, payloadSize: 256)
        #expect(tags == [UF2ExtensionTag(type: 0x650d9d, data: [0x41, 0x42, 0x43])] && tags[0].name == "description")
        data.replaceSubrange(256..<260, with: [0xff, 1, 1, 1])
        #expect(throws: UF2ExtensionTag.ParseError.self) { try UF2ExtensionTag.parse(data: data, payloadSize: 256) }
    }

    @Test func multiFamilyFilesKeepEachFamilysImage() throws {
        let bytes = uf2([block(0x1000_0000, 0, of: 1, family: .data, fill: 1), block(0x1000_0000, 0, of: 2, fill: 2),
                         block(0x1000_0100, 1, of: 2, fill: 3), UF2Writer.absoluteBlock(at: 0x10ff_ff00)])
        let file = try FirmwareFile.read(bytes: bytes)
        #expect(file.families == [.data, .rp2040] && file.family == .rp2040 && file.hasAbsoluteBlock)
        #expect(file.image.byteCount == 512 && file.image[0x1000_0000] == 2 && file.imagesByFamily[.data]?[0x1000_0000] == 1)
    }
}
