import ArgumentParser
import FoundationEssentials
import PicoDoctor
import PicoSerial

/// Defaults people would otherwise repeat on every command line, read from
/// `--config FILE`, else `$XDG_CONFIG_HOME/picoctl/config.toml` (default `~/.config/picoctl/config.toml`).
/// Options given on the command line always win.
///
/// ```toml
/// color = "auto"          # auto, always or never (--color)
/// board = "bench-3"       # the board a command uses when none is selected (--serial: a serial, unique id or name)
/// timestamps = "wall"     # monitor: wall, iso, epoch, mono or delta (--timestamps)
/// menu-key = "ctrl-a"     # monitor: the key before a command key (--menu-key; only here, not per board)
/// baud = 115200           # monitor (--baud)
/// log-dir = "~/pico-logs" # monitor: every session appended to DIR/NAME.log (--log)
///
/// [board.bench-3]         # for one board, by inventory name, serial or port path
/// baud = 921600
/// timestamps = "mono"
/// ```
struct Config: Equatable, Sendable {
    /// Settings that can be given for every board and for one board.
    struct BoardSettings: Equatable, Sendable {
        var timestamps: TimestampMode?
        var baud: Int?
        var logDir: String?

        /// `self` where set, else `fallback`.
        func over(_ fallback: BoardSettings) -> BoardSettings {
            BoardSettings(timestamps: timestamps ?? fallback.timestamps, baud: baud ?? fallback.baud, logDir: logDir ?? fallback.logDir)
        }
    }

    /// The file the settings came from (nil: no file).
    var path: String?
    var color: ColorChoice?
    /// The board to use when a command selects none.
    var board: String?
    /// The console's menu key when `--menu-key` is not given.
    var menuKey: MenuKey?
    /// Settings for every board.
    var defaults = BoardSettings()
    /// Settings for one board, by inventory name, serial or port path.
    var boards: [String: BoardSettings] = [:]

    /// No file, no settings.
    init() {}

    /// Parses the text of a config file; unknown keys and tables are refused with their line.
    init(parsing text: String, path: String) throws(TOMLFile.ParseError) {
        let file = try TOMLFile(parsing: text, path: path)
        self.path = path
        for table in file.tables.map(\.name) where !(table == ["board"] || (table.count == 2 && table[0] == "board")) {
            throw file.error(table: table, "unknown table [\(TOMLFile.render(table))]; per-board settings go in [board.NAME]")
        }
        for entry in file.entries {
            if entry.table.isEmpty {
                switch entry.key {
                case "color":
                    guard let choice = ColorChoice(rawValue: try Self.string(entry, in: file)) else {
                        throw file.error(entry, "color is auto, always or never")
                    }
                    color = choice
                case "board": board = try Self.string(entry, in: file)
                case "menu-key":
                    guard let key = MenuKey(argument: try Self.string(entry, in: file)) else {
                        throw file.error(entry, "menu-key is Ctrl with a letter, such as \"ctrl-a\" (not ctrl-j or ctrl-m: Enter)")
                    }
                    menuKey = key
                default: try Self.apply(entry, to: &defaults, in: file, extra: ["color", "board", "menu-key"])
                }
            } else if entry.table.count == 2 {
                try Self.apply(entry, to: &boards[entry.table[1], default: BoardSettings()], in: file, extra: [])
            } else {
                throw file.error(entry, "\(entry.key) goes at the top of the file or in a [board.NAME] table")
            }
        }
    }

    private static func apply(_ entry: TOMLFile.Entry, to settings: inout BoardSettings, in file: TOMLFile,
                              extra: [String]) throws(TOMLFile.ParseError) {
        switch entry.key {
        case "timestamps":
            guard let mode = TimestampMode(rawValue: try string(entry, in: file)) else {
                throw file.error(entry, "timestamps is wall, iso, epoch, mono or delta")
            }
            settings.timestamps = mode
        case "baud":
            guard case .integer(let baud) = entry.value, SerialPort.supportedBauds.contains(baud) else {
                throw file.error(entry, "baud = \(entry.value) is not a supported rate (one of \(SerialPort.supportedBauds.map(String.init).joined(separator: ", ")))")
            }
            settings.baud = baud
        case "log-dir":
            settings.logDir = expandingTilde(try string(entry, in: file))
        default:
            let known = extra + ["timestamps", "baud", "log-dir"]
            throw file.error(entry, "unknown setting \(entry.key) (known here: \(known.joined(separator: ", ")))")
        }
    }

    private static func string(_ entry: TOMLFile.Entry, in file: TOMLFile) throws(TOMLFile.ParseError) -> String {
        guard case .string(let text) = entry.value, !text.isEmpty else {
            throw file.error(entry, "\(entry.key) takes text in quotes")
        }
        return text
    }

