/// Checks a UF2 file against every rule a Raspberry Pi bootrom applies, and the SDK's habits.
///
/// ```swift
/// let report = UF2Validator.validate(bytes)
/// for finding in report.findings { print(finding.severity, finding.block ?? -1, finding.message) }
/// ```
public enum UF2Validator {
    /// Findings of one rule beyond this many are summarised in one extra finding.
    public static let findingsPerRule = 50

    struct Header {
        var index: Int
        var flags: UF2Block.Flags
        var address: UInt32
        var size: UInt32
        var number: UInt32
        var count: UInt32
        var familyWord: UInt32
    }

    /// Validates the bytes of a UF2 file. Never throws: an unreadable structure is a finding.
    public static func validate(_ bytes: [UInt8]) -> UF2ValidationReport {
        var sink = FindingSink()
        let blockCount = bytes.count / UF2Block.size
        var report = UF2ValidationReport(fileSize: bytes.count, blockCount: blockCount, findings: [], families: [],
                                         hasAbsoluteBlock: false, notMainFlashBlocks: 0)
        if bytes.isEmpty {
            sink.add(.error, "empty", "the file is empty (0 bytes)")
        } else if bytes.count % UF2Block.size != 0 {
            sink.add(.error, "truncated",
                     "file size \(bytes.count) is not a multiple of 512: the last \(bytes.count % UF2Block.size) bytes (block \(blockCount) at offset \(blockCount * UF2Block.size)) are a truncated block and are ignored",
                     block: blockCount)
        }
        var groupOrder: [UInt64] = []
        var groups: [[Header]] = []
        var lastGroup = -1
        bytes.withUnsafeBytes { raw in
            for index in 0..<blockCount {
                let base = index * UF2Block.size
                let m0 = raw.le32(base), m1 = raw.le32(base + 4), m2 = raw.le32(base + 508)
                let header = Header(index: index, flags: .init(rawValue: raw.le32(base + 8)), address: raw.le32(base + 12),
                                    size: raw.le32(base + 16), number: raw.le32(base + 20), count: raw.le32(base + 24),
                                    familyWord: raw.le32(base + 28))
                if m0 != UF2Block.magicStart0 || m1 != UF2Block.magicStart1 || m2 != UF2Block.magicEnd {
                    let which = [(m0, UF2Block.magicStart0, "start 0"), (m1, UF2Block.magicStart1, "start 1"), (m2, UF2Block.magicEnd, "end")]
                        .filter { $0.0 != $0.1 }.map { "\($0.2) magic is \(hex32($0.0)), not \(hex32($0.1))" }
                    sink.add(.error, "bad-magic", "block \(index): \(which.joined(separator: "; ")); bootroms ignore this block",
                             block: index, address: header.address)
                    continue
                }
                if header.flags.contains(.notMainFlash) {  // bootroms drop it before looking at anything else
                    report.notMainFlashBlocks += 1
                    sink.add(.info, "not-main-flash",
                             "block \(index) at \(hex32(header.address)): flag 0x1 (not main flash): skipped, as bootroms skip it; not part of numbering, counts, overlaps or ranges",
                             block: index, address: header.address)
                    continue
                }
                if header.familyWord == Family.absolute.rawValue, header.flags.contains(.familyIDPresent),
                   UF2Block(decoding: raw, at: base).isRP2350AbsoluteBlock {
                    report.hasAbsoluteBlock = true
                    sink.add(.info, "rp2350-e10-absolute-block",
                             "block \(index) at \(hex32(header.address)): the RP2350-E10 absolute block (family absolute, block 0 of 2, 0xEF fill) that SDK builds put first; A3 and later bootroms skip it, A2 writes it",
                             block: index, address: header.address)
                    continue
                }
                checkBlock(header, raw: raw, base: base, into: &sink)
                let key = header.flags.contains(.familyIDPresent) ? UInt64(header.familyWord) : 1 << 32
                if lastGroup < 0 || groupOrder[lastGroup] != key {
                    if let found = groupOrder.firstIndex(of: key) { lastGroup = found } else {
                        groupOrder.append(key)
                        groups.append([])
                        groups[groups.count - 1].reserveCapacity(blockCount)
                        lastGroup = groups.count - 1
                    }
                }
                groups[lastGroup].append(header)
            }
        }
        if blockCount > 0 && groups.isEmpty && !report.hasAbsoluteBlock && sink.count(of: "bad-magic") == blockCount {
            sink.remove(rule: "bad-magic")  // one finding says it better than one per block
            let hint = ELFFile.hasMagic(bytes) ? " (it is an ELF file: make a UF2 with `picoctl uf2 convert`)" : ""
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
            report.families.append(UF2FamilyChecks.check(groups[index], family: family, bytes: bytes, into: &sink))
        }
        checkMD5(sink.md5Checks, bytes: bytes, into: &sink)
        report.findings = sink.findings
        return report
    }

