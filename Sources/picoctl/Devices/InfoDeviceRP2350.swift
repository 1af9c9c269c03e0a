import PicoBoot
import PicoFlash

/// What `info --device` adds for an RP2350: how it booted, its flash device word and its partition table.
struct RP2350Facts {
    var boot: BootInfo?
    var flashDeviceInfo: UInt32?
    var table: PartitionTable?

    /// Reads the partition table (the boot and flash words come with the system info already read).
    static func read(_ session: DeviceSession, system: SystemInfo?) throws -> RP2350Facts {
        let table = try session.run { try $0.partitionTable() }
        return RP2350Facts(boot: system?.boot.flatMap(BootInfo.init(words:)), flashDeviceInfo: system?.flashDeviceInfo, table: table)
    }

    /// Text lines, aligned with the other `info --device` lines.
    var lines: [String] {
        var out: [String] = []
        if let boot {
            out.append("boot:       \(boot.typeName), partition \(BootInfo.partitionName(boot.partition))")
        }
        if let flashDeviceInfo { out.append("flash info: 0x\(String(flashDeviceInfo, radix: 16)) (FLASH_DEVINFO)") }
        if let table {
            out.append("partitions: \(table.partitions.count)")
            out += PartitionRendering.lines(table).map { "  " + $0 }
        } else {
            out.append("partitions: none (flash is one unpartitioned space)")
        }
        return out
    }

    /// JSON fields: `boot`, `flash_device_info`, `partition_table` (null without one).
    var json: [String: JSONValue] {
        var fields: [String: JSONValue] = ["partition_table": table.map(PartitionRendering.json) ?? .null]
        fields["boot"] = boot.map { .object(["type": .string($0.typeName), "partition": .int(Int($0.partition)),
                                             "diagnostic": .int(Int($0.diagnostic))]) } ?? .null
        fields["flash_device_info"] = flashDeviceInfo.map { .int(Int($0)) } ?? .null
        return fields
    }
}
