import Foundation
import Testing
import PicoBoot
@testable import PicoSim
import UF2

/// The simulated RP2350 bootrom's partition table, UF2 target choice and OTP reads, with tables laid
/// out as `picotool partition create` lays out its JSON.
@Suite struct PartitionModelTests {
    /// picotool's json/default-pt.json.
    static let defaultTable = """
    {"version": [1, 0],
     "unpartitioned": {"families": ["absolute"], "permissions": {"secure": "rw", "nonsecure": "rw", "bootloader": "rw"}},
     "partitions": [
       {"name": "A", "id": 0, "size": "2036K", "families": ["rp2350-arm-s", "rp2350-riscv"],
        "permissions": {"secure": "rw", "nonsecure": "rw", "bootloader": "rw"}},
       {"name": "B", "id": 1, "size": "2036K", "families": ["rp2350-arm-s", "rp2350-riscv"],
        "permissions": {"secure": "rw", "nonsecure": "rw", "bootloader": "rw"}, "link": ["a", 0]}]}
    """

    static func table(_ json: String) throws -> PartitionTable {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try PartitionTableLayout.table(fromJSON: object)
    }

    func board(_ json: String?) throws -> (SimulatedBoard, PicobootConnection) {
        let board = SimulatedBoard(chip: .rp2350, flashSize: 4 << 20)
        if let json {
            let table = try Self.table(json)
            board.partitionTable = table
            board.unpartitionedSpace = table.unpartitioned
        }
        return (board, PicobootConnection(transport: board))
    }

    func target(_ connection: PicobootConnection, _ family: Family) throws -> UF2TargetPartition {
        try UF2TargetPartition(answer: try connection.execute(GetInfo.uf2TargetPartition(family)))
    }

    @Test func defaultTableIsLaidOutAsPicotoolDoes() throws {
        let table = try Self.table(Self.defaultTable)
        #expect(table.partitions.map(\.locationWord) == [0xfc3f_c002, 0xfc7f_61ff])
        #expect(table.partitions.map(\.flagsWord) == [0xfc06_1001, 0xfc06_1003])
        #expect(table.unpartitioned.flagsWord == 0xfc00_8000)
    }

    @Test func partitionTableReadsBackThroughGetInfo() throws {
        let (board, connection) = try board(Self.defaultTable)
        let overview = try connection.execute(GetInfo.partitionTable(PartitionTable.overviewItems))
        var table = try #require(try PartitionTable.decodeOverview(overview))
        for index in table.partitions.indices {
            try PartitionTable.decodeDetails(try connection.execute(GetInfo.partitionTable(PartitionTable.detailItems, partition: index)),
                                             into: &table.partitions[index])
        }
        #expect(table == board.partitionTable)
        #expect(table.partitions.map(\.name) == ["A", "B"])
    }

    @Test func boardWithoutTableSaysSoAndTakesImagesAtAbsoluteAddresses() throws {
        let (_, connection) = try board(nil)
        #expect(try PartitionTable.decodeOverview(try connection.execute(GetInfo.partitionTable(PartitionTable.overviewItems))) == nil)
        guard case .unpartitioned = try target(connection, .rp2350ArmS) else { Issue.record("expected unpartitioned space"); return }
        #expect(try target(connection, .rp2350ArmNS) == UF2TargetPartition.none)
    }

    @Test func abPairTakesTheSideThatDoesNotBoot() throws {
        let (board, connection) = try board(Self.defaultTable)
        // Neither side holds an image: A is the one that boots, so a download goes to B.
        guard case .partition(let first) = try target(connection, .rp2350ArmS) else { Issue.record("no target"); return }
        #expect(first.index == 1)
        // Only B holds an image: B boots, so the next download goes to A.
        board.preload(flashAt: 0x1000_0000 + first.start, [0x01, 0x02])
        guard case .partition(let second) = try target(connection, .rp2350RiscV) else { Issue.record("no target"); return }
        #expect(second.index == 0)
        // Absolute images go to unpartitioned space; a family no partition accepts goes nowhere.
        guard case .unpartitioned = try target(connection, .absolute) else { Issue.record("expected unpartitioned"); return }
        #expect(try target(connection, .rp2040) == UF2TargetPartition.none)
    }

    @Test func onlyBootloaderWritableAcceptingPartitionsAreTargets() throws {
        let json = """
        {"unpartitioned": {"families": ["absolute"], "permissions": {"secure": "rw", "nonsecure": "rw", "bootloader": "rw"}},
         "partitions": [
           {"name": "locked", "size": "64K", "families": ["rp2350-arm-s"], "permissions": {"secure": "rw", "bootloader": "r"}},
           {"name": "data", "size": "64K", "families": ["data"], "permissions": {"secure": "rw", "bootloader": "rw"}},
           {"name": "app", "start": "256K", "size": "512K", "families": ["rp2350-arm-s"], "permissions": {"secure": "rw", "bootloader": "rw"},
            "ignored_during_riscv_boot": true}]}
        """
        let (_, connection) = try board(json)
        guard case .partition(let app) = try target(connection, .rp2350ArmS) else { Issue.record("no target"); return }
        #expect(app.index == 2 && app.start == 256 * 1024 && app.size == 512 * 1024)
        guard case .partition(let data) = try target(connection, .data) else { Issue.record("no target"); return }
        #expect(data.index == 1 && data.start == 0x12000)
    }

    @Test func picotoolRefusalsAreRefused() throws {
        #expect(throws: PartitionTableLayout.LayoutError.unaligned("size")) {
            try Self.table(#"{"unpartitioned": {"families": [], "permissions": {}}, "partitions": [{"size": 5000, "families": [], "permissions": {}}]}"#)
        }
        #expect(throws: PartitionTableLayout.LayoutError.unknownFamily("rp2351")) {
            try Self.table(#"{"unpartitioned": {"families": ["rp2351"], "permissions": {}}, "partitions": []}"#)
        }
    }

    @Test func otpReadsRowsAndRefusesLockedPages() throws {
        let (board, connection) = try board(nil)
        board.otp[0x0] = 0x12_3456
        board.otp[0x1] = 0x00_abcd
        #expect(try connection.execute(OTPRead(row: 0, count: 2, ecc: true)) == [0x56, 0x34, 0xcd, 0xab])
        #expect(try connection.execute(OTPRead(row: 0, count: 1, ecc: false)) == [0x56, 0x34, 0x12, 0x00])
        board.otpPageLocks[2] = 3                          // rows 0x80...0xbf unreadable
        #expect(throws: PicobootError.self) { try connection.execute(OTPRead(row: 0x7f, count: 2)) }
        #expect(connection.lastFailureStatus?.status == .notPermitted)
        try connection.reset()
        #expect(try connection.execute(OTPRead(row: 0x7f, count: 1)).count == 2)
        #expect(throws: PicobootError.self) { try connection.execute(OTPRead(row: 0xfff, count: 2)) }
        #expect(connection.lastFailureStatus?.status == .invalidArgument)
    }
}
