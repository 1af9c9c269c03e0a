import Testing
@testable import PicoBoot
import UF2

/// GET_INFO partition-table and UF2-target requests and answers, with words laid out as the RP2350
/// bootrom's `get_partition_table_info` writes them (`boot/bootrom_constants.h` PT_INFO_* layout).
@Suite struct PartitionInfoTests {
    /// picotool's default table (json/default-pt.json): A at sectors 2...510, B at 511...1019 linked
    /// to A, both named, with ids 0 and 1, families rp2350-arm-s and rp2350-riscv, all permissions.
    static let overviewWords: [UInt32] = [
        12, 0x31,                              // word count, items echoed (PT_INFO | LOCATION_AND_FLAGS | ID)
        0x102, 0xffff_e000, 0xfc00_8000,      // 2 partitions, table present; unpartitioned space (absolute)
        0xfc3f_c002, 0xfc06_1001, 0, 0,        // A: location, flags (has id, has name), id 0
        0xfc7f_61ff, 0xfc06_1003, 1, 0,        // B: location, flags (link a 0), id 1
    ]

    @Test func requestsEncodeTheItemMaskAndPartitionIndex() {
        #expect(GetInfo.partitionTable(PartitionTable.overviewItems).packet(token: 5).bytes
            == bytes("0bd11f43 05000000 8b 10 0000 00010000 02 00 0000 31000000 00000000 00000000"))
        #expect(GetInfo.partitionTable(PartitionTable.detailItems, partition: 1).packet(token: 6).bytes
            == bytes("0bd11f43 06000000 8b 10 0000 00010000 02 00 0000 c0800001 00000000 00000000"))
        #expect(GetInfo.uf2TargetPartition(.rp2350RiscV).packet(token: 7).bytes
            == bytes("0bd11f43 07000000 8b 10 0000 00010000 03 00 0000 5aff8be4 00000000 00000000"))
    }

    @Test func overviewDecodesLocationsPermissionsLinksAndIDs() throws {
        let table = try #require(try PartitionTable.decodeOverview([UInt8](littleEndianWords: Self.overviewWords)))
        #expect(table.partitions.count == 2)
        let a = table.partitions[0], b = table.partitions[1]
        #expect(a.start == 0x2000 && a.end == 0x1ff000 && a.size == 2036 * 1024)
        #expect(b.start == 0x1ff000 && b.end == 0x3fc000)
        #expect(a.permissions == [.secureRead, .secureWrite, .nonSecureRead, .nonSecureWrite, .bootloaderRead, .bootloaderWrite])
        #expect(a.permissions.description == "S:rw NS:rw BL:rw")
        #expect(a.link == .none && b.link == .aPartition(0))
        #expect(a.id == 0 && b.id == 1)
        #expect(a.families == [.rp2350ArmS, .rp2350RiscV] && a.hasName && a.name == nil)
        #expect(table.bPartition(of: 0) == b)
        #expect(table.unpartitioned.families == [.absolute])
        #expect(table.partition(containing: 0x1ff000)?.index == 1)
    }

    @Test func noTableAndBrokenAnswersAreToldApart() throws {
        let none: [UInt32] = [4, 0x31, 0x000, 0xffff_e000, 0xfc06_8000]
        #expect(try PartitionTable.decodeOverview([UInt8](littleEndianWords: none)) == nil)
        #expect(throws: InfoDecodeError.truncated) { try PartitionTable.decodeOverview([UInt8](littleEndianWords: Array(Self.overviewWords.prefix(9)))) }
        var mismatch = Self.overviewWords
        mismatch[6] &= ~PartitionPermissions.bootloaderWrite.rawValue
        #expect(throws: InfoDecodeError.permissionMismatch(partition: 0)) { try PartitionTable.decodeOverview([UInt8](littleEndianWords: mismatch)) }
        var items = Self.overviewWords
        items[1] = 0x11
        #expect(throws: InfoDecodeError.unexpectedItems(0x11)) { try PartitionTable.decodeOverview([UInt8](littleEndianWords: items)) }
    }

    @Test func detailsDecodeExtraFamiliesAndName() throws {
        // One extra family (cyw43 firmware), name "wifi": length byte 4, then the characters, zero padded.
        var partition = Partition(index: 2, locationWord: 0xfc00_0000, flagsWord: 0xfc00_1000 | 1 << 7)
        let answer: [UInt32] = [4, 0x80c0, 0xe48b_ff55, 0x6669_7704, 0x0000_0069]
        try PartitionTable.decodeDetails([UInt8](littleEndianWords: answer), into: &partition)
        #expect(partition.extraFamilies == [0xe48b_ff55])
        #expect(partition.name == "wifi")
        #expect(partition.families == [.cyw43])
    }

    @Test func uf2TargetAnswers() throws {
        let inB = try UF2TargetPartition(answer: [UInt8](littleEndianWords: [3, 1, 0xfc7f_61ff, 0xfc06_1003]))
        guard case .partition(let b) = inB else { Issue.record("expected a partition"); return }
        #expect(b.index == 1 && b.start == 0x1ff000)
        #expect(try UF2TargetPartition(answer: [UInt8](littleEndianWords: [3, 0xff, 0xffff_e000, 0xfc06_8000]))
            == .unpartitioned(Partition(index: 0xff, locationWord: 0xffff_e000, flagsWord: 0xfc06_8000)))
        #expect(try UF2TargetPartition(answer: [UInt8](littleEndianWords: [3, 0xffff_ffff, 0, 0])) == UF2TargetPartition.none)
        #expect(throws: InfoDecodeError.unexpectedWordCount(2)) { try UF2TargetPartition(answer: [UInt8](littleEndianWords: [2, 0, 0, 0])) }
        #expect(UF2TargetPartition.partition(b).words == [3, 1, 0xfc7f_61ff, 0xfc06_1003])
    }
}
