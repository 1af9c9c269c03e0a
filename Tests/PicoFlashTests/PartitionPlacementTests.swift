import Foundation
import Testing
import PicoBoot
@testable import PicoFlash
import PicoSim
import UF2

/// Flashing an RP2350 with a partition table: the bootrom is asked where the image's family goes,
/// the image is moved there, too-large images and impossible choices are refused before any write.
@Suite struct PartitionPlacementTests {
    let base: UInt32 = 0x1000_0000

    /// picotool's json/default-pt.json: A at 0x2000, B at 0x1ff000, 2036 KiB each, B linked to A.
    static let defaultTable = """
    {"unpartitioned": {"families": ["absolute"], "permissions": {"secure": "rw", "nonsecure": "rw", "bootloader": "rw"}},
     "partitions": [
       {"name": "A", "id": 0, "size": "2036K", "families": ["rp2350-arm-s", "rp2350-riscv"],
        "permissions": {"secure": "rw", "nonsecure": "rw", "bootloader": "rw"}},
       {"name": "B", "id": 1, "size": "2036K", "families": ["rp2350-arm-s", "rp2350-riscv"],
        "permissions": {"secure": "rw", "nonsecure": "rw", "bootloader": "rw"}, "link": ["a", 0]}]}
    """

    func rig(table json: String? = defaultTable) throws -> Rig {
        let rig = Rig(chip: .rp2350, flashSize: 4 << 20)
        if let json {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let table = try PartitionTableLayout.table(fromJSON: object)
            rig.board.partitionTable = table
            rig.board.unpartitionedSpace = table.unpartitioned
        }
        return rig
    }

    func options(_ choice: PartitionChoice = .automatic, family: Family? = .rp2350ArmS, dryRun: Bool = false) -> FlashOptions {
        var options = FlashOptions()
        options.family = family
        options.partition = choice
        options.dryRun = dryRun
        options.reboot = false
        return options
    }

    func blank(_ rig: Rig, _ offset: UInt32, _ count: Int) -> Bool { rig.flashBytes(base + offset, count).allSatisfy { $0 == 0xFF } }

    @Test func imageGoesToTheBootromsTargetPartition() throws {
        let rig = try rig()
        let data = pattern(8192)
        let summary = try rig.executor.flash(image(base, data), options: options())
        #expect(summary.placement?.partition?.index == 1)
        #expect(rig.flashBytes(base + 0x1ff000, data.count) == data)
        #expect(blank(rig, 0, 0x1ff000), "nothing outside partition B is written")
        // B now holds an image, so it is the side that boots: the next download goes to A.
        let again = try rig.executor.flash(image(base, data), options: options(family: .rp2350RiscV))
        #expect(again.placement?.partition?.index == 0)
        #expect(rig.flashBytes(base + 0x2000, data.count) == data)
    }

    @Test func explicitPartitionAndIgnoringTheTable() throws {
        let rig = try rig()
        let data = pattern(4096, seed: 3)
        let chosen = try rig.executor.flash(image(base, data), options: options(.index(0)))
        #expect(chosen.placement?.partition?.index == 0 && chosen.placement?.reason == "--partition 0")
        #expect(rig.flashBytes(base + 0x2000, data.count) == data)
        let absolute = try rig.executor.flash(image(base, data), options: options(.ignore))
        #expect(absolute.placement?.partition == nil)
        #expect(rig.flashBytes(base, data.count) == data)
    }

    @Test func tooLargeImagesAndImpossibleChoicesAreRefusedBeforeWriting() throws {
        let rig = try rig()
        let large = image(base, pattern(2036 * 1024 + 256))
        #expect(throws: FlashError.self) { try rig.executor.flash(large, options: options()) }
        #expect(blank(rig, 0, 4 << 20))
        #expect(throws: FlashError.placement(.noSuchPartition(index: 2, count: 2))) {
            try rig.executor.flash(image(base, pattern(256)), options: options(.index(2)))
        }
        #expect(throws: FlashError.placement(.noTarget(family: .rp2350ArmNS))) {
            try rig.executor.flash(image(base, pattern(256)), options: options(family: .rp2350ArmNS))
        }
        #expect(throws: FlashError.placement(.familyUnknown)) {
            try rig.executor.flash(image(base, pattern(256)), options: options(family: nil))
        }
        #expect(throws: FlashError.placement(.notLinkedAtFlashStart(address: base + 0x1000))) {
            try rig.executor.flash(image(base + 0x1000, pattern(256)), options: options(.index(1)))
        }
        #expect(blank(rig, 0, 4 << 20))
        #expect(rig.board.exclusiveAccess == .shared)
    }

    @Test func dryRunShowsTheTargetAndChangesNothing() throws {
        let rig = try rig()
        let summary = try rig.executor.flash(image(base, pattern(4096)), options: options(dryRun: true))
        let placement = try #require(summary.placement)
        #expect(placement.description == "partition 1 \"B\" (0x001ff000-0x003fc000, 2036 KiB): bootrom target for rp2350-arm-s")
        #expect(summary.plan.pageCount == 16)
        #expect(blank(rig, 0, 4 << 20))
    }

    @Test func boardWithoutTableWritesAtTheImagesAddresses() throws {
        let rig = try rig(table: nil)
        let data = pattern(4096, seed: 9)
        let summary = try rig.executor.flash(image(base, data), options: options())
        #expect(summary.placement == PartitionPlacement(partition: nil, reason: "no partition table"))
        #expect(rig.flashBytes(base, data.count) == data)
        #expect(throws: FlashError.placement(.noPartitionTable)) { try rig.executor.flash(image(base, data), options: options(.index(0))) }
    }

    @Test func tableReadsBackWithNames() throws {
        let rig = try rig()
        let table = try #require(try rig.executor.partitionTable())
        #expect(table.partitions.map(\.name) == ["A", "B"] && table.partitions.map(\.id) == [0, 1])
        #expect(try Rig(chip: .rp2350).executor.partitionTable() == nil)
    }
}
