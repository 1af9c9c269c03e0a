import Foundation
import Testing

/// picoctl's RP2040 RAM helper through the built binary, the real libusb and the harness's sim
/// bootrom (which carries out the helper's operations on EXEC): strategy, verify, unique id.
@Suite(.serialized, .enabled(if: EmulatedBoards.isAvailable, "needs the harness and .venv (Scripts/setup.sh)"))
struct HelperCommandTests {
    @Test func flashChoosesTheHelperOnRP2040AndSaysWhy() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040"]])
        defer { boards.close() }
        let (file, bytes) = try DeviceCommandTests.image(size: 64 * 1024)
        defer { try? FileManager.default.removeItem(at: file) }

        let dry = try boards.picoctl(["flash", file.path, "--force", "--dry-run"])
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("RAM helper, 64 KiB blocks") && dry.stdout.contains("helper:  used"))

        let first = try boards.picoctl(["flash", file.path, "--force", "--no-reboot", "--json"])
        let done = try #require(DeviceCommandTests.jsonLines(first.stdout).last)
        #expect(done["strategy"] as? String == "ram-helper")
        #expect((done["phase_seconds"] as? [String: Any])?.keys.sorted() == ["check", "erase", "verify", "write"])
        #expect(try boards.readFlash(0, size: bytes.count) == bytes)

        let again = try boards.picoctl(["flash", file.path, "--force", "--no-reboot", "--json"])
        let skipped = try #require(DeviceCommandTests.jsonLines(again.stdout).last)
        #expect(skipped["sectors_erased"] as? Int == 0 && skipped["bytes_written"] as? Int == 0)
        #expect((skipped["usb_bytes_to_host"] as? Int ?? .max) * 50 <= bytes.count)

        let plain = try boards.picoctl(["flash", file.path, "--force", "--no-reboot", "--json", "--no-helper", "--verbose"])
        let plainDone = try #require(DeviceCommandTests.jsonLines(plain.stdout).last)
        #expect(plainDone["strategy"] as? String == "picoboot")
        #expect(plainDone["helper"] as? String == "not used: turned off (--no-helper)")
        let verbose = try boards.picoctl(["flash", file.path, "--force", "--no-reboot", "--no-helper", "--verbose"])
        #expect(verbose.status == 0 && verbose.stderr.contains("RAM helper not used: turned off (--no-helper)"))
        #expect(verbose.stderr.contains("with plain PICOBOOT"), "-v: the strategy with the phase times and USB figures")
        #expect(!verbose.stdout.contains("PICOBOOT"), "the closing line stays short")
    }

    @Test func verifyByCRCAndByReadBackAndTheUniqueID() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040"]])
        defer { boards.close() }
        let (file, bytes) = try DeviceCommandTests.image(size: 40 * 1024)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try boards.picoctl(["flash", file.path, "--force", "--no-reboot"]).status == 0)

        let crc = try boards.picoctl(["verify", file.path, "--json"])
        let crcResult = try #require(DeviceCommandTests.jsonLines(crc.stdout).last)
        #expect(crc.status == 0 && crcResult["method"] as? String == "helper-crc" && crcResult["match"] as? Bool == true)
        #expect((crcResult["usb_bytes_read"] as? Int ?? .max) < 100)
        let readBack = try boards.picoctl(["verify", file.path, "--read-back", "--json"])
        let readBackResult = try #require(DeviceCommandTests.jsonLines(readBack.stdout).last)
        #expect(readBackResult["method"] as? String == "read-back" && readBackResult["usb_bytes_read"] as? Int == bytes.count)

        let info = try boards.picoctl(["info", "--device", "--json"])
        let device = try #require(DeviceCommandTests.jsonLines(info.stdout).last)
        let board = try #require(boards.status().first)
        #expect(device["unique_id"] as? String == board["unique_id"] as? String)
        let text = try boards.picoctl(["info", "--device"])
        #expect(text.stdout.contains("unique id:  \(board["unique_id"] as? String ?? "?")"))
    }
}
