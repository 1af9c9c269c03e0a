import UF2

// The RP2350 partition table as its bootrom describes it. Bit layouts: the PICOBIN_PARTITION_*
// constants of the pico-sdk header `boot/picobin.h`; the partition count and PT_INFO_* answer
// layout: `boot/bootrom_constants.h`.

/// Who may read and write a partition (the top six bits of both partition words,
/// `PICOBIN_PARTITION_PERMISSION_*` in `boot/picobin.h`).
public struct PartitionPermissions: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The bits, in place (26...31).
    public var rawValue: UInt32
    /// Wraps the bits (other bits are dropped).
    public init(rawValue: UInt32) { self.rawValue = rawValue & Self.mask }

    /// All permission bits (`PICOBIN_PARTITION_PERMISSIONS_BITS`).
    public static let mask: UInt32 = 0xfc00_0000
    /// Secure code may read.
    public static let secureRead = PartitionPermissions(rawValue: 0x0400_0000)
    /// Secure code may write.
    public static let secureWrite = PartitionPermissions(rawValue: 0x0800_0000)
    /// Non-secure code may read.
    public static let nonSecureRead = PartitionPermissions(rawValue: 0x1000_0000)
    /// Non-secure code may write.
    public static let nonSecureWrite = PartitionPermissions(rawValue: 0x2000_0000)
    /// The bootloader (BOOTSEL: PICOBOOT and drag-and-drop) may read.
    public static let bootloaderRead = PartitionPermissions(rawValue: 0x4000_0000)
    /// The bootloader (BOOTSEL: PICOBOOT and drag-and-drop) may write.
    public static let bootloaderWrite = PartitionPermissions(rawValue: 0x8000_0000)

    /// `S:rw NS:r- BL:rw`, the way picotool's partition listing spells them.
    public var description: String {
        func pair(_ read: PartitionPermissions, _ write: PartitionPermissions) -> String {
            (contains(read) ? "r" : "-") + (contains(write) ? "w" : "-")
        }
        return "S:\(pair(.secureRead, .secureWrite)) NS:\(pair(.nonSecureRead, .nonSecureWrite)) BL:\(pair(.bootloaderRead, .bootloaderWrite))"
    }
}

/// How a partition is tied to another one (`PICOBIN_PARTITION_FLAGS_LINK_*` in `boot/picobin.h`).
public enum PartitionLink: Hashable, Sendable {
    /// Not linked.
    case none
    /// This is the B partition of the A partition at this index.
    case aPartition(Int)
    /// This partition is owned by the partition at this index.
    case owner(Int)
    /// A link type the header does not define (kept so nothing is guessed).
    case unknown(type: Int, value: Int)
}

/// One partition: its two words as the bootrom stores them, its id, extra families and name.
public struct Partition: Hashable, Sendable {
    /// Flash sector size (4 KiB): partition bounds are in sectors.
    public static let sectorSize: UInt32 = 4096
    /// `PICOBIN_PARTITION_FLAGS_HAS_ID_BITS`.
    public static let hasIDBit: UInt32 = 0x0000_0001
    /// `PICOBIN_PARTITION_FLAGS_HAS_NAME_BITS`.
    public static let hasNameBit: UInt32 = 0x0000_1000
    /// `PICOBIN_PARTITION_FLAGS_IGNORED_DURING_ARM_BOOT_BITS`.
    public static let ignoredDuringArmBootBit: UInt32 = 0x0000_0200
    /// `PICOBIN_PARTITION_FLAGS_IGNORED_DURING_RISCV_BOOT_BITS`.
    public static let ignoredDuringRiscVBootBit: UInt32 = 0x0000_0400
    /// `PICOBIN_PARTITION_FLAGS_UF2_DOWNLOAD_AB_NON_BOOTABLE_OWNER_AFFINITY`.
    public static let abNonBootableOwnerAffinityBit: UInt32 = 0x0000_0800
    /// `PICOBIN_PARTITION_FLAGS_UF2_DOWNLOAD_NO_REBOOT_BITS`.
    public static let noRebootOnUF2DownloadBit: UInt32 = 0x0000_2000
    /// `PICOBIN_PARTITION_FLAGS_ACCEPTS_DEFAULT_FAMILIES_LSB`: bit 14 + n accepts family 0xe48bff56 + n
    /// (rp2040, absolute, data, rp2350-arm-s, rp2350-riscv, rp2350-arm-ns).
    public static let defaultFamiliesShift: UInt32 = 14
    /// The families with a flag bit, in bit order.
    public static let defaultFamilies: [Family] = [.rp2040, .absolute, .data, .rp2350ArmS, .rp2350RiscV, .rp2350ArmNS]

    /// The partition's index in the table (0xff for unpartitioned space).
    public var index: Int
    /// Permissions and location (first sector bits 0...12, last sector bits 13...25).
    public var locationWord: UInt32
    /// Permissions and flags.
    public var flagsWord: UInt32
    /// The 64-bit id, when the partition has one.
    public var id: UInt64?
    /// The name, when the partition has one (nil also when it was not read).
    public var name: String?
    /// Family ids accepted beyond the flag bits (at most three).
    public var extraFamilies: [UInt32]

