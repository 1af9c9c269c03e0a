/// Checks a UF2 file against every rule a Raspberry Pi bootrom applies, and the SDK's habits.
///
/// ```swift
/// let report = UF2Validator.validate(bytes)
/// for finding in report.findings { print(finding.severity, finding.block ?? -1, finding.message) }
/// ```
public enum UF2Validator {
    /// Findings of one rule beyond this many are summarised in one extra finding.
    public static let findingsPerRule = 50

    /// What the file-wide checks keep of a block: 20 bytes (a stream keeps one per block). Its
    /// flags and family are read from the block itself while it is at hand.
    struct Header {
        /// The block's position in the file (a UF2 within the size limit has fewer than 2^32 blocks).
        private var position: UInt32
        var address: UInt32
        var size: UInt32
        var number: UInt32
        var count: UInt32

        var index: Int { Int(position) }

        /// The header of the block at `base` of `raw`, the file's block number `index`.
        init(index: Int, raw: UnsafeRawBufferPointer, base: Int) {
            position = UInt32(truncatingIfNeeded: index)
            address = raw.le32(base + 12)
            size = raw.le32(base + 16)
            number = raw.le32(base + 20)
            count = raw.le32(base + 24)
        }
    }

    /// Validates the bytes of a UF2 file. Never throws: an unreadable structure is a finding.
    public static func validate(_ bytes: [UInt8]) -> UF2ValidationReport {
        var stream = UF2ValidationStream()
        bytes.withUnsafeBytes { stream.consume($0) }
        return stream.finish(wholeFile: bytes)
    }

    /// Per-block rules (for blocks a bootrom reads: valid magics, flag 0x1 clear): flags, extension tags, MD5 area, family id, payload size, alignment, memory range.
    /// `flags` and `familyWord` are the block's (read once by the caller).
    static func checkBlock(_ h: Header, flags: UF2Block.Flags, familyWord: UInt32, raw: UnsafeRawBufferPointer, base: Int,
                           into sink: inout FindingSink) {
        var at: String { "block \(h.index) at \(hex32(h.address))" }
        if flags.contains(.fileContainer) {
            sink.add(.warning, "file-container", "\(at): flag 0x1000 (file container) is set; Raspberry Pi bootroms do not read file containers", block: h.index, address: h.address)
        }
        let unknown = flags.subtracting(UF2Block.Flags.known)
        if !unknown.isEmpty {
            sink.add(.warning, "unknown-flags", "\(at): unknown flag bits \(hex32(unknown.rawValue))", block: h.index, address: h.address)
        }
        let family: Family? = flags.contains(.familyIDPresent) ? Family(rawValue: familyWord) : nil
        if let family {
            if family.name == nil {
                sink.add(.warning, "unknown-family", "\(at): unknown family id \(hex32(familyWord)); no Raspberry Pi bootrom accepts it", block: h.index, address: h.address)
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
        if flags.contains(.md5Present) {
            let md5Offset = base + 32 + UF2Block.dataSize - 24
            let region = raw.le32(md5Offset), length = raw.le32(md5Offset + 4)
            if h.size > UInt32(UF2Block.dataSize - 24) {
                sink.add(.error, "md5", "\(at): flag 0x4000 (MD5) is set but the \(h.size)-byte payload overlaps the MD5 area (last 24 data bytes)", block: h.index, address: h.address)
            } else if length == 0 || UInt64(region) + UInt64(length) > 0x1_0000_0000 {
                sink.add(.error, "md5", "\(at): MD5 region \(hex32(region)) + \(length) bytes is empty or past the address space", block: h.index, address: h.address)
            } else {
                let digest = Array(raw[(md5Offset + 8)..<(md5Offset + 24)])
                let family: UInt32? = flags.contains(.familyIDPresent) ? familyWord : nil
                sink.md5Checks.append(.init(block: h.index, address: h.address, region: region, length: length, digest: digest, family: family))
            }
        }
        if flags.contains(.extensionTagsPresent) {
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
        if h.size <= UInt32(UF2Block.dataSize), family?.boundingChipAllows(h.address, length: UInt64(h.size)) == false,
           let chip = family?.boundingChip {
            sink.add(.error, "outside-memory", "\(at): \(h.size) bytes at \(hex32(h.address)) lie outside \(chip.name) flash and RAM", block: h.index, address: h.address)
        }
    }
}

extension UF2Validator {
    /// Checks each MD5 area against the bytes the file itself puts in that region, when it covers it
    /// (`bytes` nil: the file was not kept, so the areas are only noted).
    static func checkMD5(_ checks: [FindingSink.MD5Check], bytes: [UInt8]?, into sink: inout FindingSink) {
        guard !checks.isEmpty else { return }
        let file = bytes.flatMap { try? FirmwareFile.read(bytes: $0, type: .uf2) }
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

    /// Moves the findings added since `count` findings to the front (file-level findings found last).
    mutating func moveToFront(since count: Int) {
        let late = findings[count...]
        findings = Array(late) + findings[..<count]
    }

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
