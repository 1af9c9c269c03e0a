import Foundation
import Testing

/// RP2350 in depth through the built picoctl: partition table in `info --device`, partition-aware
/// `flash`, and read-only `otp`, against the harness's RP2350 bootrom model given a partition table
/// in picotool's JSON layout.
@Suite(.serialized, .enabled(if: EmulatedBoards.isAvailable, "needs the harness and .venv (Scripts/setup.sh)"))
struct RP2350CommandTests {
    nonisolated(unsafe) static let permissions: [String: Any] = ["secure": "rw", "nonsecure": "rw", "bootloader": "rw"]
    /// picotool's json/default-pt.json: A at 0x2000, B at 0x1ff000 (2036 KiB each), B linked to A.
    nonisolated(unsafe) static let defaultTable: [String: Any] = [
        "version": [1, 0],
        "unpartitioned": ["families": ["absolute"], "permissions": permissions],
        "partitions": [
            ["name": "A", "id": 0, "size": "2036K", "families": ["rp2350-arm-s", "rp2350-riscv"], "permissions": permissions],
            ["name": "B", "id": 1, "size": "2036K", "families": ["rp2350-arm-s", "rp2350-riscv"], "permissions": permissions,
             "link": ["a", 0]],
        ]]

    static func board(table: [String: Any]? = defaultTable, extra: [String: Any] = [:]) throws -> EmulatedBoards {
        var spec: [String: Any] = ["kind": "sim-rp2350", "flash_size": 4 << 20]
        if let table { spec["partition_table"] = table }
        return try EmulatedBoards([spec.merging(extra) { $1 }])
    }

    /// A UF2 of family rp2350-arm-s made from `size` bytes of pattern at 0x10000000 (with picoctl uf2 convert).
    static func uf2(size: Int, in boards: EmulatedBoards) throws -> (URL, [UInt8]) {
        let (bin, bytes) = try DeviceCommandTests.image(size: size, seed: 11)
        defer { try? FileManager.default.removeItem(at: bin) }
        let uf2 = bin.deletingPathExtension().appendingPathExtension("uf2")
        let convert = try boards.picoctl(["uf2", "convert", bin.path, uf2.path, "--family", "rp2350-arm-s"])
        #expect(convert.status == 0, "\(convert.stderr)")
        return (uf2, bytes)
    }

