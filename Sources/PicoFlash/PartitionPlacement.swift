import PicoBoot
import UF2

/// Which partition a flash image goes to on an RP2350 with a partition table.
public enum PartitionChoice: Hashable, Sendable {
    /// Ask the bootrom where a UF2 of the image's family would go (what drag-and-drop does).
    case automatic
    /// Into the partition at this index (`--partition N`).
    case index(Int)
    /// At the image's own addresses, whatever the table says (`--ignore-partitions`).
    case ignore
}

/// Where an image is written: into a partition (moved from its link address to the partition's
/// location) or at its own addresses, and why. Decided before planning; the plan sees the moved image.
public struct PartitionPlacement: Hashable, Sendable {
    /// The partition the image goes into; nil when it is written at its own addresses.
    public var partition: Partition?
    /// Why: `bootrom target for rp2350-arm-s`, `--partition 1`, `no partition table`, ...
    public var reason: String

    /// `partition 1 "B" (0x001ff000-0x003fc000, 2036 KiB): bootrom target for rp2350-arm-s`.
    public var description: String {
        guard let partition else { return "absolute addresses: \(reason)" }
        let name = partition.name.map { " \"\($0)\"" } ?? ""
        return "partition \(partition.index)\(name) (\(hex(partition.start))-\(hex(partition.end)), \(partition.size / 1024) KiB): \(reason)"
    }

    /// Why an image cannot be placed.
    public enum Refusal: Error, Hashable, Sendable {
        /// `--partition N` on a board without a partition table.
        case noPartitionTable
        /// `--partition N` past the table's end.
        case noSuchPartition(index: Int, count: Int)
        /// The bootrom would not take a UF2 of this family anywhere.
        case noTarget(family: Family)
        /// The image is larger than its partition.
        case tooLarge(imageBytes: UInt64, partition: Partition)
        /// The image does not start at the flash start, so it cannot be moved into a partition.
        case notLinkedAtFlashStart(address: UInt32)
        /// The image names no family (BIN) and the board has a partition table.
        case familyUnknown
        /// The partition is not writable from BOOTSEL.
        case notWritable(Partition)
    }

    /// Decides where `image` (a flash image for `chip`) goes, from the board's `table` and the
    /// bootrom's answer `target` for the image's family (asked only for `.automatic`). As picotool's
    /// `load`: only an image that starts at the flash start is moved, by the partition's start;
    /// without a table nothing changes.
    public static func place(_ image: MemoryImage, chip: Chip, family: Family?, table: PartitionTable?,
                             target: UF2TargetPartition?, choice: PartitionChoice) throws(Refusal) -> PartitionPlacement {
        let base = UInt32(truncatingIfNeeded: chip.flash.start)
        switch choice {
        case .ignore:
            return PartitionPlacement(partition: nil, reason: "--ignore-partitions")
        case .index(let index):
            guard let table else { throw .noPartitionTable }
            guard index >= 0, index < table.partitions.count else { throw .noSuchPartition(index: index, count: table.partitions.count) }
            return try fit(image, base: base, into: table.partitions[index], reason: "--partition \(index)")
        case .automatic:
            guard table != nil else { return PartitionPlacement(partition: nil, reason: "no partition table") }
            guard let family else { throw .familyUnknown }
            guard image.lowestAddress == base else {
                return PartitionPlacement(partition: nil, reason: "the image is not linked at the flash start")
            }
            switch target {
            case .partition(let answered)?:
                // The answer carries the partition's two words; the table adds its name and id.
                let partition = table?.partitions.first { $0.index == answered.index } ?? answered
                return try fit(image, base: base, into: partition, reason: "bootrom target for \(family.name ?? family.description)")
            case .unpartitioned?:
                return PartitionPlacement(partition: nil, reason: "bootrom target for \(family.name ?? family.description) is unpartitioned space")
            case .none?, nil:
                throw .noTarget(family: family)
            }
        }
    }

    /// Checks that `image` starts at the flash start, fits and may be written, and places it.
    static func fit(_ image: MemoryImage, base: UInt32, into partition: Partition, reason: String) throws(Refusal) -> PartitionPlacement {
        guard let low = image.lowestAddress, let end = image.endAddress else { return PartitionPlacement(partition: partition, reason: reason) }
        guard low == base else { throw .notLinkedAtFlashStart(address: low) }
        guard partition.permissions.contains(.bootloaderWrite) else { throw .notWritable(partition) }
        let span = end - UInt64(base)
        guard span <= UInt64(partition.size) else { throw .tooLarge(imageBytes: span, partition: partition) }
        return PartitionPlacement(partition: partition, reason: reason)
    }

    /// The image as it is written: moved by the partition's start, or unchanged.
    public func apply(to image: MemoryImage) -> MemoryImage {
        guard let partition, partition.start != 0 else { return image }
        return SDKConversion.relocated(image, by: partition.start)
    }
}

extension PartitionPlacement.Refusal: CustomStringConvertible {
    /// What happened, one sentence.
    public var description: String {
        switch self {
        case .noPartitionTable: "the board has no partition table"
        case .noSuchPartition(let index, let count): "there is no partition \(index); the board's table has \(count)"
        case .noTarget(let family): "the board's partition table has no partition that accepts family \(family)"
        case .tooLarge(let bytes, let partition):
            "the image spans \(bytes) bytes but partition \(partition.index) holds \(partition.size) bytes"
        case .notLinkedAtFlashStart(let address):
            "the image starts at \(hex(address)), not at the flash start, so it cannot be moved into a partition"
        case .familyUnknown: "the file names no family (BIN), so the bootrom cannot be asked which partition it belongs in"
        case .notWritable(let partition): "partition \(partition.index) is not writable from BOOTSEL (\(partition.permissions))"
        }
    }

    /// What the user can do.
    public var fix: String {
        switch self {
        case .noPartitionTable, .noSuchPartition: "list the partitions with `picoctl info --device`"
        case .noTarget, .familyUnknown, .notWritable: "choose one with --partition N, or write at absolute addresses with --ignore-partitions"
        case .tooLarge: "use a smaller image or a larger partition"
        case .notLinkedAtFlashStart: "write it at its own addresses with --ignore-partitions"
        }
    }
}
