import Foundation
import Testing
import UF2

/// The command line's surface held by golden files: each case runs the built binary on fixture
/// images (made here, in a temporary folder that is the working directory, so paths are short and
/// stable) and compares exit status, stdout and stderr with Tests/EndToEndTests/Golden/NAME.txt.
///
/// To regenerate the golden files after an intended change, run
/// `PICOCTL_UPDATE_GOLDEN=1 swift test --filter GoldenOutputTests` and review the diff.
@Suite struct GoldenOutputTests {
    static let cases: [(name: String, arguments: [String])] = [
        ("mistyped-command", ["flsh", "app.uf2"]),
        ("mistyped-subcommand", ["uf2", "convrt", "app.uf2", "app.bin"]),
        ("mistyped-option", ["flash", "app.uf2", "--forse"]),
        ("range-two-values", ["save", "--range", "0x10000000", "0x10001000", "out.bin"]),
        ("range-backwards", ["erase", "--range", "0x10001000..0x10000000"]),
        ("console-option-without-monitor", ["flash", "app.uf2", "--timestamps"]),
        ("offset-on-uf2", ["info", "app.uf2", "--offset", "0x10001000"]),
        ("missing-file", ["info", "missing.uf2"]),
        ("elf-64-bit", ["info", "x86.elf"]),
        ("not-uf2", ["uf2", "validate", "app.bin"]),
        ("info-uf2", ["info", "app.uf2"]),
        ("info-uf2-json", ["info", "--json", "app.uf2"]),
        ("validate-uf2", ["uf2", "validate", "app.uf2"]),
        ("validate-uf2-json", ["uf2", "validate", "--json", "app.uf2"]),
        ("convert-uf2-to-bin", ["uf2", "convert", "app.uf2", "back.bin"]),
    ]

    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// The fixture folder: app.bin (2 KiB pattern), app.uf2 (it for rp2350-arm-s), x86.elf (a 64-bit ELF header).
    static func fixtures() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let bin = (0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        try Data(bin).write(to: dir.appendingPathComponent("app.bin"))
        try Data(try SDKConversion.binToUF2(bin, address: 0x1000_0000, family: .rp2350ArmS,
                                           absoluteBlockAddress: UF2Writer.defaultAbsoluteBlockAddress))
            .write(to: dir.appendingPathComponent("app.uf2"))
        try Data([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1] + [UInt8](repeating: 0, count: 60)).write(to: dir.appendingPathComponent("x86.elf"))
        return dir
    }

    static func transcript(_ arguments: [String], in dir: URL) throws -> String {
        let result = try Binary.run(arguments, environment: ["NO_COLOR": "1", "HOME": dir.path, "PATH": "/usr/bin:/bin"], in: dir)
        return "$ picoctl \(arguments.joined(separator: " "))\n--- exit \(result.status)\n--- stdout\n\(result.stdout)--- stderr\n\(result.stderr)"
    }

    @Test(arguments: cases.map(\.name))
    func outputMatchesTheGoldenFile(_ name: String) throws {
        let arguments = try #require(Self.cases.first { $0.name == name }).arguments
        let dir = try Self.fixtures()
        defer { try? FileManager.default.removeItem(at: dir) }
        let actual = try Self.transcript(arguments, in: dir)
        let file = Self.golden.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["PICOCTL_UPDATE_GOLDEN"] != nil {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(actual == expected, "regenerate with PICOCTL_UPDATE_GOLDEN=1 swift test --filter GoldenOutputTests if the change is intended")
    }

    @Test func everyErrorSpeaksInOneVoice() throws {
        for (name, _) in Self.cases {
            let text = try String(contentsOf: Self.golden.appendingPathComponent("\(name).txt"), encoding: .utf8)
            let stderr = text.components(separatedBy: "--- stderr\n").last ?? ""
            #expect(!stderr.contains("Error:") && !stderr.contains("error: error"), "\(name)")
            if text.contains("--- exit 0\n") || stderr.isEmpty { continue }   // findings of `uf2 validate` are results, on stdout
            #expect(stderr.hasPrefix("picoctl: error: "), "\(name): \(stderr)")
            for line in stderr.split(separator: "\n") {
                #expect(line.hasPrefix("picoctl: error: ") || line.hasPrefix("  fix: "), "\(name): \(line)")
            }
        }
    }
}
