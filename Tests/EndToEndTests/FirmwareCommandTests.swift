import Foundation
import Testing
import UF2

/// `picoctl info`, `uf2 validate` and `uf2 convert` run as a user runs them, on files made here.
@Suite struct FirmwareCommandTests {
    let scratch = ScratchFolder("picoctl-fw")
    var dir: URL { scratch.url }
    func path(_ name: String) -> String { scratch.path(name) }
    func write(_ bytes: [UInt8], _ name: String) throws -> String { try scratch.write(bytes, name) }

    /// An ELF with one flash segment: boot2 (valid CRC), a vector table, a binary info header naming the program.
    func elf() -> [UInt8] {
        var flash = [UInt8](repeating: 0, count: 0x400)
        func put(_ at: Int, _ words: [UInt32]) {
            for (i, w) in words.enumerated() { for b in 0..<4 { flash[at + 4 * i + b] = UInt8(truncatingIfNeeded: w >> (8 * UInt32(b))) } }
        }
        flash.replaceSubrange(0..<256, with: Boot2.sealed([UInt8](repeating: 0x42, count: 252)))
        put(0x100, [0x2004_2000, 0x1000_0201])      // vector table: stack pointer, reset handler
        put(0x1c0, [BinaryInfo.markerStart, 0x1000_0300, 0x1000_0304, 0x1000_0310, BinaryInfo.markerEnd])
        put(0x300, [0x1000_0320])
        put(0x320, [6 | 0x5052 << 16, 0x0203_1c86, 0x1000_0340])
        flash.replaceSubrange(0x340..<0x347, with: Array("blinky".utf8) + [0])
        var out: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        func u16(_ v: UInt16) { out += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        func u32(_ v: UInt32) { for b in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(b)))) } }
        u16(2); u16(40); u32(1); u32(0x1000_0201); u32(52); u32(0); u32(0); u16(52); u16(32); u16(1); u16(40); u16(0); u16(0)
        for w: UInt32 in [1, 84, 0x1000_0000, 0x1000_0000, 0x400, 0x400, 5, 4] { u32(w) }
        return out + flash
    }

    @Test func convertValidateAndInfoAnELF() throws {
        let input = try write(elf(), "app.elf")
        let convert = try Binary.run(["uf2", "convert", input, path("app.uf2")])
        #expect(convert.status == 0, "\(convert.stderr)")
        let uf2 = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path("app.uf2"))))
        #expect(uf2 == (try SDKConversion.elfToUF2(try ELFFile(bytes: elf()), family: .rp2040)))
        let validate = try Binary.run(["uf2", "validate", "--strict", path("app.uf2")])
        #expect(validate.status == 0 && validate.stdout.contains("valid: 4 blocks"), "\(validate.stdout)")
        let info = try Binary.run(["info", "--json", path("app.uf2")])
        #expect(info.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(json["format"] as? String == "uf2" && json["chip"] as? String == "rp2040")
        #expect((json["binary_info"] as? [String: Any])?["program_name"] as? String == "blinky")
        #expect((json["boot2"] as? [String: Any])?["valid"] as? Bool == true)
        let text = try Binary.run(["info", input], environment: ["NO_COLOR": "1"])
        #expect(text.status == 0 && text.stdout.contains("blinky") && text.stdout.contains("CRC valid"))
    }

    @Test func rp2350AbsoluteBlockOptions() throws {
        let input = try write(elf(), "app.elf")
        #expect(try Binary.run(["uf2", "convert", input, path("a.uf2"), "--family", "rp2350-arm-s"]).status == 0)
        #expect(try Binary.run(["uf2", "convert", input, path("b.uf2"), "--family", "rp2350-arm-s", "--abs-block-address", "0x10000000"]).status == 0)
        #expect(try Binary.run(["uf2", "convert", input, path("c.uf2"), "--family", "rp2350-arm-s", "--no-abs-block"]).status == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: path("a.uf2"))), c = try Data(contentsOf: URL(fileURLWithPath: path("c.uf2")))
        #expect(a.count == c.count + 512)
        let b = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path("b.uf2"))))
        #expect(UF2Block(decoding: b).isRP2350AbsoluteBlock && UF2Block(decoding: b).targetAddress == 0x1000_0000)
    }

    @Test func argumentsWithoutTraps() throws {
        let input = try write(elf(), "app.elf")
        // The address of the absolute block is its own option: the old form would take the input as the address.
        let swallowed = try Binary.run(["uf2", "convert", "--abs-block", "0x10100000", input, path("x.uf2")])
        #expect(swallowed.status == 64, "\(swallowed.stderr)")
        #expect(try Binary.run(["uf2", "convert", "--abs-block-address", "0x10100000", input, path("y.uf2"), "--no-abs-block"]).status == 64)
        // --offset places a BIN (and moves an ELF going to UF2); anywhere else it is refused, not ignored.
        #expect(try Binary.run(["uf2", "convert", input, path("z.uf2"), "--offset", "0x10001000"]).status == 0)
        #expect(try Binary.run(["uf2", "convert", path("z.uf2"), path("z.bin"), "--offset", "0x10001000"]).status == 64)
        let info = try Binary.run(["info", input, "--offset", "0x10001000"])
        #expect(info.status == 64 && info.stderr.contains("--offset does not apply"), "\(info.stderr)")
        #expect(try Binary.run(["info", input, "--type", "bin", "--offset", "0x10001000"]).status == 0)
        for command in ["flash", "verify"] {
            let run = try Binary.run([command, path("z.uf2"), "--offset", "0x10001000", "--serial", "none"])
            #expect(run.status == 64 && run.stderr.contains("--offset does not apply"), "\(command): \(run.stderr)")
        }
        // flash takes --type like info; console options need --monitor.
        #expect(try Binary.run(["flash", "--help"]).stdout.contains("--type"))
        let console = try Binary.run(["flash", path("z.uf2"), "--timestamps", "--expect", "ready"])
        #expect(console.status == 64 && console.stderr.contains("--timestamps, --expect only apply with --monitor"), "\(console.stderr)")
        // A range is one value.
        #expect(try Binary.run(["erase", "--range", "0x10000000", "0x10001000"]).status == 64)
        #expect(try Binary.run(["erase", "--range", "0x10001000..0x10000000"]).status == 64)
        #expect(try Binary.run(["save", "out.bin", "--range", "0x10000000+0x1000", "--all-flash"]).status == 64)
    }

    @Test func exitStatusesAndFindings() throws {
        var bytes = try SDKConversion.binToUF2([UInt8](repeating: 7, count: 1024), address: 0x1000_1000, family: .rp2040)
        bytes[512 * 2 + 24] = 9  // block 2 now claims a block count of 9
        let bad = try write(bytes, "bad.uf2")
        let result = try Binary.run(["uf2", "validate", bad])
        #expect(result.status == 2)
        #expect(result.stdout.contains("block 2 at 0x10001200"), "\(result.stdout)")
        let json = try Binary.run(["uf2", "validate", "--json", bad])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(doc["valid"] as? Bool == false && (doc["errors"] as? Int ?? 0) >= 1)
        #expect(try Binary.run(["uf2", "validate", path("missing.uf2")]).status == 3)
        #expect(try Binary.run(["info", path("missing.uf2")]).status == 3)
        let wrongMachine = try write([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1] + [UInt8](repeating: 0, count: 60), "x86.elf")
        let info = try Binary.run(["info", wrongMachine])
        #expect(info.status == 2, "\(info.stderr)")
        #expect(info.stderr.hasPrefix("picoctl: error: \(wrongMachine): this is a 64-bit ELF file; Pico programs are 32-bit Arm or RISC-V\n  fix: build for the Pico"),
                "\(info.stderr)")
        // UF2 → BIN with a fill byte.
        let good = try write(try SDKConversion.binToUF2([1, 2], address: 0x1000_0000, family: .rp2040)
                             + SDKConversion.binToUF2([3], address: 0x1000_0200, family: .rp2040), "two.uf2")
        #expect(try Binary.run(["uf2", "convert", good, path("two.bin"), "--fill", "0xff"]).status == 0)
        let bin = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path("two.bin"))))
        #expect(bin.count == 0x300 && bin[0] == 1 && bin[2] == 0 && bin[0x100] == 0xff && bin[0x200] == 3)
    }

    @Test func rp2350ImageDefinitionInInfo() throws {
        // A RISC-V RP2350 BIN: IMAGE_DEF after a 0x110-byte vector table.
        var bytes = [UInt8](repeating: 0, count: 0x110)
        for w: UInt32 in [MetadataBlock.startMarker, 0x1101_0142, 0x0000_01ff, 0, MetadataBlock.endMarker] {
            for b in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: w >> (8 * UInt32(b)))) }
        }
        let file = try write(bytes, "riscv.bin")
        let result = try Binary.run(["info", "--json", file])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["format"] as? String == "bin" && json["chip"] as? String == "rp2350")
        #expect((json["families"] as? [[String: Any]])?.first?["name"] as? String == "rp2350-riscv")
        let definition = try #require(json["image_definition"] as? [String: Any])
        #expect(definition["cpu"] as? String == "riscv" && definition["image_type"] as? String == "exe" && definition["address"] as? String == "0x10000110")
        let text = try Binary.run(["info", file])
        #expect(text.stdout.contains("exe, rp2350, riscv"))
    }

    @Test func malformedFilesNeverCrashTheCommands() throws {
        var state: UInt64 = 42
        func random() -> UInt8 { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt8(truncatingIfNeeded: state >> 33) }
        let good = try SDKConversion.elfToUF2(try ELFFile(bytes: elf()), family: .rp2040)
        var corpus: [[UInt8]] = [[], Array(good.prefix(700)), Array(elf().prefix(60)), (0..<2000).map { _ in random() }]
        var mutated = good
        for _ in 0..<40 { mutated[Int(random()) * 8 % mutated.count] = random() }
        corpus.append(mutated)
        for (n, bytes) in corpus.enumerated() {
            let file = try write(bytes, "bad-\(n).uf2")
            for arguments in [["info", file], ["info", "--json", file], ["uf2", "validate", file], ["uf2", "convert", file, path("out-\(n).bin")]] {
                let result = try Binary.run(arguments)
                // 0 or 2; converting what is detected as BIN to BIN is a usage error (64).
                let allowed: [Int32] = arguments[0] == "uf2" && arguments[1] == "convert" ? [0, 2, 64] : [0, 2]
                #expect(allowed.contains(result.status), "\(arguments): status \(result.status), \(result.stderr)")
            }
        }
    }
}
