import ArgumentParser
import PicoSerial

/// The value of `--timestamps`: a mode, or a word that is none (an error in `validate()`). Only a word of
/// letters is taken, so in `--timestamps /dev/ttyACM0` or `flash --monitor --timestamps app.uf2` the bare
/// flag is followed by the tty or the image.
struct TimestampArgument: ExpressibleByArgument {
    let mode: TimestampMode?
    let word: String

    init?(argument: String) {
        guard !argument.isEmpty, argument.utf8.allSatisfy({ ($0 | 0x20) &- 0x61 < 26 }) else { return nil }
        mode = TimestampMode(rawValue: argument)
        word = argument
    }

    init(_ mode: TimestampMode) {
        self.mode = mode
        word = mode.rawValue
    }

    static var allValueStrings: [String] { TimestampMode.allCases.map(\.rawValue) }
    var defaultValueDescription: String { word }
}

/// What Enter sends to the board when stdin is forwarded.
enum SendLineEnding: String, ExpressibleByArgument, CaseIterable {
    case cr, lf, crlf

    /// The bytes that replace a CR or LF typed on the terminal.
    var bytes: [UInt8] {
        switch self {
        case .cr: [0x0D]
        case .lf: [0x0A]
        case .crlf: [0x0D, 0x0A]
        }
    }
}

/// How received line endings are shown.
enum ShowLineEnding: String, ExpressibleByArgument, CaseIterable {
    /// As received.
    case raw
    /// CR, LF and CR LF all shown as LF.
    case lf
}

/// The options of following a board's console, shared by `monitor` and `flash --monitor`.
struct MonitorOptions: ParsableArguments {
    @Option(name: .customLong("timestamps"), defaultAsFlag: TimestampArgument(.wall), parsing: .next,
            help: ArgumentHelp("Prefix each line with the time: wall (default; time of day), iso (date, time and UTC offset), epoch (Unix seconds), mono (since start) or delta (since the previous line).",
                               valueName: "wall|iso|epoch|mono|delta"),
            completion: .list(TimestampMode.allCases.map(\.rawValue)))
    var timestampArgument: TimestampArgument? = nil

    /// The `--timestamps` mode; nil without the option.
    var timestamps: TimestampMode? { timestampArgument?.mode }

    @Option(name: .long, help: ArgumentHelp("Append every line to FILE (created if needed, flushed per line); if a write fails, logging stops and the run exits 3.", valueName: "FILE"))
    var log: String?

    @Flag(name: .long, help: "Show received bytes as a hex dump.")
    var hex = false

    @Flag(name: .long, help: "Pass the board's bytes to the terminal unchanged; by default only text and colours pass and other escape and control sequences show as ^[….")
    var raw = false

    @Flag(name: .customLong("log-raw"), help: "Write the board's bytes to --log unchanged; by default the log holds no escape sequence (colours dropped, others shown as ^[…).")
    var logRaw = false

    @Option(name: .customLong("eol"), help: "How received line endings are shown: raw, or lf (CR, LF and CR LF as LF).")
    var showEOL: ShowLineEnding = .raw

    @Option(name: .customLong("send-eol"), help: "What Enter sends to the board: cr, lf or crlf.")
    var sendEOL: SendLineEnding = .cr

    @Option(name: .long, help: "Baud rate set on the port (default 115200; USB CDC ignores it; 1200 would reboot a Pico into BOOTSEL).")
    var baud: Int?

    @Flag(name: .customLong("no-reconnect"), help: "End (exit 7) when the board goes away instead of waiting for it.")
    var noReconnect = false

    @Flag(name: [.short, .long], help: "No status lines on stderr (connect, disconnect, reconnect); errors still show.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Report the delay from the tty's appearance to DTR on each connection.")
    var verbose = false

    @Option(name: .long, help: ArgumentHelp("Exit 0 as soon as a line matches REGEX.", valueName: "REGEX"))
    var expect: String?

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 10 as soon as a line matches REGEX (checked before --expect).", valueName: "REGEX"))
    var failOn: String?

    @Option(name: .long, help: ArgumentHelp("Exit 11 when this many seconds pass first.", valueName: "SECONDS"))
    var timeout: Double?

    @Option(name: .long, help: ArgumentHelp("Exit 0 after N lines.", valueName: "N"))
    var lines: Int?

