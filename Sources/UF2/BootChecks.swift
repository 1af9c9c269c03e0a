/// Will the bootrom start this flash image? Rules the bootroms apply when they boot from flash:
/// the RP2040 boot2 CRC, a vector table whose initial stack pointer lies in RAM and whose reset
/// handler lies in the image with the Thumb bit set, and on RP2350 an IMAGE_DEF block in the first
/// 4 KiB (without one the RP2350 bootrom does not boot the image).
///
/// Only images that start at the start of flash are judged: an image elsewhere in flash is a
/// partial update or data, and a RAM image is entered differently.
///
/// ```swift
/// for finding in BootChecks.check(image, chip: .rp2040) { print(finding.rule, finding.message) }
/// ```
public enum BootChecks {
    /// The rules these checks report under.
    public static let rules: Set<String> = ["boot2-crc", "vector-table", "rp2350-image-def"]

    /// The findings (all of severity error) for `image` booted by `chip`'s bootrom. `boot2` says
    /// whether the RP2040 boot2 CRC is checked here (the UF2 validator checks it per block itself).
    /// `covered`, when given, says which addresses the whole image defines where `image` holds only
    /// the start of flash (a streamed file); by default `image` is the whole image.
    public static func check(_ image: MemoryImage, chip: Chip, boot2: Bool = true,
                             covered: ((UInt32) -> Bool)? = nil) -> [UF2ValidationReport.Finding] {
        guard image.lowestAddress == chip.flash.start else { return [] }
        var findings: [UF2ValidationReport.Finding] = []
        func error(_ rule: String, _ message: String, _ address: UInt32) {
            findings.append(.init(severity: .error, rule: rule, message: message, address: address))
        }
        if chip.hasBoot2 {
            if boot2 {
                if let code = Boot2(image: image) {
                    if !code.isValid {
                        error("boot2-crc", "boot2 CRC is \(hex32(code.storedCRC)) but the first 252 bytes give \(hex32(code.computedCRC)); the RP2040 will not boot from flash and stays in BOOTSEL", Boot2.address)
                    }
                } else {
                    error("boot2-crc", "the image does not define all 256 bytes of boot2 at \(hex32(Boot2.address)); the RP2040 will not boot from flash and stays in BOOTSEL", Boot2.address)
                }
            }
            checkVectorTable(image, at: chip.flash.start + UInt32(Boot2.size), chip: chip, covered: covered, into: error)
            return findings
        }
        guard let imageDef = imageDefinition(in: image) else {
            error("rp2350-image-def", "no IMAGE_DEF block in the first \(MetadataBlock.searchWindow / 1024) KiB of the image; the RP2350 bootrom will not boot it (build it with the pico-sdk for the rp2350, or add the block with picotool seal)", chip.flash.start)
            return findings
        }
        let type = imageDef.imageType
        guard type?.imageType == "exe", type?.cpu == "arm", !imageDef.items.contains(where: { $0.type == 0x44 }) else { return findings }
        let table = imageDef.items.first { $0.type == 0x03 }?.words[safe: 1] ?? chip.flash.start
        checkVectorTable(image, at: table, chip: chip, covered: covered, into: error)
        return findings
    }

    /// The initial stack pointer (word 0) must lie in SRAM (its end included: the stack grows down);
    /// the reset handler (word 1) must have the Thumb bit and point into the image.
    static func checkVectorTable(_ image: MemoryImage, at table: UInt32, chip: Chip, covered: ((UInt32) -> Bool)?,
                                 into error: (String, String, UInt32) -> Void) {
        guard let sp = image.word(at: table), let reset = image.word(at: table &+ 4) else {
            // The image has the table, past the first 4 KiB whose bytes a streamed check keeps.
            if let covered, covered(table), covered(table &+ 7) { return }
            error("vector-table", "the image has no vector table at \(hex32(table)) (initial stack pointer and reset handler); the bootrom would jump to undefined code", table)
            return
        }
        if !(UInt64(sp) >= UInt64(chip.sram.start) && UInt64(sp) <= chip.sram.end) {
            error("vector-table", "the initial stack pointer at \(hex32(table)) is \(hex32(sp)), not in \(chip.name) SRAM \(chip.sram); the program would fault at once", table)
        }
        if reset & 1 == 0 {
            error("vector-table", "the reset handler at \(hex32(table &+ 4)) is \(hex32(reset)) without the Thumb bit (bit 0); a Cortex-M faults on it", table &+ 4)
        } else if !(covered?(reset & ~1) ?? (image[reset & ~1] != nil)) {
            error("vector-table", "the reset handler at \(hex32(table &+ 4)) is \(hex32(reset)), outside the image; the program would jump to undefined code", table &+ 4)
        }
    }

    /// The IMAGE_DEF among the metadata blocks in the first 4 KiB of the image, if any.
    static func imageDefinition(in image: MemoryImage) -> MetadataBlock? {
        guard let base = image.lowestAddress else { return nil }
        var address = base
        while UInt64(address) + 4 <= UInt64(base) + UInt64(MetadataBlock.searchWindow) {
            if image.word(at: address) == MetadataBlock.startMarker, let block = MetadataBlock.parse(image, at: address),
               block.imageType != nil {
                return block
            }
            address &+= 4
        }
        return nil
    }
}
