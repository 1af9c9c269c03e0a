import Foundation
import Testing
import UF2

/// `picoctl uf2 info FILE`: layout per family and the RP2350 target of each block set.
@Suite struct UF2InfoCommandTests {
    func file(_ bytes: [UInt8], _ ext: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-uf2info-\(UUID().uuidString).\(ext)")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func familiesAndTargetsOfAnRP2350File() throws {
        // An rp2350-arm-s image at the flash start with the E10 block, then a data block set elsewhere.
        let code = try SDKConversion.binToUF2([UInt8](repeating: 0x11, count: 600), family: .rp2350ArmS, absoluteBlockAddress: 0x10ff_ff00)
        let data = try SDKConversion.binToUF2([UInt8](repeating: 0x22, count: 256), address: 0x1030_0000, family: .data)
        let path = try file(code + data, "uf2")
        defer { try? FileManager.default.removeItem(atPath: path) }

        let text = try Binary.run(["uf2", "info", path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("RP2350-E10 block"))
        #expect(text.stdout.contains("rp2350-arm-s: 3 of 3 blocks, 768 bytes, 0x10000000-0x10000300"), "\(text.stdout)")
        #expect(text.stdout.contains("target: RP2350: the partition the bootrom picks for rp2350-arm-s"))
        #expect(text.stdout.contains("data: 1 of 1 blocks, 256 bytes, 0x10300000-0x10300100"))
        #expect(text.stdout.contains("target: RP2350: the partition that accepts data"))

        let json = try Binary.run(["uf2", "info", path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let families = try #require(object["families"] as? [[String: Any]])
        #expect(families.map { $0["family"] as? String } == ["rp2350-arm-s", "data"])
        #expect(object["absolute_block"] as? Bool == true)
    }

    @Test func aFileWithoutBlocksIsRefused() throws {
        let path = try file([UInt8](repeating: 0, count: 100), "bin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Binary.run(["uf2", "info", path])
        #expect(result.status == 2 && result.stderr.contains("holds no UF2 block"))
    }
}
