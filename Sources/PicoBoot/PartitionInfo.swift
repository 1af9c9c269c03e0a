import UF2

/// What a GET_INFO partition-table request asks for (`params[0]`; the `PT_INFO_*` constants of the
/// pico-sdk header `boot/bootrom_constants.h`). Items come back in bit order: the table overview,
/// then per partition its location and flags, id, extra families and name.
public struct PartitionInfoItems: OptionSet, Hashable, Sendable {
    /// The mask (bits 0...15; bits 24...31 carry a partition index with `.singlePartition`).
    public var rawValue: UInt32
    /// Wraps a mask.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Three words: partition count (byte 0) and whether a table is present (bit 8), then the
    /// unpartitioned space's two words (`PT_INFO_PT_INFO`).
    public static let tableInfo = PartitionInfoItems(rawValue: 0x0001)
    /// Two words a partition: permissions and location, permissions and flags.
    public static let locationAndFlags = PartitionInfoItems(rawValue: 0x0010)
    /// Two words (low first) for each partition that has an id.
    public static let id = PartitionInfoItems(rawValue: 0x0020)
    /// The partition's extra family ids (as many words as its flags say).
    public static let familyIDs = PartitionInfoItems(rawValue: 0x0040)
    /// The name: a length byte (low 7 bits), the characters, zero padded to a word.
    public static let name = PartitionInfoItems(rawValue: 0x0080)
    /// Only the partition whose index is in bits 24...31.
    public static let singlePartition = PartitionInfoItems(rawValue: 0x8000)
    /// The bits the bootrom echoes in word 1 of its answer.
    public static let known: PartitionInfoItems = [.tableInfo, .locationAndFlags, .id, .familyIDs, .name, .singlePartition]
}

extension GetInfo {
    /// GET_INFO type 2 for `items`, of one partition when `partition` is given.
    public static func partitionTable(_ items: PartitionInfoItems, partition: Int? = nil) -> GetInfo {
        var mask = items.rawValue
        if let partition { mask |= PartitionInfoItems.singlePartition.rawValue | UInt32(partition & 0xff) << 24 }
        return GetInfo(.partitionTable, params: (mask, 0, 0), length: 256)
    }

    /// GET_INFO type 3: where a UF2 of `family` would be written.
    public static func uf2TargetPartition(_ family: Family) -> GetInfo {
        GetInfo(.uf2TargetPartition, params: (family.rawValue, 0, 0), length: 256)
    }
}

/// Why a GET_INFO answer cannot be decoded.
public enum InfoDecodeError: Error, Hashable, Sendable {
    /// The answer is shorter than its word count or its items need.
    case truncated
    /// Word 1 does not echo the items that were asked for.
    case unexpectedItems(UInt32)
    /// A partition's two words disagree about its permissions (the bootrom refuses such a table).
    case permissionMismatch(partition: Int)
    /// The answer's word 0 is not what this type always answers.
    case unexpectedWordCount(UInt32)
}

/// The little-endian words of a GET_INFO answer after its word count, checked against that count.
func answerWords(_ bytes: [UInt8]) throws(InfoDecodeError) -> [UInt32] {
    guard bytes.count >= 4 else { throw .truncated }
    let count = Int(bytes.readUInt32(at: 0))
    guard bytes.count >= 4 * (count + 1) else { throw .truncated }
    return (0..<count).map { bytes.readUInt32(at: 4 * ($0 + 1)) }
}

extension PartitionTable {
    /// The items the overview read asks for (what picotool asks for too).
    public static let overviewItems: PartitionInfoItems = [.tableInfo, .locationAndFlags, .id]
    /// The items of the per-partition read for families and name.
    public static let detailItems: PartitionInfoItems = [.familyIDs, .name]

