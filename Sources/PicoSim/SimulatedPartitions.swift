import PicoBoot
import UF2

/// Lays out a partition table the way `picotool partition create` does from its JSON description
/// (picotool's `json/schemas/partition-table-schema.json`): partitions follow each other from
/// sector 2 unless they give a `start`; sizes and starts are bytes or `"NNNk"`; permissions are
/// `{"secure": "rw", "nonsecure": "r", "bootloader": "rw"}`; `link` is `["a", N]` or `["owner", N]`.
public enum PartitionTableLayout {
    /// Why a JSON description is refused (picotool refuses the same things).
    public enum LayoutError: Error, Hashable, Sendable {
        /// A required key is missing or has the wrong type.
        case missing(String)
        /// A family name that is not known.
        case unknownFamily(String)
        /// Start or size not a multiple of 4 KiB.
        case unaligned(String)
        /// More than three families beyond the flagged ones, a too-long name, or more than 16 partitions.
        case tooMany(String)
    }

    /// The table described by `json` (a decoded JSON object).
    public static func table(fromJSON json: [String: Any]) throws(LayoutError) -> PartitionTable {
        guard let unpartitioned = json["unpartitioned"] as? [String: Any] else { throw .missing("unpartitioned") }
        let unpartitionedFlags = try permissions(unpartitioned["permissions"]) | (try families(unpartitioned["families"]).flags)
        // The unpartitioned space spans all of flash (last sector bits all set), as the bootrom reports it.
        let space = Partition(index: PartitionTable.noPartitionIndex,
                              locationWord: unpartitionedFlags & PartitionPermissions.mask | 0x1fff << 13,
                              flagsWord: unpartitionedFlags)
        guard let list = json["partitions"] as? [[String: Any]] else { throw .missing("partitions") }
        guard list.count <= PartitionTable.maxPartitions else { throw .tooMany("partitions") }
        var partitions: [Partition] = []
        var position: UInt32 = 2
        for (index, entry) in list.enumerated() {
            let startSector = try entry["start"].map { value throws(LayoutError) in try sectors(value, "start") } ?? position
            let size = try sectors(entry["size"], "size")
            guard size > 0 else { throw .missing("size") }
            position = startSector + size
            let perms = try permissions(entry["permissions"])
            let (familyFlags, extra) = try families(entry["families"])
            guard extra.count <= 3 else { throw .tooMany("families") }
            var flags = perms | familyFlags | UInt32(extra.count) << 7
            if let link = entry["link"] as? [Any], let type = link.first as? String, let value = link.dropFirst().first as? Int {
                switch type {
                case "a": flags |= 1 << 1
                case "owner": flags |= 2 << 1
                case "none": break
                default: throw .missing("link")
                }
                flags |= UInt32(value & 0xf) << 3
            }
            let name = entry["name"] as? String
            if let name {
                guard name.utf8.count <= 127 else { throw .tooMany("name") }
                flags |= Partition.hasNameBit
            }
            var id: UInt64?
            if let value = entry["id"] {
                guard let parsed = number(value) else { throw .missing("id") }
                id = parsed
                flags |= Partition.hasIDBit
            }
            let booleans: [(String, UInt32)] = [("no_reboot_on_uf2_download", Partition.noRebootOnUF2DownloadBit),
                                                ("ab_non_bootable_owner_affinity", Partition.abNonBootableOwnerAffinityBit),
                                                ("ignored_during_riscv_boot", Partition.ignoredDuringRiscVBootBit),
                                                ("ignored_during_arm_boot", Partition.ignoredDuringArmBootBit)]
            for (key, bit) in booleans where entry[key] as? Bool == true { flags |= bit }
            let location = perms | (startSector & 0x1fff) | ((startSector + size - 1) & 0x1fff) << 13
            partitions.append(Partition(index: index, locationWord: location, flagsWord: flags, id: id, name: name,
                                        extraFamilies: extra))
        }
        return PartitionTable(unpartitioned: space, partitions: partitions)
    }

    /// A size or start in sectors: a number of bytes (or sectors when below 4096, as picotool reads
    /// small numbers) or `"NNNk"`.
    static func sectors(_ value: Any?, _ key: String) throws(LayoutError) -> UInt32 {
        var bytes: UInt64
        if let text = value as? String, text.lowercased().hasSuffix("k"), let kib = UInt64(text.dropLast()) {
            bytes = kib * 1024
        } else if let parsed = value.flatMap(number) {
            bytes = parsed
            if bytes < 4096 { return UInt32(bytes) }
        } else {
            throw .missing(key)
        }
        guard bytes % 4096 == 0 else { throw .unaligned(key) }
        bytes /= 4096
        guard bytes <= 0x2000 else { throw .tooMany(key) }
        return UInt32(bytes)
    }

    /// An integer or a `0x` hex string.
    static func number(_ value: Any) -> UInt64? {
        if let int = value as? Int, int >= 0 { return UInt64(int) }
        if let text = value as? String {
            return text.lowercased().hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        }
        return nil
    }