    @Test func infoDeviceShowsThePartitionTableAndBoot() throws {
        let boards = try Self.board()
        defer { boards.close() }
        let json = try boards.picoctl(["info", "--device", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(DeviceCommandTests.jsonLines(json.stdout).first)
        let table = try #require(object["partition_table"] as? [String: Any])
        let partitions = try #require(table["partitions"] as? [[String: Any]])
        #expect(partitions.map { $0["name"] as? String } == ["A", "B"])
        #expect(partitions.map { $0["start"] as? Int } == [0x2000, 0x1ff000])
        #expect(partitions[1]["link"] as? [String: Any]? != nil && (partitions[1]["link"] as? [String: Any])?["partition"] as? Int == 0)
        #expect(partitions[0]["families"] as? [String] == ["rp2350-arm-s", "rp2350-riscv"])
        #expect(partitions[0]["permissions"] as? String == "S:rw NS:rw BL:rw")
        #expect((object["boot"] as? [String: Any])?["type"] as? String == "bootsel")
        #expect(object["revision"] as? String == "A3" && object["package"] as? String == "QFN60")

        let text = try boards.picoctl(["info", "--device"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("partitions: 2"))
        #expect(text.stdout.contains("revision:   A3 (ROM version 3), package QFN60"), "\(text.stdout)")
        #expect(text.stdout.contains("\"B\"  id 0x1  0x101ff000-0x103fc000  2036 KiB  S:rw NS:rw BL:rw  rp2350-arm-s, rp2350-riscv  B of 0"),
                "\(text.stdout)")
    }

    @Test func onA2ThePackageComesFromOTPNumGPIOs() throws {
        // picotool: the A2 package id is wrong, so NUM_GPIOS (row 0x18) decides; 48 GPIOs is QFN80.
        // CRIT0.RISCV_DISABLE (row 0x38) and CRIT1.SECURE_BOOT_ENABLE (row 0x40): only the Arm cores, secure boot on.
        let boards = try Self.board(table: nil, extra: ["rom_version": 2, "otp": ["24": 48, "56": 0x2, "64": 0x1]])
        defer { boards.close() }
        let info = try boards.picoctl(["info", "--device", "--json"])
        let object = try #require(DeviceCommandTests.jsonLines(info.stdout).first)
        #expect(object["revision"] as? String == "A2" && object["package"] as? String == "QFN80", "\(info.stdout)")
        let critical = try #require(object["critical"] as? [String: Any])
        #expect(critical["available_cpus"] as? [String] == ["arm"] && critical["secure_boot"] as? Bool == true)
        let text = try boards.picoctl(["info", "--device"])
        #expect(text.stdout.contains("cpus:       arm; secure boot on; debug on"), "\(text.stdout)")
    }

    @Test func flashGoesIntoThePartitionTheBootromNames() throws {
        let boards = try Self.board()
        defer { boards.close() }
        // A pattern, not a program (no IMAGE_DEF): flashed with --force, which skips the boot checks only.
        let (file, bytes) = try Self.uf2(size: 12_000, in: boards)
        defer { try? FileManager.default.removeItem(at: file) }

        let dry = try boards.picoctl(["flash", file.path, "--force", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("target: partition 1 \"B\" (0x001ff000-0x003fc000, 2036 KiB): bootrom target for rp2350-arm-s"), "\(dry.stdout)")
        #expect(try boards.readFlash(0, offset: 0x1ff000, size: 16).allSatisfy { $0 == 0xFF }, "a dry run writes nothing")

        let flash = try boards.picoctl(["flash", file.path, "--force", "--no-reboot", "--json"])
        #expect(flash.status == 0, "\(flash.stderr)")
        let finished = try #require(DeviceCommandTests.jsonLines(flash.stdout).last)
        #expect(((finished["placement"] as? [String: Any])?["partition"] as? [String: Any])?["index"] as? Int == 1)
        #expect(try boards.readFlash(0, offset: 0x1ff000, size: bytes.count) == bytes)
        #expect(try boards.readFlash(0, offset: 0, size: 0x1ff000).allSatisfy { $0 == 0xFF }, "partition A and the table area are untouched")
        #expect(try boards.picoctl(["verify", file.path, "--partition", "1"]).status == 0)
        #expect(try boards.picoctl(["verify", file.path]).status == 1, "at its own addresses the image is not there")

        // B holds an image now, so the bootrom names A for the next one; --partition and --ignore-partitions override.
        let next = try boards.picoctl(["flash", file.path, "--force", "--dry-run"])
        #expect(next.stdout.contains("target: partition 0 \"A\""), "\(next.stdout)")
        let explicit = try boards.picoctl(["flash", file.path, "--force", "--partition", "0", "--no-reboot"])
        #expect(explicit.status == 0, "\(explicit.stderr)")
        #expect(try boards.readFlash(0, offset: 0x2000, size: bytes.count) == bytes)
        let absolute = try boards.picoctl(["flash", file.path, "--force", "--ignore-partitions", "--no-reboot"])
        #expect(absolute.status == 0, "\(absolute.stderr)")
        #expect(try boards.readFlash(0, offset: 0, size: bytes.count) == bytes)
    }

    @Test func tooLargeImagesAndMissingPartitionsAreRefusedWithStatus2() throws {
        let small: [String: Any] = ["unpartitioned": ["families": ["absolute"], "permissions": Self.permissions],
                     "partitions": [["name": "tiny", "size": "8K", "families": ["rp2350-arm-s"], "permissions": Self.permissions]]]
        let boards = try Self.board(table: small)
        defer { boards.close() }
        let (file, _) = try Self.uf2(size: 12_000, in: boards)
        defer { try? FileManager.default.removeItem(at: file) }
        let large = try boards.picoctl(["flash", file.path, "--force", "--no-reboot"])
        #expect(large.status == 2)
        #expect(large.stderr.contains("partition 0 holds 8192 bytes"), "\(large.stderr)")
        let missing = try boards.picoctl(["flash", file.path, "--force", "--partition", "3"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("there is no partition 3"), "\(missing.stderr)")
        #expect(try boards.readFlash(0, size: 64 * 1024).allSatisfy { $0 == 0xFF })
    }

    @Test func withoutATableFlashWritesAtTheImagesAddresses() throws {
        let boards = try Self.board(table: nil)
        defer { boards.close() }
        let (file, bytes) = try Self.uf2(size: 5000, in: boards)
        defer { try? FileManager.default.removeItem(at: file) }
        let flash = try boards.picoctl(["flash", file.path, "--force", "--no-reboot"])
        #expect(flash.status == 0, "\(flash.stderr)")
        #expect(try boards.readFlash(0, size: bytes.count) == bytes)
        let info = try boards.picoctl(["info", "--device"])
        #expect(info.stdout.contains("partitions: none"), "\(info.stdout)")
    }

    @Test func otpReadsNamedRowsAndShowsLockedPages() throws {
        // BOOT_FLAGS0 (0x48) with ENABLE_BOOTSEL_LED (bit 1); KEY1 (page 61) unreadable from BOOTSEL.
        let boards = try Self.board(table: nil, extra: ["otp": ["72": 0x000002, "0": 0x1234], "otp_locks": ["61": 3]])
        defer { boards.close() }
        let get = try boards.picoctl(["otp", "get", "BOOT_FLAGS0.ENABLE_BOOTSEL_LED", "--json"])
        #expect(get.status == 0, "\(get.stderr)")
        let row = try #require(DeviceCommandTests.jsonLines(get.stdout).first)
        #expect(row["row"] as? Int == 0x48 && row["raw"] as? Int == 2)
        #expect((row["fields"] as? [String: Any])?["ENABLE_BOOTSEL_LED"] as? Int == 1)

        let key = try boards.picoctl(["otp", "get", "KEY1"])
        #expect(key.status == 0, "\(key.stderr)")
        #expect(key.stdout.split(separator: "\n").count == 8 && key.stdout.contains("KEY1[0]  locked"), "\(key.stdout)")

        let list = try boards.picoctl(["otp", "list", "0x0-0x1"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("0x000  CHIPID0  raw 0x001234  ecc 0x1234"), "\(list.stdout)")
        let bad = try boards.picoctl(["otp", "get", "NOT_A_ROW"])
        #expect(bad.status == 64, "\(bad.status) \(bad.stderr)")
    }

    @Test func otpWhiteLabelShowsValidEntries() throws {
        // USB_BOOT_FLAGS (three copies): address valid, VID and product string valid; table at row 0x100.
        let otp: [String: Any] = ["89": 0x40_0021, "90": 0x40_0021, "91": 0x40_0021, "92": 0x100,
                                  "256": 0x2e8b, "261": 0x1005, "272": 0x6548, "273": 0x6c6c, "274": 0x006f]
        let boards = try Self.board(table: nil, extra: ["otp": otp])
        defer { boards.close() }
        let text = try boards.picoctl(["otp", "white-label"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout == "white label at OTP row 0x100\n  USB_DEVICE_VID_VALUE = 0x2e8b\n  USB_DEVICE_PRODUCT_STRDEF = \"Hello\"\n",
                "\(text.stdout)")
    }
}