    /// Decodes the answer to `GetInfo.partitionTable(overviewItems)`. Returns nil when the bootrom
    /// says no partition table is present (flash is then one unpartitioned space). Names and extra
    /// families are filled in later from `decodeDetails`.
    public static func decodeOverview(_ bytes: [UInt8]) throws(InfoDecodeError) -> PartitionTable? {
        let words = try answerWords(bytes)
        guard words.count >= 4 else { throw .truncated }
        guard words[0] == overviewItems.rawValue else { throw .unexpectedItems(words[0]) }
        let count = Int(words[1] & 0xff), present = words[1] & 0x100 != 0
        let unpartitioned = Partition(index: noPartitionIndex, locationWord: words[2], flagsWord: words[3])
        guard present else { return nil }
        guard count <= maxPartitions else { throw .truncated }
        var partitions: [Partition] = []
        var position = 4
        for index in 0..<count {
            guard position + 2 <= words.count else { throw .truncated }
            var partition = Partition(index: index, locationWord: words[position], flagsWord: words[position + 1])
            position += 2
            guard partition.permissionsAgree else { throw .permissionMismatch(partition: index) }
            if partition.hasID {
                guard position + 2 <= words.count else { throw .truncated }
                partition.id = UInt64(words[position]) | UInt64(words[position + 1]) << 32
                position += 2
            }
            partitions.append(partition)
        }
        return PartitionTable(unpartitioned: unpartitioned, partitions: partitions)
    }

    /// Decodes the answer to `GetInfo.partitionTable(detailItems, partition:)` into `partition`'s
    /// extra families and name.
    public static func decodeDetails(_ bytes: [UInt8], into partition: inout Partition) throws(InfoDecodeError) {
        let words = try answerWords(bytes)
        let expected = detailItems.union(.singlePartition).rawValue | UInt32(partition.index & 0xff) << 24
        guard let first = words.first else { throw .truncated }
        // The bootrom echoes the item bits only (its echo mask has no partition index).
        guard first == expected & 0xffff || first == expected else { throw .unexpectedItems(first) }
        let families = partition.extraFamilyCount
        guard words.count >= 1 + families else { throw .truncated }
        partition.extraFamilies = Array(words[1..<(1 + families)])
        guard partition.hasName else { partition.name = nil; return }
        let nameBytes = words.dropFirst(1 + families).flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        guard let length = nameBytes.first.map({ Int($0 & 0x7f) }), nameBytes.count >= 1 + length else { throw .truncated }
        partition.name = String(decoding: nameBytes[1...length], as: UTF8.self)
    }
}

/// The bootrom's answer to GET_INFO type 3: where a UF2 of one family goes.
public enum UF2TargetPartition: Hashable, Sendable {
    /// Into the partition at this index (its two words as the bootrom has them).
    case partition(Partition)
    /// Into unpartitioned space, at the image's own addresses.
    case unpartitioned(Partition)
    /// Nowhere: the bootrom would ignore a UF2 of this family.
    case none

    /// Decodes the answer: word 0 is always 3, word 1 the index (0xff unpartitioned, all ones
    /// none), words 2 and 3 the partition's two words.
    public init(answer bytes: [UInt8]) throws(InfoDecodeError) {
        guard bytes.count >= 16 else { throw .truncated }
        let count = bytes.readUInt32(at: 0)
        guard count == 3 else { throw .unexpectedWordCount(count) }
        let index = bytes.readUInt32(at: 4)
        let partition = Partition(index: Int(index & 0xff), locationWord: bytes.readUInt32(at: 8), flagsWord: bytes.readUInt32(at: 12))
        switch index {
        case 0xffff_ffff: self = .none
        case UInt32(PartitionTable.noPartitionIndex): self = .unpartitioned(partition)
        case 0..<UInt32(PartitionTable.maxPartitions): self = .partition(partition)
        default: throw .unexpectedWordCount(index)
        }
    }

    /// The four answer words (used by simulated boards).
    public var words: [UInt32] {
        switch self {
        case .partition(let p): [3, UInt32(p.index), p.locationWord, p.flagsWord]
        case .unpartitioned(let p): [3, UInt32(PartitionTable.noPartitionIndex), p.locationWord, p.flagsWord]
        case .none: [3, 0xffff_ffff, 0, 0]
        }
    }
}
