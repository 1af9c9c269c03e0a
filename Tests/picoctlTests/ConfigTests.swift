import Foundation
import PicoSerial
import Testing
@testable import picoctl

@Suite struct ConfigTests {
    static let example = """
        color = "never"
        board = 'bench-3'
        timestamps = "wall"
        baud = 115200
        log-dir = "/tmp/pico-logs"

        [board.bench-3]
        baud = 921600
        timestamps = "mono"

        [board."1-3.2"]
        log-dir = "/tmp/rig"
        """

    @Test func readsTopLevelAndPerBoardSettings() throws {
        let config = try Config(parsing: Self.example, path: "config.toml")
        #expect(config.color == .never)
        #expect(config.board == "bench-3")
        #expect(config.defaults == .init(timestamps: .wall, baud: 115_200, logDir: "/tmp/pico-logs"))
        #expect(config.settings(for: ["bench-3"]) == .init(timestamps: .mono, baud: 921_600, logDir: "/tmp/pico-logs"))
        #expect(config.settings(for: [nil, "E6605481DB484636", "1-3.2"]) == .init(timestamps: .wall, baud: 115_200, logDir: "/tmp/rig"))
        #expect(config.settings(for: ["other"]) == config.defaults)
    }

    @Test(arguments: [
        ("colour = \"never\"", 1, "unknown setting colour"),
        ("color = \"sometimes\"", 1, "color is auto, always or never"),
        ("baud = 12345", 1, "baud = 12345 is not a supported rate"),
        ("baud = \"fast\"", 1, "is not a supported rate"),
        ("timestamps = \"utc\"", 1, "timestamps is wall, iso, epoch, mono or delta"),
        ("menu-key = \"ctrl-]\"", 1, "menu-key is Ctrl with a letter"),
        ("menu-key = \"ctrl-m\"", 1, "menu-key is Ctrl with a letter"),
        ("menu-key = 1", 1, "menu-key takes text in quotes"),
        ("[board.x]\nmenu-key = \"ctrl-a\"", 2, "unknown setting menu-key (known here: timestamps, baud, log-dir)"),
        ("board = 3", 1, "board takes text in quotes"),
        ("[boards.x]\nbaud = 9600", 1, "unknown table [boards.x]"),
        ("[board.x]\ncolor = \"never\"", 2, "unknown setting color (known here: timestamps, baud, log-dir)"),
        ("[board]\nbaud = 9600", 2, "goes at the top of the file or in a [board.NAME] table"),
        ("baud = 9600\nbaud = 9600", 2, "baud is given twice"),
    ])
    func refuses(text: String, line: Int, reason: String) {
        #expect {
            try Config(parsing: text, path: "config.toml")
        } throws: { error in
            let error = error as! TOMLFile.ParseError
            return error.line == line && error.reason.contains(reason)
        }
    }

    @Test func aMissingNamedFileIsAnError() throws {
        #expect(throws: TOMLFile.ParseError.self) { try Config.load(explicit: "/nonexistent/picoctl.toml") }
    }

    @Test func theCommandLineWinsOverTheConfigFile() throws {
        let config = try Config(parsing: Self.example, path: "config.toml")
        let bench = BoardIdentity(serial: "E6605481DB484636")
        // Nothing on the command line: the board's own settings, then the defaults.
        let filled = try MonitorOptions.parse([]).configured(config, for: bench, label: "bench-3")
        #expect(filled.timestamps == .mono && filled.baud == 921_600)
        #expect(filled.log == "/tmp/pico-logs/bench-3.log")
        // Given on the command line: kept.
        let given = try MonitorOptions.parse(["--timestamps", "delta", "--baud", "9600", "--log", "/tmp/x.log"])
            .configured(config, for: bench, label: "bench-3")
        #expect(given.timestamps == .delta && given.baud == 9600 && given.log == "/tmp/x.log")
        // --json carries its own times: the config's timestamps are not applied.
        #expect(try MonitorOptions.parse([]).configured(config, for: bench, label: "bench-3", json: true).timestamps == nil)
    }

    @Test func theMenuKeyComesFromTheConfigFileUnlessGiven() throws {
        let config = try Config(parsing: "menu-key = \"Ctrl-A\"", path: "config.toml")
        #expect(config.menuKey?.byte == 0x01)
        let board = BoardIdentity(serial: "E6605481DB484636")
        #expect(try MonitorOptions.parse([]).configured(config, for: board).menuKey.byte == 0x01)
        #expect(try MonitorOptions.parse(["--menu-key", "ctrl-b"]).configured(config, for: board).menuKey.byte == 0x02)
        #expect(try MonitorOptions.parse([]).configured(Config(), for: board).menuKey == .ctrlT)
        #expect(throws: (any Error).self) { try MonitorOptions.parse(["--menu-key", "ctrl-m"]) }
    }

    @Test func theConfiguredBoardIsUsedOnlyWhenNoneIsSelected() throws {
        let config = try Config(parsing: "board = \"E6605481DB484636\"", path: "config.toml")
        #expect(try BoardOptions.parse([]).configured(config).serial == "E6605481DB484636")
        #expect(try BoardOptions.parse(["--port", "1-2"]).configured(config).serial == nil)
        #expect(try BoardOptions.parse(["--serial", "ABC"]).configured(config).serial == "ABC")
        #expect(try BoardOptions.parse([]).configured(Config()).serial == nil)
    }
}

@Suite struct ColourTests {
    @Test(arguments: [
        (ColorChoice.auto, true, [String: String](), true),
        (.auto, false, [:], false),
        (.auto, true, ["NO_COLOR": "1"], false),
        (.auto, true, ["NO_COLOR": ""], true),
        (.auto, true, ["TERM": "dumb"], false),
        (.always, false, ["NO_COLOR": "1", "TERM": "dumb"], true),
        (.never, true, [:], false),
    ])
    func decides(choice: ColorChoice, terminal: Bool, environment: [String: String], expected: Bool) {
        #expect(Colour.decide(choice, isTerminal: terminal, environment: { environment[$0] }) == expected)
    }
}
