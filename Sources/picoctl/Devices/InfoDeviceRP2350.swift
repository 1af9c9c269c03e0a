import PicoBoot
import PicoFlash
import UF2

/// What `info --device` adds for an RP2350: how it booted, its flash device word and its partition table.
struct RP2350Facts {
    var boot: BootInfo?
    var flashDeviceInfo: UInt32?
    var table: PartitionTable?
    /// Why the partition table could not be read, when it could not.
    var tableProblem: String?
    /// The bootrom's version byte (ROM offset 0x13).
    var romVersion: UInt8?
    /// `QFN60` (RP2350A) or `QFN80` (RP2350B), when it can be told.
    var package: String?
    /// The OTP CRITICAL word (GET_INFO SYS critical), when the bootrom answered it.
    var critical: UInt32?

    /// The chip revision picotool derives from the ROM version byte: 2 A2, 3 A3, 4 A4.
    static func revision(romVersion: UInt8) -> String? {
        switch romVersion {
        case 2: "A2"
        case 3: "A3"
        case 4: "A4"
        default: nil
        }
    }

    /// Reads the partition table, the ROM version and the package (the boot and flash words come
    /// with the system info already read). The package is what picotool reports: on A2 the
    /// package id is wrong, so the OTP NUM_GPIOS row decides (30 QFN60, 48 QFN80); later revisions
    /// say QFN60 when the package id is non-zero. An unknown revision leaves the package unknown.
    static func read(_ session: DeviceSession, system: SystemInfo?) throws -> RP2350Facts {
        var table: PartitionTable?, tableProblem: String?
        do throws(FlashError) { table = try session.executor.partitionTable() } catch { tableProblem = error.description }
        let rom = try session.run { try $0.read(AddressRange(start: 0x10, end: 0x14)) }
        let version = rom.count == 4 ? rom[3] : nil
        var package: String?
        switch version.flatMap(revision(romVersion:)) {
        case "A2"?:
            let gpios = try session.run { try $0.readOTP([0x18], ecc: { _ in true }) }[0x18]
            if case .value(_, let ecc)? = gpios { package = ecc == 30 ? "QFN60" : ecc == 48 ? "QFN80" : nil }
        case .some:
            package = system?.chip.map { $0.package != 0 ? "QFN60" : "QFN80" }
        case nil:
            break
        }
        let critical = try? session.executor.systemInfo(.critical).critical
        return RP2350Facts(boot: system?.boot.flatMap(BootInfo.init(words:)), flashDeviceInfo: system?.flashDeviceInfo, table: table,
                           tableProblem: tableProblem, romVersion: version, package: package, critical: critical)
    }

    /// Text lines, aligned with the other `info --device` lines.
    var lines: [String] {
        var out: [String] = []
        if let romVersion {
            let revision = Self.revision(romVersion: romVersion) ?? "unknown"
            out.append("revision:   \(revision) (ROM version \(romVersion)), package \(package ?? "unknown")")
        }
        if let critical { out.append("cpus:       \(Self.cpus(critical).joined(separator: ", "))" + Self.security(critical)) }
        if let boot {
            out.append("boot:       \(boot.typeName), partition \(BootInfo.partitionName(boot.partition))")
        }
        if let flashDeviceInfo { out.append("flash info: 0x\(String(flashDeviceInfo, radix: 16)) (FLASH_DEVINFO)") }
        if let tableProblem {
            out.append("partitions: not read (\(tableProblem))")
        } else if let table {
            out.append("partitions: \(table.partitions.count)")
            out += PartitionRendering.lines(table).map { "  " + $0 }
        } else {
            out.append("partitions: none (flash is one unpartitioned space)")
        }
        return out
    }

    /// JSON fields: `boot`, `flash_device_info`, `partition_table` (null without one).
    var json: [String: JSONValue] {
        var fields: [String: JSONValue] = ["partition_table": table.map(PartitionRendering.json) ?? .null,
                                           "partition_table_error": tableProblem.map(JSONValue.string) ?? .null]
        fields["boot"] = boot.map { .object(["type": .string($0.typeName), "partition": .int(Int($0.partition)),
                                             "diagnostic": .int(Int($0.diagnostic))]) } ?? .null
        fields["flash_device_info"] = flashDeviceInfo.map { .int(Int($0)) } ?? .null
        fields["revision"] = romVersion.flatMap(Self.revision(romVersion:)).map(JSONValue.string) ?? .null
        fields["rom_version"] = romVersion.map { .int(Int($0)) } ?? .null
        fields["package"] = package.map(JSONValue.string) ?? .null
        fields["critical"] = critical.map { c in .object([
            "available_cpus": .array(Self.cpus(c).map(JSONValue.string)), "default_cpu": .string(c & 0x8 != 0 ? "riscv" : "arm"),
            "secure_boot": .bool(c & 0x1 != 0), "debug": .bool(c & 0x4 == 0), "secure_debug": .bool(c & 0x2 == 0)]) } ?? .null
        return fields
    }

    /// The cores OTP leaves usable, as picotool reads the CRITICAL word (`hardware/regs/otp.h`
    /// OTP_CRITICAL_*: ARM_DISABLE bit 16, RISCV_DISABLE bit 17; secure boot also rules RISC-V out).
    static func cpus(_ critical: UInt32) -> [String] {
        var out: [String] = []
        if critical & 0x1_0000 == 0 { out.append("arm") }
        if critical & (0x2_0000 | 0x1) == 0 { out.append("riscv") }
        return out
    }

    /// ` (default riscv); secure boot on; debug off`: DEFAULT_ARCHSEL bit 3, SECURE_BOOT_ENABLE bit 0, DEBUG_DISABLE bit 2.
    static func security(_ critical: UInt32) -> String {
        let choice = cpus(critical).count > 1 ? " (default \(critical & 0x8 != 0 ? "riscv" : "arm"))" : ""
        return choice + "; secure boot \(critical & 0x1 != 0 ? "on" : "off"); debug \(critical & 0x4 != 0 ? "off" : "on")"
    }
}