    /// The permission bits of `{"secure": "rw", ...}`.
    static func permissions(_ value: Any?) throws(LayoutError) -> UInt32 {
        guard let object = value as? [String: Any] else { throw .missing("permissions") }
        var bits = PartitionPermissions()
        let pairs: [(String, PartitionPermissions, PartitionPermissions)] = [
            ("secure", .secureRead, .secureWrite), ("nonsecure", .nonSecureRead, .nonSecureWrite),
            ("bootloader", .bootloaderRead, .bootloaderWrite)]
        for (key, read, write) in pairs {
            let text = object[key] as? String ?? ""
            if text.contains("r") { bits.insert(read) }
            if text.contains("w") { bits.insert(write) }
        }
        return bits.rawValue
    }

    /// Flag bits for the default families and the list of other ids.
    static func families(_ value: Any?) throws(LayoutError) -> (flags: UInt32, extra: [UInt32]) {
        guard let names = value as? [String] else { throw .missing("families") }
        var flags: UInt32 = 0, extra: [UInt32] = []
        for name in names {
            guard let family = Family(parsing: name) else { throw .unknownFamily(name) }
            if let bit = Partition.defaultFamilies.firstIndex(of: family) {
                flags |= 1 << (Partition.defaultFamiliesShift + UInt32(bit))
            } else {
                extra.append(family.rawValue)
            }
        }
        return (flags, extra)
    }
}

extension PartitionTable {
    /// The GET_INFO partition-table answer words after the word count, as the bootrom builds them
    /// (`s_varm_api_get_partition_table_info`): the echoed item bits, then the overview, then per
    /// selected partition its location and flags, id (when it has one), extra families and name.
    /// A board without a table answers `present` false and no partitions.
    public static func answer(_ table: PartitionTable?, unpartitioned: Partition, items: UInt32) -> [UInt32] {
        let partitions = table?.partitions ?? []
        var words = [items & PartitionInfoItems.known.rawValue]
        if items & PartitionInfoItems.tableInfo.rawValue != 0 {
            words += [UInt32(partitions.count) | (table != nil ? 0x100 : 0), unpartitioned.locationWord, unpartitioned.flagsWord]
        }
        let single = items & PartitionInfoItems.singlePartition.rawValue != 0
        for partition in partitions where !single || partition.index == Int(items >> 24) {
            if items & PartitionInfoItems.locationAndFlags.rawValue != 0 { words += [partition.locationWord, partition.flagsWord] }
            if partition.hasID, let id = partition.id, items & PartitionInfoItems.id.rawValue != 0 {
                words += [UInt32(truncatingIfNeeded: id), UInt32(truncatingIfNeeded: id >> 32)]
            }
            if items & PartitionInfoItems.familyIDs.rawValue != 0 { words += partition.extraFamilies }
            if partition.hasName, let name = partition.name, items & PartitionInfoItems.name.rawValue != 0 {
                let bytes = [UInt8(name.utf8.count)] + Array(name.utf8)
                let padded = bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
                for i in stride(from: 0, to: padded.count, by: 4) {
                    var word: UInt32 = 0
                    for j in 0..<4 { word |= UInt32(padded[i + j]) << (8 * UInt32(j)) }
                    words.append(word)
                }
            }
        }
        return words
    }

    /// Where the bootrom writes a UF2 of `family` (`s_varm_ram_trash_get_uf2_target_partition`):
    /// without a table, or for `absolute`, the unpartitioned space if it accepts the family;
    /// otherwise the first bootloader-writable A partition that accepts it, searched as the bootrom
    /// does (bootable and unowned for the current CPU, then for the other, then unowned, then any), and of an A/B
    /// pair the side that is not the one booted. `booted(a)` says which side of the pair whose A is
    /// at index `a` would boot (0 for A, 1 for B).
    public static func uf2Target(_ table: PartitionTable?, unpartitioned: Partition, family: Family,
                                 riscV: Bool, booted: (Int) -> Int) -> UF2TargetPartition {
        guard let table, !table.partitions.isEmpty, family != .absolute else {
            return unpartitioned.flaggedFamilies.contains(family) ? .unpartitioned(unpartitioned) : .none
        }
        // Bootable for the current CPU, then for the other one, then any unowned, then any.
        for (unownedOnly, bootableOnly, cpuIsRiscV) in [(true, true, riscV), (true, true, !riscV), (true, false, riscV), (false, false, riscV)] {
            for partition in table.partitions {
                if case .aPartition = partition.link { continue }
                guard partition.permissions.contains(.bootloaderWrite), partition.accepts(family) else { continue }
                if bootableOnly && (cpuIsRiscV ? partition.ignoredDuringRiscVBoot : partition.ignoredDuringArmBoot) { continue }
                var top = partition.index
                if case .owner(let owner) = partition.link {
                    if unownedOnly { continue }
                    if owner < table.partitions.count { top = owner }
                }
                guard let b = table.bPartition(of: partition.index) else { return .partition(partition) }
                guard b.permissions.contains(.bootloaderWrite) else { continue }
                var which = booted(top)
                if top == partition.index {
                    which ^= 1       // the side that is not booted
                } else if partition.abNonBootableOwnerAffinity {
                    which ^= 1
                }
                return .partition(which == 1 ? b : partition)
            }
        }
        return .none
    }
}
