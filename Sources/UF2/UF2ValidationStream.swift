/// `UF2Validator` fed in pieces: the file is read once, in chunks of any size, and never held
/// whole (20 bytes are kept per block). The report is the one `UF2Validator.validate` gives,
/// except that MD5 areas (flag 0x4000) can only be compared with the file's bytes when
/// `finish(wholeFile:)` gets them: `needsWholeFile` says when that is so.
///
/// ```swift
/// var stream = UF2ValidationStream()
/// while let chunk = next() { chunk.withUnsafeBytes { stream.consume($0) } }
/// let report = stream.finish()
/// ```
public struct UF2ValidationStream {
    typealias Header = UF2Validator.Header

    private var sink = FindingSink()
    private var report = UF2ValidationReport(fileSize: 0, blockCount: 0, findings: [], families: [],
                                             hasAbsoluteBlock: false, notMainFlashBlocks: 0)
    private var groupOrder: [UInt64] = []
    private var groups: [[Header]] = []
    private var lastGroup = -1
    private var boot2: [UInt64: [UInt8]] = [:]
    /// How much of the start of flash the boot checks read: the 4 KiB searched for an IMAGE_DEF and
    /// the longest block that may start there (as `FirmwareFile` reads it).
    static let bootWindow = UInt64(MetadataBlock.searchWindow) + 64 * 255 * 4 + 12
    /// Per family, the blocks at the start of flash (vector table, IMAGE_DEF): what the boot checks read.
    private var bootHead: [UInt64: [(address: UInt32, bytes: [UInt8])]] = [:]
    private var framing = UF2BlockFraming()
    private var head: [UInt8] = []
    private var index = 0

    private var expectedBlocks = 0

    /// A stream at the start of a file; `expectedSize`, when known, sizes the per-block records once.
    public init(expectedSize: Int = 0) { expectedBlocks = expectedSize / UF2Block.size }

    /// True before the first byte.
    public var isAtStart: Bool { report.fileSize == 0 }

    /// True when the file has MD5 areas, which only the whole file's bytes can check.
    public var needsWholeFile: Bool { !sink.md5Checks.isEmpty }

