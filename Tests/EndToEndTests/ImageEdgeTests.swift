import Foundation
import Testing
import UF2

/// Firmware files at the edges: blocks a bootrom skips, the top of the address space.
@Suite struct ImageEdgeTests {
    let scratch = ScratchFolder("picoctl-edge")
    var dir: URL { scratch.url }
    func path(_ name: String) -> String { scratch.path(name) }
    func write(_ bytes: [UInt8], _ name: String) throws -> String { try scratch.write(bytes, name) }

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
        // A vector table after boot2 that the boot checks accept: stack pointer at the top of SRAM,
        // reset handler (Thumb) inside the image.
        let vectors: [UInt8] = [0x00, 0x20, 0x04, 0x20, 0x09, 0x01, 0x00, 0x10] + [UInt8](repeating: 0, count: 248)
        // Skipped blocks that would break numbering, counts, overlaps, ranges and the family list if they counted.
        let file = try write(Self.uf2([
            Self.block(0x1000_0000, 7, of: 9, notMainFlash: true, bytes: [UInt8](repeating: 0xAA, count: 256)),
            Self.block(0x1000_0000, 0, of: 2, bytes: boot2),
            Self.block(0xFFFF_FF00, 0, of: 1, family: .rp2350ArmS, notMainFlash: true),
            Self.block(0x1000_0100, 1, of: 2, bytes: vectors),
            Self.block(0x1000_0100, 1, of: 2, notMainFlash: true),
        ]), "skipped.uf2")
        let validate = try Binary.run(["uf2", "validate", "--strict", "--json", file])
        #expect(validate.status == 0, "\(validate.stdout)")
        let report = try json(validate)
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(findings.filter { $0["rule"] as? String == "not-main-flash" }.map { $0["block"] as? Int } == [0, 2, 4])
        #expect(findings.allSatisfy { $0["severity"] as? String == "info" }, "\(findings)")
        #expect(report["not_main_flash_blocks"] as? Int == 3)
        let families = report["families"] as? [[String: Any]] ?? []
        #expect(families.count == 1 && families.first?["blocks"] as? Int == 2 && families.first?["declared_count"] as? Int == 2)

        let info = try json(try Binary.run(["info", "--json", file]))
        #expect((info["families"] as? [[String: Any]])?.map { $0["name"] as? String } == ["rp2040"])
        #expect(info["not_main_flash_blocks"] as? Int == 3 && info["image_bytes"] as? Int == 512)
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

    // MARK: The user's files