    /// Per-block rules (for blocks a bootrom reads: valid magics, flag 0x1 clear): flags, extension tags, MD5 area, family id, payload size, alignment, memory range.
    static func checkBlock(_ h: Header, raw: UnsafeRawBufferPointer, base: Int, into sink: inout FindingSink) {
        var at: String { "block \(h.index) at \(hex32(h.address))" }
        if h.flags.contains(.fileContainer) {
            sink.add(.warning, "file-container", "\(at): flag 0x1000 (file container) is set; Raspberry Pi bootroms do not read file containers", block: h.index, address: h.address)
        }
        let unknown = h.flags.subtracting(UF2Block.Flags.known)
        if !unknown.isEmpty {
            sink.add(.warning, "unknown-flags", "\(at): unknown flag bits \(hex32(unknown.rawValue))", block: h.index, address: h.address)
        }
        let family: Family? = h.flags.contains(.familyIDPresent) ? Family(rawValue: h.familyWord) : nil
        if let family {
            if family.name == nil {
                sink.add(.warning, "unknown-family", "\(at): unknown family id \(hex32(h.familyWord)); no Raspberry Pi bootrom accepts it", block: h.index, address: h.address)
            }
        } else {
            sink.add(.error, "no-family", "\(at): no family id (flag 0x2000 clear); Raspberry Pi bootroms ignore the block", block: h.index, address: h.address)
        }
        if family?.isRaspberryPi == true {
            if h.size != UF2Block.picoPayloadSize {
                sink.add(.error, "payload-size", "\(at): payload size \(h.size); \(family!.name!) blocks must carry exactly 256 bytes", block: h.index, address: h.address)
            }
            if h.address % 256 != 0 {
                sink.add(.error, "alignment", "\(at): address is not 256-byte aligned (flash pages are 256 bytes)", block: h.index, address: h.address)
            }
        } else if h.size > UInt32(UF2Block.dataSize) {
            sink.add(.error, "payload-size", "\(at): payload size \(h.size) is larger than the 476-byte data area", block: h.index, address: h.address)
        } else if h.address % 4 != 0 {
            sink.add(.warning, "alignment", "\(at): address is not word aligned", block: h.index, address: h.address)
        }
        if h.size == 0 {
            sink.add(.warning, "payload-size", "\(at): empty payload", block: h.index, address: h.address)
        }
        if h.flags.contains(.md5Present) {
            let md5Offset = base + 32 + UF2Block.dataSize - 24
            let region = raw.le32(md5Offset), length = raw.le32(md5Offset + 4)
            if h.size > UInt32(UF2Block.dataSize - 24) {
                sink.add(.error, "md5", "\(at): flag 0x4000 (MD5) is set but the \(h.size)-byte payload overlaps the MD5 area (last 24 data bytes)", block: h.index, address: h.address)
            } else if length == 0 || UInt64(region) + UInt64(length) > 0x1_0000_0000 {
                sink.add(.error, "md5", "\(at): MD5 region \(hex32(region)) + \(length) bytes is empty or past the address space", block: h.index, address: h.address)
            } else {
                let digest = Array(raw[(md5Offset + 8)..<(md5Offset + 24)])
                let family: UInt32? = h.flags.contains(.familyIDPresent) ? h.familyWord : nil
                sink.md5Checks.append(.init(block: h.index, address: h.address, region: region, length: length, digest: digest, family: family))
            }
        }
        if h.flags.contains(.extensionTagsPresent) {
            let data = Array(raw[(base + 32)..<(base + 32 + UF2Block.dataSize)])
            do {
                let tags = try UF2ExtensionTag.parse(data: data, payloadSize: Int(min(h.size, UInt32(UF2Block.dataSize))))
                for tag in tags where tag.name == nil {
                    sink.add(.warning, "extension-tags", "\(at): unknown extension tag type 0x\(String(tag.type, radix: 16))", block: h.index, address: h.address)
                }
                if tags.isEmpty {
                    sink.add(.warning, "extension-tags", "\(at): flag 0x8000 (extension tags) is set but no tag follows the payload", block: h.index, address: h.address)
                }
            } catch {
                sink.add(.error, "extension-tags", "\(at): extension tag at data offset \(error.offset): \(error.reason)", block: h.index, address: h.address)
            }
        }
        if let chip = family?.boundingChip, h.size <= UInt32(UF2Block.dataSize),
           !chip.isLoadable(h.address, length: UInt64(h.size)) {
            sink.add(.error, "outside-memory", "\(at): \(h.size) bytes at \(hex32(h.address)) lie outside \(chip.name) flash and RAM", block: h.index, address: h.address)
        }
    }
}