    @Flag(name: .customLong("no-input"), help: "Do not forward stdin to the board even when it is a terminal.")
    var noInput = false

    @Flag(name: .long, help: "Read the tty alongside another reader. Without it the monitor is the tty's only reader (a lock); a tty another reader holds ends the run with exit 5, naming it.")
    var share = false

    @Option(help: ArgumentHelp("Annotate code addresses in lines (0x10000234 <main+0x1c at main.c:42>) from this ELF's symbols and DWARF line table (flash --monitor uses the ELF it flashed).", valueName: "FILE"))
    var elf: String?

    @Flag(name: .customLong("no-symbolize"), help: "Do not annotate code addresses, even with --elf or an ELF flashed.")
    var noSymbolize = false

    @Option(name: .customLong("menu-key"), help: ArgumentHelp("The key that starts a command on a terminal (default Ctrl-T, or menu-key in the config file; then ? lists them; twice sends it).", valueName: "ctrl-LETTER"))
    var menuKeyArgument: MenuKey?

    /// The key that starts a command: `--menu-key`, else Ctrl-T (`configured` fills in the config file's).
    var menuKey: MenuKey { menuKeyArgument ?? .ctrlT }

    func validate() throws {
        if let word = timestampArgument?.word, timestampArgument?.mode == nil {
            throw ValidationError("--timestamps \(word) is not a timestamp kind (use wall, iso, epoch, mono or delta)")
        }
        if let baud, !SerialPort.supportedBauds.contains(baud) {
            throw ValidationError("--baud \(baud) is not supported (use one of \(SerialPort.supportedBauds.map(String.init).joined(separator: ", ")))")
        }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        if let lines, lines < 1 { throw ValidationError("--lines must be at least 1") }
        do { _ = try watchOptions() } catch { throw ValidationError("bad pattern: \(error)") }
        if hex && showEOL == .lf { throw ValidationError("--hex shows bytes as they are; drop --eol lf") }
    }

    /// Refuses output options that `--json` replaces (the command owning `--json` calls this).
    func validate(json: Bool) throws {
        if json && (hex || timestampArgument != nil) { throw ValidationError("--json carries times and text already; drop --hex and --timestamps") }
    }

    /// The console options given on the command line that only following a console uses (`--verbose`
    /// is shared with the command owning these options, so it is not among them).
    var consoleOnlyOptionsGiven: [String] {
        var given: [String] = []
        if timestamps != nil { given.append("--timestamps") }
        if log != nil { given.append("--log") }
        if hex { given.append("--hex") }
        if showEOL != .raw { given.append("--eol") }
        if sendEOL != .cr { given.append("--send-eol") }
        if baud != nil { given.append("--baud") }
        if noReconnect { given.append("--no-reconnect") }
        if quiet { given.append("--quiet") }
        if expect != nil { given.append("--expect") }
        if failOn != nil { given.append("--fail-on") }
        if timeout != nil { given.append("--timeout") }
        if lines != nil { given.append("--lines") }
        if noInput { given.append("--no-input") }
        if share { given.append("--share") }
        if raw { given.append("--raw") }
        if logRaw { given.append("--log-raw") }
        if elf != nil { given.append("--elf") }
        if noSymbolize { given.append("--no-symbolize") }
        if menuKeyArgument != nil { given.append("--menu-key") }
        return given
    }

    /// The compiled `--expect`, `--fail-on` and `--lines`.
    func watchOptions() throws -> WatchOptions {
        try WatchOptions(expectPattern: expect, failOnPattern: failOn, maxLines: lines)
    }

    /// The follower's options for `identity` (or for the network console `remote`).
    func followOptions(identity: BoardIdentity, remote: RemoteConsole? = nil) -> FollowOptions {
        FollowOptions(identity: identity, port: SerialPortOptions(baud: baud ?? 115_200, exclusive: !share), reconnect: !noReconnect,
                      timeoutNanoseconds: timeout.map { Int64($0 * 1_000_000_000) }, remote: remote)
    }
}

extension BoardOptions {
    /// The board `monitor` follows: `--serial`, `--port` and an optional tty path (`--bus`/`--address` are refused
    /// in `validate()`: they name one enumeration, and a followed board re-enumerates).
    func serialIdentity(tty: String?) -> BoardIdentity {
        BoardIdentity(serial: serial, portPath: port, devnode: tty)
    }
}