    /// A partition from its words.
    public init(index: Int, locationWord: UInt32, flagsWord: UInt32, id: UInt64? = nil, name: String? = nil,
                extraFamilies: [UInt32] = []) {
        self.index = index
        self.locationWord = locationWord
        self.flagsWord = flagsWord
        self.id = id
        self.name = name
        self.extraFamilies = extraFamilies
    }

    /// The first sector.
    public var firstSector: UInt32 { locationWord & 0x1fff }
    /// The last sector (inclusive).
    public var lastSector: UInt32 { (locationWord >> 13) & 0x1fff }
    /// Offset of the first byte from the start of flash.
    public var start: UInt32 { firstSector * Self.sectorSize }
    /// Offset just past the last byte.
    public var end: UInt32 { (lastSector + 1) * Self.sectorSize }
    /// Size in bytes (0 when the words are inconsistent).
    public var size: UInt32 { end > start ? end - start : 0 }
    /// The permissions (from the location word; the bootrom requires both words to agree).
    public var permissions: PartitionPermissions { PartitionPermissions(rawValue: locationWord) }
    /// True when the two words carry the same permissions, as the bootrom requires.
    public var permissionsAgree: Bool { (locationWord ^ flagsWord) & PartitionPermissions.mask == 0 }
    /// The flags word holds an id.
    public var hasID: Bool { flagsWord & Self.hasIDBit != 0 }
    /// The flags word says a name follows.
    public var hasName: Bool { flagsWord & Self.hasNameBit != 0 }
    /// How many extra family ids follow (`ACCEPTS_NUM_EXTRA_FAMILIES`, bits 7...8).
    public var extraFamilyCount: Int { Int((flagsWord >> 7) & 0x3) }
    /// The link to another partition (`LINK_TYPE` bits 1...2, `LINK_VALUE` bits 3...6).
    public var link: PartitionLink {
        let value = Int((flagsWord >> 3) & 0xf)
        switch (flagsWord >> 1) & 0x3 {
        case 0: return .none
        case 1: return .aPartition(value)
        case 2: return .owner(value)
        case let type: return .unknown(type: Int(type), value: value)
        }
    }
    /// The default families whose flag bits are set.
    public var flaggedFamilies: [Family] {
        Self.defaultFamilies.enumerated().filter { flagsWord & (1 << (Self.defaultFamiliesShift + UInt32($0.offset))) != 0 }.map(\.element)
    }
    /// Every family the partition accepts: flagged ones, then extra ones.
    public var families: [Family] { flaggedFamilies + extraFamilies.map(Family.init(rawValue:)) }
    /// Ignored when booting on Arm.
    public var ignoredDuringArmBoot: Bool { flagsWord & Self.ignoredDuringArmBootBit != 0 }
    /// Ignored when booting on RISC-V.
    public var ignoredDuringRiscVBoot: Bool { flagsWord & Self.ignoredDuringRiscVBootBit != 0 }
    /// A UF2 download picks the non-bootable owner's side.
    public var abNonBootableOwnerAffinity: Bool { flagsWord & Self.abNonBootableOwnerAffinityBit != 0 }
    /// The board does not reboot after a UF2 download into this partition.
    public var noRebootOnUF2Download: Bool { flagsWord & Self.noRebootOnUF2DownloadBit != 0 }

    /// The flag names set, as picotool's JSON spells them (`ignored_during_arm_boot`, ...).
    public var flagNames: [String] {
        var names: [String] = []
        if ignoredDuringArmBoot { names.append("ignored_during_arm_boot") }
        if ignoredDuringRiscVBoot { names.append("ignored_during_riscv_boot") }
        if abNonBootableOwnerAffinity { names.append("ab_non_bootable_owner_affinity") }
        if noRebootOnUF2Download { names.append("no_reboot_on_uf2_download") }
        return names
    }

    /// Whether a UF2 of `family` may go here by its flags and extra families.
    public func accepts(_ family: Family) -> Bool { families.contains(family) }
}

/// The partition table a board's bootrom has loaded, with the unpartitioned space's permissions.
public struct PartitionTable: Hashable, Sendable {
    /// Most partitions a table holds (`PARTITION_TABLE_MAX_PARTITIONS`, `boot/bootrom_constants.h`).
    public static let maxPartitions = 16
    /// The index the bootrom uses for unpartitioned space (`PARTITION_TABLE_NO_PARTITION_INDEX`).
    public static let noPartitionIndex = 0xff

    /// The unpartitioned space (index 0xff): its permissions and the families accepted there.
    public var unpartitioned: Partition
    /// The partitions, in table order.
    public var partitions: [Partition]

    /// A table of `partitions` with `unpartitioned` space.
    public init(unpartitioned: Partition, partitions: [Partition]) {
        self.unpartitioned = unpartitioned
        self.partitions = partitions
    }

    /// The B partition of the A partition at `index` (the one linked to it as `a`), if any.
    public func bPartition(of index: Int) -> Partition? {
        partitions.first { $0.link == .aPartition(index) }
    }

    /// The partition holding flash offset `offset`, if any.
    public func partition(containing offset: UInt32) -> Partition? {
        partitions.first { offset >= $0.start && offset < $0.end }
    }
}
