import UF2

/// Renders `FirmwareFacts` as text for people and as the stable JSON document of `info --json`.
enum InfoRenderer {
    static func hex(_ v: UInt32) -> String { JSONStyle.address(v) }
    static func hex(_ v: UInt64) -> String { JSONStyle.address(v) }

    /// Text: one `key: value` line per fact, sections for binary info, boot2 and IMAGE_DEF.
    static func text(_ f: FirmwareFacts) -> String {
        var lines: [String] = []
        func add(_ key: String, _ value: String?) { if let value { lines.append(key.padding(14) + value) } }
        let fw = f.firmware
        add("file:", "\(f.file) (\(f.size) bytes)")
        add("format:", fw.format.rawValue + (fw.blockCount.map { ", \($0) blocks" } ?? "")
            + (fw.notMainFlashBlocks > 0 ? " (\(fw.notMainFlashBlocks) not for main flash, skipped)" : ""))
        add("family:", fw.families.map(\.description).joined(separator: ", "))
        add("chip:", f.chip?.name ?? "unknown")
        add("image:", "\(fw.kind.rawValue), \(fw.image.byteCount) bytes")
        if let entry = fw.entryPoint { add("entry:", hex(entry) + (fw.machine.map { " (\($0 == .arm ? "arm" : "risc-v"))" } ?? "")) }
        if fw.hasAbsoluteBlock { add("abs block:", "RP2350-E10 absolute block present") }
        for segment in fw.image.segments {
            add("range:", "\(hex(segment.address))..\(hex(segment.end)) \(f.region(segment.address)) (\(segment.count) bytes)")
        }
        for (family, image) in fw.imagesByFamily.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where fw.families.count > 1 {
            add("  " + (family.name ?? family.description) + ":", "\(image.byteCount) bytes at \(image.lowestAddress.map(hex) ?? "-")")
        }
        if let problem = fw.conversionProblem { add("warning:", problem.description) }
        if let boot2 = f.boot2 {
            add("boot2:", boot2.isValid ? "present, CRC valid (\(hex(boot2.storedCRC)))"
                : "present, CRC WRONG: stored \(hex(boot2.storedCRC)), computed \(hex(boot2.computedCRC)); the board will not boot")
        } else if f.chip == .rp2040 && fw.kind == .flash {
            add("boot2:", "absent")
        }
        if let block = f.metadata {
            let t = block.imageType
            add("image def:", t.map { "\($0.imageType), \($0.chip), \($0.cpu), \($0.security)\($0.tryBeforeYouBuy ? ", try-before-you-buy" : "")" } ?? "block without image type")
            add("  block at:", hex(block.address) + ", items: " + block.items.map(\.name).joined(separator: ", "))
        }
        if let bi = f.binaryInfo {
            lines.append("binary info:  (header at \(hex(bi.headerAddress)))")
            add("  name:", bi.programName); add("  version:", bi.programVersion)
            add("  url:", bi.url); add("  description:", bi.programDescription)
            for feature in bi.features { add("  feature:", feature) }
            add("  build date:", bi.buildDate)
            for attribute in bi.buildAttributes { add("  build attr:", attribute) }
            add("  sdk version:", bi.sdkVersion); add("  board:", bi.board); add("  boot2:", bi.boot2Name)
            add("  binary start:", hex(bi.binaryStart)); add("  binary end:", bi.binaryEnd.map(hex))
            for pin in bi.pins { add("  pins:", "\(pin.rangesText): \(pin.label)") }
            for group in bi.namedGroups {
                add("  group:", group.label + (group.members.isEmpty ? "" : ": " + group.members.joined(separator: ", ")))
            }
            for device in bi.blockDevices { add("  block dev:", "\(device.name) \(hex(device.address)) +\(device.size)") }
            for value in bi.otherValues {
                add("  value:", "tag \(hex16(value.tag)) id \(hex(value.id)): " + (value.label.map { "\($0) = " } ?? "") + value.value)
            }
        } else {
            lines.append("binary info:  none")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func hex16(_ v: UInt16) -> String { "0x" + String(v, radix: 16) }

    /// The `info --json` document; keys are documented in the README and never renamed.
    static func json(_ f: FirmwareFacts) -> FirmwareJSON {
        let fw = f.firmware
        return .object([
            FirmwareJSON.schema,
            ("file", .string(f.file)),
            ("size", .int(f.size)),
            ("format", .string(fw.format.rawValue)),
            ("families", .array(fw.families.map { .object([("name", .optional($0.name)), ("id", .hex($0.rawValue))]) })),
            ("chip", .optional(f.chip?.name)),
            ("kind", .string(fw.kind.rawValue)),
            ("block_count", .optional(fw.blockCount)),
            ("not_main_flash_blocks", fw.format == .uf2 ? .int(fw.notMainFlashBlocks) : .null),
            ("absolute_block", .bool(fw.hasAbsoluteBlock)),
            ("entry_point", .hex(fw.entryPoint)),
            ("machine", .optional(fw.machine.map { $0 == .arm ? "arm" : "riscv" })),
            ("image_bytes", .int(fw.image.byteCount)),
            ("ranges", .array(fw.image.segments.map { s in
                .object([("start", .hex(s.address)), ("end", .hex64(s.end)), ("size", .int(s.count)), ("region", .string(f.region(s.address)))])
            })),
            ("conversion_problem", .optional(fw.conversionProblem?.description)),
            ("boot2", f.boot2.map { b in
                .object([("valid", .bool(b.isValid)), ("stored_crc", .hex(b.storedCRC)), ("computed_crc", .hex(b.computedCRC))])
            } ?? .null),
            ("image_definition", f.metadata.map { m in
                .object([("address", .hex(m.address)), ("image_type", .optional(m.imageType?.imageType)),
                         ("chip", .optional(m.imageType?.chip)), ("cpu", .optional(m.imageType?.cpu)),
                         ("security", .optional(m.imageType?.security)), ("try_before_you_buy", m.imageType.map { .bool($0.tryBeforeYouBuy) } ?? .null),
                         ("items", .array(m.items.map { .string($0.name) }))])
            } ?? .null),
            ("binary_info", f.binaryInfo.map(binaryInfoJSON) ?? .null),
        ])
    }

    static func binaryInfoJSON(_ bi: BinaryInfo) -> FirmwareJSON {
        .object([
            ("header_address", .hex(bi.headerAddress)),
            ("program_name", .optional(bi.programName)),
            ("program_version", .optional(bi.programVersion)),
            ("program_url", .optional(bi.url)),
            ("program_description", .optional(bi.programDescription)),
            ("features", .array(bi.features.map(FirmwareJSON.string))),
            ("build_date", .optional(bi.buildDate)),
            ("build_attributes", .array(bi.buildAttributes.map(FirmwareJSON.string))),
            ("sdk_version", .optional(bi.sdkVersion)),
            ("board", .optional(bi.board)),
            ("boot2_name", .optional(bi.boot2Name)),
            ("binary_start", .hex(bi.binaryStart)),
            ("binary_end", .hex(bi.binaryEnd)),
            ("pins", .array(bi.pins.map { .object([("pins", .string($0.rangesText)), ("numbers", .array($0.pins.map(FirmwareJSON.int))), ("function", .string($0.label))]) })),
            ("named_groups", .array(bi.namedGroups.map { g in
                .object([("label", .string(g.label)), ("parent_id", .hex(g.parentID)), ("group_id", .hex(g.groupID)),
                         ("flags", .int(Int(g.flags))), ("members", .array(g.members.map(FirmwareJSON.string)))])
            })),
            ("block_devices", .array(bi.blockDevices.map { d in
                .object([("name", .string(d.name)), ("address", .hex(d.address)), ("size", .int(Int(d.size))), ("flags", .int(Int(d.flags)))])
            })),
            ("other_values", .array(bi.otherValues.map { v in
                .object([("type", .int(Int(v.type))), ("tag", .int(Int(v.tag))), ("id", .hex(v.id)), ("label", .optional(v.label)), ("value", .string(v.value))])
            })),
            ("copy_table", .array(bi.copyTable.map { c in
                .object([("source", .hex(c.source)), ("destination_start", .hex(c.destinationStart)), ("destination_end", .hex(c.destinationEnd))])
            })),
        ])
    }
}

extension String {
    /// Pads with spaces on the right to `width`.
    fileprivate func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
