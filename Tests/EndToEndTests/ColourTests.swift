import Foundation
import Testing
import UF2

/// `--color`, `NO_COLOR`, `TERM=dumb` and the config file's `color`, through the built binary (stdout is a pipe here).
@Suite struct ColourOptionTests {
    static let escape = "\u{1B}["

    /// A UF2 file with an error finding (block 2 claims a wrong block count): `uf2 validate` labels it "error".
    static func badUF2() throws -> String {
        var bytes = try SDKConversion.binToUF2([UInt8](repeating: 7, count: 1024), address: 0x1000_1000, family: .rp2040)
        bytes[512 * 2 + 24] = 9
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("colour-\(UUID().uuidString).uf2").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func environment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = nil
        env["TERM"] = "xterm"
        env["XDG_CONFIG_HOME"] = "/nonexistent"
        return env.merging(extra) { $1 }
    }

    @Test(arguments: [
        ([String](), [String: String](), false),                         // auto, stdout a pipe
        (["--color", "always"], [:], true),
        (["--color", "always"], ["NO_COLOR": "1", "TERM": "dumb"], true),  // an explicit choice wins
        (["--color", "never"], [:], false),
        (["--color", "auto"], [:], false),
    ])
    func validateOutput(options: [String], environment: [String: String], coloured: Bool) throws {
        let file = try Self.badUF2()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try Binary.run(["uf2", "validate", file] + options, environment: Self.environment(environment))
        #expect(result.status == 2)
        #expect(result.stdout.contains(Self.escape + "31merror" + Self.escape + "0m") == coloured, "\(result.stdout)")
        #expect(result.stdout.contains("error") && result.stdout.contains(Self.escape) == coloured)
    }

    @Test func theConfigFileChoosesAndTheCommandLineWins() throws {
        let file = try Self.badUF2()
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("colour-\(UUID().uuidString).toml")
        try "color = \"always\"\n".write(to: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(at: config) }
        let env = Self.environment(["NO_COLOR": "1"])
        #expect(try Binary.run(["uf2", "validate", file, "--config", config.path], environment: env).stdout.contains(Self.escape))
        #expect(try !Binary.run(["uf2", "validate", file, "--config", config.path, "--color", "never"], environment: env)
                    .stdout.contains(Self.escape))
    }

    @Test func aBadChoiceIsAUsageError() throws {
        let result = try Binary.run(["doctor", "--color", "sometimes"], environment: Self.environment([:]))
        #expect(result.status == 64 && result.stderr.contains("sometimes"))
    }
}
