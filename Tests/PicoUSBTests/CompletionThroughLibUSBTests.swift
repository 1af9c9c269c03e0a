import Foundation
import Testing

/// The shell completions' dynamic values, asked of the built `picoctl` the way the generated scripts ask
/// (`picoctl ---completion <command> -- <option> <word index> <cursor> <words...>`), against emulated boards.
@Suite(.enabled(if: Lab.isAvailable, "needs umockdev and python3-gi (Scripts/setup.sh)"))
struct CompletionThroughLibUSBTests {
    @Test func portAndSerialOfferThePresentBoards() throws {
        let lab = try Lab(Lab.mixed)
        defer { lab.stop() }
        let ports = try lab.run(Lab.picoctl, ["---completion", "flash", "--", "--port", "3", "0", "picoctl", "flash", "--port", ""])
        #expect(ports.status == 0, "\(ports.stderr)")
        #expect(ports.stdout.split(separator: "\n") == ["1-3.2", "1-3.3", "1-4", "1-5", "1-6", "1-7", "2-1", "2-2"])

        let inventory = FileManager.default.temporaryDirectory.appendingPathComponent("boards-\(UUID().uuidString).toml")
        try "bench-3 = \"E6605481DB484636\"\n".write(to: inventory, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: inventory) }
        let serials = try lab.run(Lab.picoctl, ["---completion", "erase", "--", "--serial", "3", "0", "picoctl", "erase", "--serial", ""],
                                  extraEnvironment: ["PICOCTL_INVENTORY": inventory.path])
        // Names first, then the unique serials of the boards present (RP2040s in BOOTSEL share theirs: left out).
        #expect(serials.stdout.split(separator: "\n").first == "bench-3", "\(serials.stdout)")
        #expect(serials.stdout.contains("A1B2C3D4E5F60718") && serials.stdout.contains("0011223344556677"))
    }
}
