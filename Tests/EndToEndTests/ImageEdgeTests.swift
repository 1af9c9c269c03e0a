import Foundation
import Testing
import UF2

/// Firmware files at the edges: blocks a bootrom skips, the top of the address space.
@Suite struct ImageEdgeTests {
    let dir: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-edge-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func json(_ result: Binary.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout) \(result.stderr)")
    }

    static func block(_ address: UInt32, _ number: UInt32, of count: UInt32, family: Family = .rp2040,
                      notMainFlash: Bool = false, bytes: [UInt8] = [UInt8](repeating: 0, count: 256)) -> UF2Block {
        UF2Block(flags: notMainFlash ? [.familyIDPresent, .notMainFlash] : .familyIDPresent, targetAddress: address,
                 payloadSize: 256, blockNumber: number, blockCount: count, familyOrFileSize: family.rawValue, data: bytes)
    }

    static func uf2(_ blocks: [UF2Block]) -> [UInt8] { blocks.flatMap(\.encoded) }

    /// An ELF with one PT_LOAD segment of `bytes` at `address`, entered at `entry`.
    static func elf(_ bytes: [UInt8], at address: UInt32, entry: UInt32) -> [UInt8] {
        var out: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        func u16(_ v: UInt16) { out += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        func u32(_ v: UInt32) { for b in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(b)))) } }
        u16(2); u16(40); u32(1); u32(entry); u32(52); u32(0); u32(0); u16(52); u16(32); u16(1); u16(40); u16(0); u16(0)
        for w: UInt32 in [1, 84, address, address, UInt32(bytes.count), UInt32(bytes.count), 5, 4] { u32(w) }
        return out + bytes
    }

    // MARK: Blocks flagged not main flash

    @Test func notMainFlashBlocksAreSkippedBeforeEveryRule() throws {
        let boot2 = Boot2.sealed([UInt8](repeating: 0x42, count: 252))
        // Skipped blocks that would break numbering, counts, overlaps, ranges and the family list if they counted.
        let file = try write(Self.uf2([
            Self.block(0x1000_0000, 7, of: 9, notMainFlash: true, bytes: [UInt8](repeating: 0xAA, count: 256)),
            Self.block(0x1000_0000, 0, of: 2, bytes: boot2),
            Self.block(0xFFFF_FF00, 0, of: 1, family: .rp2350ArmS, notMainFlash: true),
            Self.block(0x1000_0100, 1, of: 2),
            Self.block(0x1000_0100, 1, of: 2, notMainFlash: true),
        ]), "skipped.uf2")
        let validate = try Binary.run(["uf2", "validate", "--strict", "--json", file])
        #expect(validate.status == 0, "\(validate.stdout)")
        let report = try json(validate)
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(findings.filter { $0["rule"] as? String == "not-main-flash" }.map { $0["block"] as? Int } == [0, 2, 4])
        #expect(findings.allSatisfy { $0["severity"] as? String == "info" }, "\(findings)")
        #expect(report["notMainFlashBlocks"] as? Int == 3)
        let families = report["families"] as? [[String: Any]] ?? []
        #expect(families.count == 1 && families.first?["blocks"] as? Int == 2 && families.first?["declaredCount"] as? Int == 2)

        let info = try json(try Binary.run(["info", "--json", file]))
        #expect((info["families"] as? [[String: Any]])?.map { $0["name"] as? String } == ["rp2040"])
        #expect(info["notMainFlashBlocks"] as? Int == 3 && info["imageBytes"] as? Int == 512)
        #expect((info["boot2"] as? [String: Any])?["valid"] as? Bool == true)
        let text = try Binary.run(["info", file])
        #expect(text.stdout.contains("5 blocks (3 not for main flash, skipped)"), "\(text.stdout)")

        // A file of nothing but skipped blocks writes nothing: an error.
        let nothing = try write(Self.uf2([Self.block(0x1000_0000, 0, of: 1, notMainFlash: true)]), "nothing.uf2")
        let empty = try Binary.run(["uf2", "validate", nothing])
        #expect(empty.status == 2 && empty.stdout.contains("[no-main-flash]"), "\(empty.stdout)")
    }

    // MARK: The top of the address space

    @Test func imagesAtTheTopOfTheAddressSpaceEndPromptly() throws {
        let page = [UInt8](repeating: 0x11, count: 256)
        let uf2File = try write(Self.uf2([Self.block(0xFFFF_FF00, 0, of: 1, family: .rp2350ArmS, bytes: page)]), "top.uf2")
        let elfFile = try write(Self.elf(page, at: 0xFFFF_FF00, entry: 0xFFFF_FF01), "top.elf")
        let binFile = try write(page, "top.bin")
        let runs: [[String]] = [
            ["info", uf2File], ["info", elfFile], ["info", "--type", "bin", "--offset", "0xFFFFFF00", binFile],
            ["info", "--type", "bin", "--offset", "0xFFFFFFF0", try write([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], "top16.bin")],
            ["uf2", "validate", uf2File],
            ["uf2", "convert", uf2File, path("out1.bin")], ["uf2", "convert", elfFile, path("out2.uf2")],
            ["uf2", "convert", "--type", "bin", "--offset", "0xFFFFFF00", binFile, path("out3.uf2")],
            ["flash", "--offset", "0xFFFFFF00", binFile], ["flash", elfFile], ["flash", uf2File],
        ]
        for arguments in runs {
            let result = try Binary.run(arguments, timeout: 20)
            #expect(!result.timedOut, "\(arguments) did not end within 20 s")
            #expect(result.status < 64 || arguments[0] == "flash", "\(arguments): \(result.status) \(result.stderr)")
        }
    }
}