    func contents(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

    /// Temporary files a writer left beside its output.
    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".picoctl-") }
    }

    /// A BIN of `size` bytes, and the UF2 picoctl makes of it (twice its size).
    func bigBIN(_ size: Int, _ name: String) throws -> String {
        try write((0..<size).map { UInt8(truncatingIfNeeded: $0 / 251) }, name)
    }

    @Test func convertRefusesToWriteOverItsInput() throws {
        let input = try write(Self.uf2([Self.block(0x1000_0000, 0, of: 1)]), "in.uf2")
        let before = contents(input)
        try FileManager.default.createSymbolicLink(atPath: path("link.bin"), withDestinationPath: input)
        try FileManager.default.linkItem(atPath: input, toPath: path("hard.bin"))
        for output in [input, path("link.bin"), path("hard.bin")] {
            let result = try Binary.run(["uf2", "convert", "--out-type", "bin", input, output])
            #expect(result.status == 64 && result.stderr.contains("is the input file"), "\(output): \(result.status) \(result.stderr)")
            #expect(contents(input) == before)
        }
    }

    @Test func aFullDiskLeavesThePreviousFileIntact() throws {
        let input = try bigBIN(1 << 20, "app.bin")
        let previous: [UInt8] = Array("the previous good file".utf8)
        let output = try write(previous, "app.uf2")
        // The file size limit makes the write fail as a full disk does (EFBIG, SIGXFSZ ignored).
        let full = try Binary.run(["/bin/sh", "-c", "ulimit -f 64; trap '' XFSZ; exec \"$0\" \"$@\"", Binary.url.path,
                                   "uf2", "convert", input, output], direct: true)
        #expect(full.status == 3 && full.stderr.contains("previous"), "\(full.status) \(full.stderr)")
        #expect(contents(output) == previous)
        let left = try leftovers()
        #expect(left.isEmpty, "\(left)")
        // Killed mid-write (SIGXFSZ's default action): the previous file is still whole.
        let killed = try Binary.run(["/bin/sh", "-c", "ulimit -f 64; exec \"$0\" \"$@\"", Binary.url.path,
                                     "uf2", "convert", input, output], direct: true)
        #expect(killed.status != 0)
        #expect(contents(output) == previous)
        // A real full disk: a 64 KiB tmpfs in a private mount namespace (root only).
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return }
        let mount = path("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let script = "mount -t tmpfs -o size=64k tmpfs \"$1\" && printf previous > \"$1/app.uf2\" && "
            + "\"$0\" uf2 convert \"$2\" \"$1/app.uf2\"; status=$?; "
            + "[ \"$(cat \"$1/app.uf2\")\" = previous ] && [ -z \"$(ls -A \"$1\" | grep -v '^app.uf2$')\" ] && exit $status; exit 99"
        let tmpfs = try Binary.run(["/usr/bin/unshare", "-m", "/bin/sh", "-c", script, Binary.url.path, mount, input], direct: true)
        #expect(tmpfs.status == 3 && tmpfs.stderr.contains("No space left on device"), "\(tmpfs.status) \(tmpfs.stderr)")
    }

    @Test func syncWritesTheSameFileAndLeavesNoTemporaryFile() throws {
        let input = try bigBIN(1 << 20, "app.bin")
        let plain = path("plain.uf2"), synced = path("synced.uf2")
        _ = try write(Array("the previous file".utf8), "synced.uf2")
        let first = try Binary.run(["uf2", "convert", input, plain])
        let second = try Binary.run(["uf2", "convert", "--sync", input, synced])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr) \(second.stderr)")
        #expect(contents(plain) != nil && contents(plain) == contents(synced))
        let left = try leftovers()
        #expect(left.isEmpty, "\(left)")
    }

    @Test func sigtermMidWriteLeavesThePreviousFileAndNoTemporaryFile() throws {
        let input = try bigBIN(8 << 20, "app.bin")
        let output = path("app.uf2")
        let previous: [UInt8] = Array("previous".utf8)
        #expect(try Binary.run(["uf2", "convert", input, output]).status == 0)
        let complete = contents(output)
        for _ in 0..<3 {
            try Data(previous).write(to: URL(fileURLWithPath: output))
            let process = Process()
            process.executableURL = Binary.url
            process.arguments = ["uf2", "convert", input, output]
            process.standardError = FileHandle.nullDevice
            try process.run()
            // SIGTERM as soon as the output is being written: a temporary file appears, or the target changes.
            var signalled = false
            while process.isRunning && !signalled {
                let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? nil
                if try !leftovers().isEmpty || size != previous.count {
                    kill(process.processIdentifier, SIGTERM)
                    signalled = true
                }
                usleep(200)
            }
            process.waitUntilExit()
            let now = contents(output)
            #expect(signalled, "the convert ended before its output was seen")
            #expect(now == previous || now == complete, "\(now?.count ?? -1) bytes under the final name")
            let left = try leftovers()
            #expect(left.isEmpty, "\(left)")
        }
    }

    // MARK: Bounded reads

    @Test func inputsLargerThanAPicoCanHoldAreRefusedBeforeTheyAreRead() throws {
        let zero = try Binary.run(["info", "/dev/zero"], timeout: 60)
        #expect(zero.status == 2 && zero.stderr.contains("goes on past 32 MiB"), "\(zero.status) \(zero.stderr)")
        let stdin = try Binary.run(["info", "-"], stdin: "/dev/zero", timeout: 60)
        #expect(stdin.status == 2 && stdin.stderr.contains("32 MiB"), "\(stdin.stderr)")
        // Sparse files: refused from their size, whatever the format.
        func sparse(_ name: String, _ size: UInt64, head: [UInt8]) throws -> String {
            let file = try write(head, name)
            #expect(truncate(file, off_t(size)) == 0)
            return file
        }
        let bin = try sparse("huge.bin", 4 << 30, head: [1])
        let info = try Binary.run(["info", bin], timeout: 60)
        #expect(info.status == 2, "\(info.stderr)")
        #expect(info.stderr.contains("4294967296 bytes") && info.stderr.contains("32 MiB"), "\(info.stderr)")
        let uf2 = try sparse("huge.uf2", 67 << 20, head: Self.uf2([Self.block(0x1000_0000, 0, of: 1)]))
        let validate = try Binary.run(["uf2", "validate", uf2], timeout: 60)
        #expect(validate.status == 2 && validate.stderr.contains("66 MiB"), "\(validate.stderr)")
        let elf = try sparse("huge.elf", 300 << 20, head: Self.elf([1, 2, 3, 4], at: 0x1000_0000, entry: 0x1000_0001))
        let convert = try Binary.run(["uf2", "convert", elf, path("huge-out.uf2")], timeout: 60)
        #expect(convert.status == 2 && convert.stderr.contains("256 MiB"), "\(convert.stderr)")
        #expect(contents(path("huge-out.uf2")) == nil)
    }

    // MARK: Convert only what could be flashed

    @Test func convertRefusesResultsOutsideTheFamilysMemory() throws {
        let over = try bigBIN((16 << 20) + 256, "over.bin")  // one page more than RP2040 flash
        let refused = try Binary.run(["uf2", "convert", over, path("over.uf2"), "--family", "rp2040"])
        #expect(refused.status == 2 && refused.stderr.contains("outside rp2040 flash"), "\(refused.stderr)")
        #expect(contents(path("over.uf2")) == nil)
        let forced = try Binary.run(["uf2", "convert", over, path("over.uf2"), "--family", "rp2040", "--force"])
        #expect(forced.status == 0 && forced.stderr.contains("warning"), "\(forced.stderr)")
        let blocks: Int = (16 << 20) / 256 + 1
        #expect(contents(path("over.uf2"))?.count == blocks * 512)

        let top = try write([UInt8](repeating: 1, count: 256), "top.bin")
        let high = try Binary.run(["uf2", "convert", "--type", "bin", "--offset", "0xFFFFFF00", top, path("top.uf2")])
        #expect(high.status == 2 && high.stderr.contains("0xffffff00"), "\(high.stderr)")
        let app = try write([UInt8](repeating: 1, count: 256), "app.bin")
        let abs = try Binary.run(["uf2", "convert", app, path("abs.uf2"), "--family", "rp2350-arm-s", "--abs-block-address", "0xFFFFFFFF"])
        #expect(abs.status == 2 && abs.stderr.contains("absolute block"), "\(abs.stderr)")
        #expect(try Binary.run(["uf2", "convert", app, path("ok.uf2"), "--family", "rp2350-arm-s", "--abs-block-address", "0x10fff000"]).status == 0)
        // UF2 -> BIN: the same rule on the image.
        let stray = try write(Self.uf2([Self.block(0x1000_0000, 0, of: 2), Self.block(0x1100_0000, 1, of: 2)]), "stray.uf2")
        #expect(try Binary.run(["uf2", "convert", stray, path("stray.bin")]).status == 2)
    }

    // MARK: One read, both reports

    @Test func infoAndValidateInOneRun() throws {
        let bad = try write(Self.uf2([Self.block(0x1000_0000, 0, of: 2), Self.block(0x1000_0100, 1, of: 3)]), "bad.uf2")
        for arguments in [["info", "--validate", bad], ["uf2", "validate", "--info", bad]] {
            let result = try Binary.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stdout.contains("format:       uf2, 2 blocks") && result.stdout.contains("[block-count]")
                    && result.stdout.contains("INVALID"), "\(result.stdout)")
        }
        let doc = try json(try Binary.run(["info", "--validate", "--json", bad]))
        #expect(doc["format"] as? String == "uf2" && (doc["validation"] as? [String: Any])?["valid"] as? Bool == false)
        let elf = try write(Self.elf([1, 2, 3, 4], at: 0x2000_0000, entry: 0x2000_0001), "app.elf")
        #expect(try Binary.run(["info", "--validate", elf]).status == 64)
    }

    @Test func aNamedPipeIsReadOnce() throws {
        let bytes = Self.uf2([Self.block(0x1000_0000, 0, of: 2), Self.block(0x1000_0100, 1, of: 2)])
        for arguments in [["uf2", "validate"], ["info"], ["info", "--validate"]] {
            let fifo = path("pipe-\(arguments.count)-\(arguments[0]).uf2")
            #expect(mkfifo(fifo, 0o600) == 0)
            DispatchQueue.global().async { try? Data(bytes).write(to: URL(fileURLWithPath: fifo)) }
            let result = try Binary.run(arguments + [fifo], timeout: 20)
            #expect(!result.timedOut && result.stdout.contains("2 blocks"), "\(arguments): \(result.stdout) \(result.stderr)")
        }
    }
}
