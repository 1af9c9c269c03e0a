import ArgumentParser
import PicoSerial

/// `picoctl monitor`: follow a board's USB console across resets and replugs.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Follow a board's USB serial console, across resets, re-flashing and replugging.",
        discussion: """
            Finds the board's CDC tty (by --serial, --port or a tty path; with none, the only Raspberry Pi \
            board present; identities read from sysfs, as `list` does), opens it raw, raises DTR at once (a pico-sdk program drops its \
            output until DTR is up) and streams what it prints to stdout. When the board goes away the \
            monitor waits for it to come back (unless --no-reconnect) and says so on stderr.
            When stdin is a terminal, keys are sent to the board; Ctrl-] ends the session, and Ctrl-T (--menu-key) \
            then a key runs a command: ? help, q quit, r restart the program, b BOOTSEL, f flash --image again, \
            t cycle timestamps, e local echo, l pause/resume the log, d toggle DTR, c clear, s send a file; \
            Ctrl-T twice sends Ctrl-T.
            A console on another host: rfc2217://HOST:PORT (ser2net, labgrid; optional ?format=8N1 and \
            purge=rx|tx|both; --baud and DTR/RTS go to the remote port) or tcp://HOST:PORT (raw bytes). The \
            monitor connects again when the server drops the connection (ser2net restarted, or stopped by a labgrid \
            exporter while the board is away).
            With --expect, --fail-on or --lines, output is written line by line and the exit status tells \
            a CI job what happened: 0 expected line seen (or N lines), 10 --fail-on line seen, \
            11 --timeout passed first, 7 board gone with --no-reconnect, 4 no such board or several, \
            6 permission denied, 3 the --log file could not be written (whatever else matched), 130 interrupted.
            Lines longer than 16 KiB are cut into pieces (each shown and logged as a line); --expect and \
            --fail-on still match a pattern that straddles a cut.
            The monitor is the tty's only reader (a lock): a second monitor, or flash --monitor, on the same \
            tty names the process that holds it and exits 5, unless --share is given.
            """)

    @Argument(help: ArgumentHelp("The board's tty (e.g. /dev/ttyACM0) instead of --serial/--port, or a network console (rfc2217://HOST:PORT, tcp://HOST:PORT).", valueName: "tty|url"), completion: .file())
    var tty: String?

    @OptionGroup(title: "Board selection")
    var board: BoardOptions

    @Flag(name: .long, help: "Follow every Raspberry Pi board, present or plugged in later; lines prefixed with the board's name (stdin is not forwarded).")
    var all = false

    @OptionGroup(title: "Console")
    var monitor: MonitorOptions

    @Option(help: ArgumentHelp("The image the f command key flashes (UF2, ELF or BIN).", valueName: "FILE"))
    var image: String?

    @Flag(name: .long, help: "JSON lines on stdout: one per line received and per connect, disconnect and end (see README).")
    var json = false

    @OptionGroup(title: "General")
    var general: GeneralOptions

    func validate() throws {
        try monitor.validate(json: json)
        if let tty, RemoteConsole.isURL(tty) {
            do { _ = try RemoteConsole(url: tty) } catch { throw ValidationError(error.description) }
            if board.serial != nil || board.port != nil || all {
                throw ValidationError("a network console names one port: drop --serial, --port and --all")
            }
        } else if let tty, !tty.hasPrefix("/") {
            throw ValidationError("the tty must be an absolute path such as /dev/ttyACM0, or rfc2217://HOST:PORT or tcp://HOST:PORT")
        }
        if board.bus != nil || board.address != nil {
            throw ValidationError("--bus/--address name one enumeration of a board, and a followed board re-enumerates: use --serial or --port")
        }
        if all && (tty != nil || board.serial != nil || board.port != nil) {
            throw ValidationError("--all follows every board: drop the tty, --serial and --port")
        }
    }

    func run() throws {
        if all { return try runAll() }
        let board = tty == nil ? try board.configured() : board
        let remote = tty.flatMap { RemoteConsole.isURL($0) ? try? RemoteConsole(url: $0) : nil }   // checked in validate()
        try MonitorSession.follow(board.serialIdentity(tty: tty), options: monitor, inventory: board.inventory, json: json,
                                  remote: remote, image: image)
    }

    private func runAll() throws {
        let names = try Inventory.loadOrExit(explicit: board.inventory)
        let multiplexer: MonitorAll
        do {
            multiplexer = try MonitorAll(options: monitor, json: json, names: names)
        } catch {
            ConsoleOutput().error(error.message)
            throw error.status.exitCode
        }
        let key = Interruption.shared.register { multiplexer.stop(interrupted: true) }
        defer { Interruption.shared.remove(key) }
        let status = multiplexer.run()
        if multiplexer.outputClosed { Interruption.dieOfSIGPIPE() }
        if status != .success { throw status.exitCode }
    }
}
