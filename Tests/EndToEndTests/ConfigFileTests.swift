import Foundation
import Testing

/// The config file and the inventory as the built binary reads them.
@Suite struct ConfigFileTests {
    /// A fresh `$XDG_CONFIG_HOME` with `picoctl/config.toml` and `picoctl/boards.toml` as given.
    static func configHome(config: String?, inventory: String?) throws -> URL {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-config-\(UUID().uuidString)")
        let dir = home.appendingPathComponent("picoctl")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try config?.write(to: dir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        try inventory?.write(to: dir.appendingPathComponent("boards.toml"), atomically: true, encoding: .utf8)
        return home
    }

    static func environment(_ home: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["XDG_CONFIG_HOME"] = home.path
        env["PICOCTL_INVENTORY"] = nil
        return env
    }

    @Test func doctorSaysWhichFilesWereRead() throws {
        let home = try Self.configHome(config: "color = \"never\"\n", inventory: "[boards]\nbench-3 = 'E6605481DB484636'\n")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try Binary.run(["doctor"], environment: Self.environment(home))
        #expect(result.stdout.contains("config file \(home.path)/picoctl/config.toml read"), "\(result.stdout)")
        #expect(result.stdout.contains("inventory \(home.path)/picoctl/boards.toml read (1 names)"), "\(result.stdout)")

        let empty = try Self.configHome(config: nil, inventory: nil)
        defer { try? FileManager.default.removeItem(at: empty) }
        let none = try Binary.run(["doctor"], environment: Self.environment(empty))
        #expect(none.stdout.contains("no config file (\(empty.path)/picoctl/config.toml is read when present)"), "\(none.stdout)")
        #expect(none.stdout.contains("no inventory file"), "\(none.stdout)")
    }

    @Test func doctorReportsABrokenInventoryWithItsLine() throws {
        let home = try Self.configHome(config: nil, inventory: "a = \"E6605481DB484636\"\nb = \"e6605481db484636\"\n")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try Binary.run(["doctor"], environment: Self.environment(home))
        #expect(result.status == 1)
        #expect(result.stdout.contains("PROBLEM  inventory: \(home.path)/picoctl/boards.toml:2: b and a (line 1) both name"), "\(result.stdout)")
    }

    @Test func aBrokenOrMissingConfigFileStopsEveryCommandWithStatus2() throws {
        let home = try Self.configHome(config: "[board.x]\nspeed = 3\n", inventory: nil)
        defer { try? FileManager.default.removeItem(at: home) }
        let env = Self.environment(home)
        for arguments in [["doctor"], ["list"], ["uf2", "validate", "/nonexistent.uf2"]] {
            let result = try Binary.run(arguments, environment: env)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains("config.toml:2: unknown setting speed"), "\(result.stderr)")
        }
        let missing = try Binary.run(["doctor", "--config", home.path + "/none.toml"], environment: env)
        #expect(missing.status == 2 && missing.stderr.contains("none.toml: cannot read the config file"), "\(missing.stderr)")
        // --config names another file: the broken default one is not read.
        let other = home.appendingPathComponent("other.toml")
        try "color = 'never'\n".write(to: other, atomically: true, encoding: .utf8)
        let named = try Binary.run(["doctor", "--config", other.path], environment: env)
        #expect(named.stdout.contains("config file \(other.path) read"), "\(named.stderr)")
    }
}
