import Foundation
import Testing

/// `picoctl list` and board selection, run as a user runs them, against emulated devices seen
/// through the real libusb and libudev (umockdev).
@Suite(.enabled(if: Lab.isAvailable, "needs umockdev and python3-gi (Scripts/setup.sh)"))
struct ListThroughLibUSBTests {
    typealias Board = [String: Any]

    static func boards(_ result: Lab.Result) throws -> [Board] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["schema"] as? Int == 1)
        return try #require(object?["boards"] as? [Board])
    }

    @Test func listsEveryModeWithIdentityAndPort() throws {
        let lab = try Lab(Lab.mixed)
        defer { lab.stop() }
        let result = try lab.picoctl("list", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let boards = try Self.boards(result)
        #expect(boards.map { $0["port"] as? String } == ["1-3.2", "1-3.3", "1-4", "1-5", "1-6", "1-7", "2-1", "2-2"])
        #expect(boards.map { $0["mode"] as? String }
                == ["bootsel", "bootsel", "bootsel", "micropython", "debugprobe", "unknown", "app", "app"])
        #expect(boards.map { $0["chip"] as? String } == ["rp2040", "rp2040", "rp2350", nil, nil, nil, "rp2040", nil])
        // RP2040 BOOTSEL serials are shared: identity falls back to the port path; the others are unique ids.
        #expect(boards.map { $0["identity"] as? String }
                == ["1-3.2", "1-3.3", "A1B2C3D4E5F60718", "E66038B7136B9A2C", "E661410403457B2B", "1-7",
                    "E6605481DB484636", "0011223344556677"])
        #expect(boards[0]["identity_kind"] as? String == "port")
        #expect(boards[0]["serial_unique"] as? Bool == false)
        #expect(boards[2]["serial_unique"] as? Bool == true)
        #expect(boards[6]["tty"] as? String == "/dev/ttyACM0")
        #expect(boards[7]["tty"] as? String == "/dev/ttyACM1")
        #expect(boards[7]["vendor_id"] as? String == "1209")
        #expect(boards[6]["address"] as? Int == 2 && boards[6]["bus"] as? Int == 2)
        #expect(boards[1]["product"] as? String == "RP2 Boot" && boards[1]["manufacturer"] as? String == "Raspberry Pi")
        // Every record carries every key, null when unknown.
        let keys = Set(boards[0].keys)
        #expect(boards.allSatisfy { Set($0.keys) == keys })
        #expect(keys.contains("access_error") && keys.contains("tty"))
    }

    @Test func tableShowsPortForRP2040AndNotesSharedSerial() throws {
        let lab = try Lab(Array(Lab.mixed.prefix(4)))
        defer { lab.stop() }
        let result = try lab.picoctl("list")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("PORT"))
        #expect(lines[1].contains("port 1-3.2") && lines[1].contains("serial E0C912D24340 not unique"))
        #expect(lines[3].contains("A1B2C3D4E5F60718") && lines[3].contains("rp2350"))
        #expect(lines[4].contains("/dev/ttyACM0"))
        #expect(!result.stdout.contains("\u{1B}["), "NO_COLOR is set")
    }

    @Test func inventoryNamesBoardsInListAndSelection() throws {
        let lab = try Lab(Array(Lab.mixed.prefix(4)))
        defer { lab.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("boards-\(UUID().uuidString).toml")
        try """
        # lab bench
        bench-3 = "E6605481DB484636"
        left-rig = "port:1-3.3"   # RP2040 in BOOTSEL: named by its port
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let json = try lab.run(Lab.picoctl, ["list", "--json"], extraEnvironment: ["PICOCTL_INVENTORY": file.path])
        let boards = try Self.boards(json)
        #expect(boards.map { $0["name"] as? String } == [nil, "left-rig", nil, "bench-3"])
        let table = try lab.run(Lab.picoctl, ["list", "--inventory", file.path])
        #expect(table.stdout.hasPrefix("NAME"))
        #expect(table.stdout.contains("bench-3") && table.stdout.contains("left-rig"))
        // A name where a serial goes: "left-rig" is the board at 1-3.3, so the selection is narrowed to it
        // (the emulated lab has no PICOBOOT handler, so the command then fails past the selection, not with 4).
        let erase = try lab.run(Lab.picoctl, ["erase", "--serial", "left-rig", "--inventory", file.path])
        #expect(erase.status != 4, "\(erase.stderr)")
        let unknown = try lab.run(Lab.picoctl, ["erase", "--serial", "nobody", "--inventory", file.path])
        #expect(unknown.status == 4)
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("boards-\(UUID().uuidString).toml")
        try "this is not an entry\n".write(to: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: broken) }
        let bad = try lab.run(Lab.picoctl, ["list", "--inventory", broken.path])
        #expect(bad.status == 2 && bad.stderr.contains(":1: expected key = value"))
    }

    @Test func emptyBusListsNothing() throws {
        let lab = try Lab([Lab.Device(kind: "other", port: "1-1")])
        defer { lab.stop() }
        let json = try lab.picoctl("list", "--json")
        #expect(json.status == 0)
        #expect(try Self.boards(json).isEmpty)
        let table = try lab.picoctl("list")
        #expect(table.stdout.isEmpty)
        #expect(table.stderr.contains("no Pico-family USB devices"))
    }

    /// Runs as an unprivileged user (through `setpriv` when the tests run as root), so opening the
    /// denied device's node fails with EACCES as it does without a udev rule.
    @Test func permissionDeniedIsShownPerDeviceWithTheFix() throws {
        let lab = try Lab([Lab.Device(kind: "rp2040-bootsel", port: "1-3.2", serial: "E0C912D24340", deny: true),
                           Lab.Device(kind: "rp2350-bootsel", port: "1-4", serial: "A1B2C3D4E5F60718")])
        defer { lab.stop() }
        let list = try lab.unprivileged("list", "--json")
        #expect(list.status == 0, "\(list.stderr)")
        let boards = try Self.boards(list)
        #expect(boards.count == 2)
        #expect(boards[0]["access_error"] as? String == "LIBUSB_ERROR_ACCESS")
        #expect((boards[0]["access_fix"] as? String)?.contains("/etc/udev/rules.d/") == true)
        #expect(boards[1]["access_error"] is NSNull)

        let table = try lab.unprivileged("list")
        #expect(table.stdout.contains("no access: LIBUSB_ERROR_ACCESS"))
        #expect(table.stderr.contains("1-3.2: cannot open") && table.stderr.contains("udev rules"))

        let erase = try lab.unprivileged("erase", "--port", "1-3.2")
        #expect(erase.status == 6)
        #expect(erase.stderr.contains("LIBUSB_ERROR_ACCESS") && erase.stderr.contains("fix: install picoctl's udev rules"))
    }

    @Test func thirtyTwoBoardsListQuickly() throws {
        let devices = (1...32).map { i in
            Lab.Device(kind: i % 2 == 0 ? "rp2040-app" : "rp2040-bootsel", port: "1-\(1 + (i - 1) / 4).\(1 + (i - 1) % 4)",
                       serial: i % 2 == 0 ? String(format: "E66054810000%04X", i) : "E0C912D24340")
        }
        let lab = try Lab(devices)
        defer { lab.stop() }
        let start = ContinuousClock.now
        let result = try lab.picoctl("list", "--json")
        let elapsed = ContinuousClock.now - start
        #expect(result.status == 0)
        #expect(try Self.boards(result).count == 32)
        #expect(elapsed < .seconds(1), "listing 32 boards took \(elapsed)")
    }
}