    /// `~/x` as `$HOME/x`.
    static func expandingTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] else { return path }
        return home + path.dropFirst()
    }

    /// picoctl's folder of files: `$XDG_CONFIG_HOME/picoctl`, else `~/.config/picoctl` (nil without HOME).
    static var directory: String? {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? env["HOME"].map { $0 + "/.config" }
        return base.map { $0 + "/picoctl" }
    }

    /// Reads `explicit` (which must exist), else the default file (which may be missing: no settings).
    static func load(explicit: String?) throws(TOMLFile.ParseError) -> Config {
        guard let path = explicit ?? directory.map({ $0 + "/config.toml" }) else { return Config() }
        guard let data = FileManager.default.contents(atPath: path) else {
            if explicit != nil { throw TOMLFile.ParseError(path: path, line: 0, reason: "cannot read the config file") }
            return Config()
        }
        return try Config(parsing: String(decoding: data, as: UTF8.self), path: path)
    }

    /// The settings for the board known as any of `keys` (name, serial, port path), over the defaults.
    func settings(for keys: [String?]) -> BoardSettings {
        let specific = keys.compactMap { $0 }.lazy.compactMap { boards[$0] }.first
        return specific.map { $0.over(defaults) } ?? defaults
    }

    /// The config of this process: loaded once by `GeneralOptions.validate()`, before the command runs.
    nonisolated(unsafe) static var current = Config()
}

/// Options every command takes: `--config` and `--color`. Loads the config file once and sets the colour choice.
struct GeneralOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The config file of defaults (default: $XDG_CONFIG_HOME/picoctl/config.toml, else ~/.config/picoctl/config.toml).",
                               valueName: "path"), completion: .file(extensions: ["toml"]))
    var config: String?

    @Option(help: ArgumentHelp("Colour: auto (a terminal, NO_COLOR unset, TERM not dumb), always or never.", valueName: "when"))
    var color: ColorChoice?

    mutating func validate() throws {
        do {
            Config.current = try Config.load(explicit: config)
        } catch {
            Diagnostics.error("\(error)")
            throw ExitStatus.invalidInput.exitCode
        }
        Colour.choice = color ?? Config.current.color ?? .auto
    }
}

extension MonitorOptions {
    /// These options with the config file's settings for the followed board filled in where the command
    /// line left them out: `--timestamps` (not with `--json`), `--baud`, `--log` (a file named after
    /// the board in `log-dir`) and `--menu-key`. The board is looked up by `label`, its inventory name,
    /// serial and port path.
    func configured(_ config: Config = Config.current, for identity: BoardIdentity, label: String? = nil,
                    inventory: String? = nil, json: Bool = false) -> MonitorOptions {
        let name = label ?? (try? Inventory.load(explicit: inventory))?.name(serial: identity.serial, port: identity.portPath)
        let settings = config.settings(for: [name, identity.serial, identity.portPath])
        var options = self
        if !json, options.timestampArgument == nil, let mode = settings.timestamps { options.timestampArgument = TimestampArgument(mode) }
        if options.baud == nil { options.baud = settings.baud }
        if options.menuKeyArgument == nil { options.menuKeyArgument = config.menuKey }
        if options.log == nil, let dir = settings.logDir {
            let stem = (name ?? identity.serial ?? identity.portPath.map { "port-" + $0 } ?? "monitor")
                .map { (c: Character) -> Character in c == "/" || c == " " ? "_" : c }
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            options.log = dir + "/" + String(stem) + ".log"
        }
        return options
    }
}

extension BoardOptions {
    /// True when the command line names no board.
    var selectsNothing: Bool { serial == nil && port == nil && bus == nil && address == nil }

    /// These options, or when they select nothing, the config file's `board` (resolved through the inventory).
    func configured(_ config: Config = Config.current) throws -> BoardOptions {
        guard selectsNothing, let board = config.board else { return self }
        var options = self
        options.serial = board
        do { try options.validate() } catch {
            throw DeviceFailure.invalidInput("\(error) (board = \"\(board)\" in \(config.path ?? "the config file"))")
        }
        return options
    }
}

extension Config {
    /// What `picoctl doctor` says about picoctl's own files: which config file and inventory were read.
    static func doctorFindings(config: Config = .current, inventory explicit: String? = nil) -> [Finding] {
        var findings: [Finding] = []
        let defaultConfig = directory.map { $0 + "/config.toml" } ?? "~/.config/picoctl/config.toml"
        findings.append(Finding(check: "config-file", severity: .ok,
                                summary: config.path.map { "config file \($0) read" } ?? "no config file (\(defaultConfig) is read when present)"))
        if let (path, _) = Inventory.location(explicit: explicit) {
            do {
                let names = try Inventory.load(explicit: explicit)
                let present = FileManager.default.fileExists(atPath: path)
                findings.append(Finding(check: "inventory", severity: .ok,
                                        summary: present ? "inventory \(path) read (\(names.entries.count) names)"
                                                         : "no inventory file (\(path) is read when present)"))
            } catch {
                findings.append(Finding(check: "inventory", severity: .problem, summary: "inventory: \(error)",
                                        fix: "correct that line (names as name = \"serial\" or name = \"port:1-3.2\")"))
            }
        }
        return findings
    }
}