extension UF2Validator {
    /// Checks each MD5 area against the bytes the file itself puts in that region, when it covers it.
    static func checkMD5(_ checks: [FindingSink.MD5Check], bytes: [UInt8], into sink: inout FindingSink) {
        guard !checks.isEmpty else { return }
        let file = try? FirmwareFile.read(bytes: bytes, type: .uf2)
        for check in checks {
            let at = "block \(check.block) at \(hex32(check.address))"
            let range = "\(hex32(check.region))..\(hex64(UInt64(check.region) + UInt64(check.length)))"
            let image = check.family.flatMap { file?.imagesByFamily[Family(rawValue: $0)] } ?? file?.image
            let parts = check.length <= 64 << 20 ? image?.segments(in: check.region, length: Int(check.length)) ?? [] : []
            guard parts.count == 1, parts[0].address == check.region, parts[0].bytes.count == Int(check.length) else {
                sink.add(.info, "md5", "\(at): MD5 of \(range) present; the file does not hold all of that region, so only a device can check it", block: check.block, address: check.address)
                continue
            }
            let actual = MD5.digest(parts[0].bytes[...])
            if actual == check.digest {
                sink.add(.info, "md5", "\(at): MD5 of \(range) matches the file's bytes", block: check.block, address: check.address)
            } else {
                sink.add(.error, "md5", "\(at): MD5 of \(range) is \(hexBytes(check.digest)) but the file's bytes there give \(hexBytes(actual)); a bootloader comparing it would skip or rewrite the wrong data", block: check.block, address: check.address)
            }
        }
    }

    static func hexBytes(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

/// Collects findings, capping each rule at `UF2Validator.findingsPerRule`.
struct FindingSink {
    /// An MD5 area to check once the whole file has been read.
    struct MD5Check {
        var block: Int
        var address: UInt32
        var region: UInt32
        var length: UInt32
        var digest: [UInt8]
        var family: UInt32?
    }

    var md5Checks: [MD5Check] = []
    var findings: [UF2ValidationReport.Finding] = []
    var perRule: [String: Int] = [:]

    func count(of rule: String) -> Int { perRule[rule] ?? 0 }

    mutating func remove(rule: String) { findings.removeAll { $0.rule == rule } }

    mutating func add(_ severity: UF2ValidationReport.Finding.Severity, _ rule: String, _ message: @autoclosure () -> String,
                      block: Int? = nil, address: UInt32? = nil) {
        let n = perRule[rule, default: 0]
        perRule[rule] = n + 1
        if n < UF2Validator.findingsPerRule {
            findings.append(.init(severity: severity, rule: rule, message: message(), block: block, address: address))
        } else if n == UF2Validator.findingsPerRule {
            findings.append(.init(severity: severity, rule: rule,
                                  message: "more findings of rule \(rule) left out (first \(UF2Validator.findingsPerRule) shown)"))
        }
    }
}