    /// Feeds the next bytes of the file.
    public mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        report.fileSize += chunk.count
        if head.count < 4 { head += chunk.prefix(4 - head.count) }
        var framing = self.framing
        self.framing = UF2BlockFraming()
        framing.split(chunk) { process($0) }
        self.framing = framing
    }

    /// One whole block (512 bytes at offset 0 of `raw`).
    private mutating func process(_ raw: UnsafeRawBufferPointer) {
        let index = self.index
        self.index += 1
        let m0 = raw.le32(0), m1 = raw.le32(4), m2 = raw.le32(508)
        let header = Header(index: index, raw: raw, base: 0)
        let flags = UF2Block.Flags(rawValue: raw.le32(8)), familyWord = raw.le32(28)
        if m0 != UF2Block.magicStart0 || m1 != UF2Block.magicStart1 || m2 != UF2Block.magicEnd {
            let which = [(m0, UF2Block.magicStart0, "start 0"), (m1, UF2Block.magicStart1, "start 1"), (m2, UF2Block.magicEnd, "end")]
                .filter { $0.0 != $0.1 }.map { "\($0.2) magic is \(hex32($0.0)), not \(hex32($0.1))" }
            sink.add(.error, "bad-magic", "block \(index): \(which.joined(separator: "; ")); bootroms ignore this block",
                     block: index, address: header.address)
            return
        }
        if flags.contains(.notMainFlash) {  // bootroms drop it before looking at anything else
            report.notMainFlashBlocks += 1
            sink.add(.info, "not-main-flash",
                     "block \(index) at \(hex32(header.address)): flag 0x1 (not main flash): skipped, as bootroms skip it; not part of numbering, counts, overlaps or ranges",
                     block: index, address: header.address)
            return
        }
        if familyWord == Family.absolute.rawValue, flags.contains(.familyIDPresent),
           UF2Block(decoding: raw, at: 0).isRP2350AbsoluteBlock {
            report.hasAbsoluteBlock = true
            sink.add(.info, "rp2350-e10-absolute-block",
                     "block \(index) at \(hex32(header.address)): the RP2350-E10 absolute block (family absolute, block 0 of 2, 0xEF fill) that SDK builds put first; A3 and later bootroms skip it, A2 writes it",
                     block: index, address: header.address)
            return
        }
        UF2Validator.checkBlock(header, flags: flags, familyWord: familyWord, raw: raw, base: 0, into: &sink)
        let key = flags.contains(.familyIDPresent) ? UInt64(familyWord) : 1 << 32
        if lastGroup < 0 || groupOrder[lastGroup] != key {
            if let found = groupOrder.firstIndex(of: key) { lastGroup = found } else {
                groupOrder.append(key)
                groups.append([])
                lastGroup = groups.count - 1
                if groups.count == 1 { groups[0].reserveCapacity(expectedBlocks) }
            }
        }
        groups[lastGroup].append(header)
        // The boot2 check reads the first 256-byte block at 0x10000000 of the family.
        if header.address == Boot2.address && header.size == 256 && boot2[key] == nil {
            boot2[key] = Array(raw[32..<(32 + 256)])
        }
        if header.address >= Boot2.address, UInt64(header.address) + UInt64(header.size) <= UInt64(Boot2.address) + Self.bootWindow,
           header.size <= 476 {
            bootHead[key, default: []].append((header.address, Array(raw[32..<(32 + Int(header.size))])))
        }
    }

    /// The report; `wholeFile` (the file's bytes) lets MD5 areas be compared with the file.
    public mutating func finish(wholeFile: [UInt8]? = nil) -> UF2ValidationReport {
        let blockCount = report.fileSize / UF2Block.size
        report.blockCount = blockCount
        let blockFindings = sink.findings.count
        if report.fileSize == 0 {
            sink.add(.error, "empty", "the file is empty (0 bytes)")
        } else if report.fileSize % UF2Block.size != 0 {
            sink.add(.error, "truncated",
                     "file size \(report.fileSize) is not a multiple of 512: the last \(report.fileSize % UF2Block.size) bytes (block \(blockCount) at offset \(blockCount * UF2Block.size)) are a truncated block and are ignored",
                     block: blockCount)
        }
        sink.moveToFront(since: blockFindings)
        if blockCount > 0 && groups.isEmpty && !report.hasAbsoluteBlock && sink.count(of: "bad-magic") == blockCount {
            sink.remove(rule: "bad-magic")  // one finding says it better than one per block
            let hint = ELFFile.hasMagic(head) ? " (it is an ELF file: make a UF2 with `picoctl uf2 convert`)" : ""
            sink.add(.error, "not-uf2", "no block has valid UF2 magics: this is not a UF2 file\(hint)")
        }
        if blockCount > 0 && groups.isEmpty && report.notMainFlashBlocks > 0 {
            sink.add(.error, "no-main-flash", "all \(report.notMainFlashBlocks) blocks with valid magics are flagged not main flash (0x1): a bootrom writes nothing")
        }
        if groupOrder.count > 1 {
            let names = groupOrder.map { $0 == 1 << 32 ? "no family" : Family(rawValue: UInt32($0)).description }
            sink.add(.info, "multiple-families", "\(groupOrder.count) families in one file (legal; each is checked on its own): \(names.joined(separator: ", "))")
        }
        for (index, key) in groupOrder.enumerated() {
            let family: Family? = key == 1 << 32 ? nil : Family(rawValue: UInt32(key))
            report.families.append(UF2FamilyChecks.check(groups[index], family: family, boot2: boot2[key], into: &sink))
        }
        UF2Validator.checkMD5(sink.md5Checks, bytes: wholeFile, into: &sink)
        checkBoot()
        report.findings = sink.findings
        return report
    }

    /// The boot checks (`BootChecks`) for each family's flash image that starts at the start of
    /// flash, on the blocks kept from its start (`bootWindow`); whether an address lies in the image comes
    /// from the block records (the boot2 CRC is checked per block by `UF2FamilyChecks`).
    private mutating func checkBoot() {
        for (index, key) in groupOrder.enumerated() where key != 1 << 32 {
            let family = Family(rawValue: UInt32(key))
            let headers = groups[index]
            guard let chip = family.chip, headers.map(\.address).min() == chip.flash.start,
                  let image = try? MemoryImage(segments: (bootHead[key] ?? []).map { .init(address: $0.address, bytes: $0.bytes) })
            else { continue }
            let covered = { (address: UInt32) in
                headers.contains { address >= $0.address && UInt64(address) < UInt64($0.address) + UInt64($0.size) }
            }
            for finding in BootChecks.check(image, chip: chip, boot2: false, covered: covered) {
                sink.add(finding.severity, finding.rule, "\(family): \(finding.message)", address: finding.address)
            }
        }
    }
}
