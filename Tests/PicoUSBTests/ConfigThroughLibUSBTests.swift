import Foundation
import Testing

/// The config file's default board, through the built binary against emulated boards.
@Suite(.enabled(if: Lab.isAvailable, "needs umockdev and python3-gi (Scripts/setup.sh)"))
struct ConfigThroughLibUSBTests {
    @Test func theConfiguredBoardIsSelectedUnlessTheCommandLineSelects() throws {
        let lab = try Lab(Array(Lab.mixed.prefix(4)))
        defer { lab.stop() }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-config-\(UUID().uuidString)")
        let dir = home.appendingPathComponent("picoctl")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try "left-rig = \"port:1-3.3\"\n".write(to: dir.appendingPathComponent("boards.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_CONFIG_HOME": home.path]

        // Several boards and no selection: refused (exit 4) until the config file names one.
        #expect(try lab.run(Lab.picoctl, ["erase"], extraEnvironment: env).status == 4)
        try "board = \"left-rig\"\n".write(to: dir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        // "left-rig" is the board at 1-3.3: selected (the emulated lab has no PICOBOOT handler, so the
        // command then fails past the selection, not with 4).
        let configured = try lab.run(Lab.picoctl, ["erase"], extraEnvironment: env)
        #expect(configured.status != 4 && configured.status != 0, "\(configured.stderr)")
        // The command line wins.
        let other = try lab.run(Lab.picoctl, ["erase", "--serial", "nobody"], extraEnvironment: env)
        #expect(other.status == 4, "\(other.stderr)")
        // A configured name that is nowhere: no board matches it.
        try "board = \"FFFFFFFFFFFFFFFF\"\n".write(to: dir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        let missing = try lab.run(Lab.picoctl, ["erase"], extraEnvironment: env)
        #expect(missing.status == 4 && missing.stderr.contains("FFFFFFFFFFFFFFFF"), "\(missing.stderr)")
    }
}
