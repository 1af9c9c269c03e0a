import PicoBoot
import PicoFlash
import UF2

/// Text and JSON for RP2350 partition tables and placements.
enum PartitionRendering {
    /// `0x10002000`: a flash offset as an address in the XIP window.
    static func address(_ offset: UInt32) -> String { "0x" + String(0x1000_0000 + offset, radix: 16) }

    /// One line a partition: `0  A  id 0x0  0x10002000-0x101ff000  2036 KiB  S:rw NS:rw BL:rw  rp2350-arm-s, rp2350-riscv  b of 0`.
    static func lines(_ table: PartitionTable) -> [String] {
        var out = ["unpartitioned: \(table.unpartitioned.permissions)  families: \(familyList(table.unpartitioned))"]
        for p in table.partitions {
            var fields = ["\(p.index)", p.name.map { "\"\($0)\"" } ?? "-", p.id.map { "id 0x\(String($0, radix: 16))" } ?? "no id",
                          "\(address(p.start))-\(address(p.end))", "\(p.size / 1024) KiB", "\(p.permissions)", familyList(p)]
            switch p.link {
            case .none: break
            case .aPartition(let a): fields.append("B of \(a)")
            case .owner(let owner): fields.append("owned by \(owner)")
            case .unknown(let type, let value): fields.append("link \(type):\(value)")
            }
            fields += p.flagNames
            out.append("  " + fields.joined(separator: "  "))
        }
        return out
    }

    /// `rp2350-arm-s, rp2350-riscv` (or `none`).
    static func familyList(_ partition: Partition) -> String {
        let names = partition.families.map { $0.name ?? $0.description }
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }

    /// A partition as JSON: index, name, id, start/end offsets, permissions, families, link, flags.
    static func json(_ p: Partition) -> JSONValue {
        let link: JSONValue
        switch p.link {
        case .none: link = .null
        case .aPartition(let a): link = .object(["type": .string("a"), "partition": .int(a)])
        case .owner(let owner): link = .object(["type": .string("owner"), "partition": .int(owner)])
        case .unknown(let type, let value): link = .object(["type": .int(type), "partition": .int(value)])
        }
        return .object([
            "index": .int(p.index), "name": p.name.map(JSONValue.string) ?? .null,
            "id": p.id.map { .string("0x" + String($0, radix: 16)) } ?? .null,
            "start": .int(Int(p.start)), "end": .int(Int(p.end)), "size": .int(Int(p.size)),
            "permissions": .string(p.permissions.description),
            "families": .array(p.families.map { .string($0.name ?? $0.description) }),
            "link": link, "flags": .array(p.flagNames.map(JSONValue.string))])
    }

    /// The table as JSON: unpartitioned space and partitions.
    static func json(_ table: PartitionTable) -> JSONValue {
        .object(["unpartitioned": .object(["permissions": .string(table.unpartitioned.permissions.description),
                                           "families": .array(table.unpartitioned.families.map { .string($0.name ?? $0.description) })]),
                 "partitions": .array(table.partitions.map(json))])
    }

    /// A placement as JSON: the partition (or null) and why.
    static func json(_ placement: PartitionPlacement) -> JSONValue {
        .object(["partition": placement.partition.map(json) ?? .null, "reason": .string(placement.reason)])
    }
}
