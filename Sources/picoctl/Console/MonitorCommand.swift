import ArgumentParser
import PicoSerial

/// `picoctl monitor`: follow a board's USB console across resets and replugs.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Follow a board's USB serial console, across resets, re-flashing and replugging.",
        discussion: """
            Finds the board's CDC tty through udev (by --serial, --port or a tty path; with none, the only \
            Raspberry Pi board present), opens it raw, raises DTR at once (a pico-sdk program drops its \
            output until DTR is up) and streams what it prints to stdout. When the board goes away the \
            monitor waits for it to come back (unless --no-reconnect) and says so on stderr.
            When stdin is a terminal, keys are sent to the board; Ctrl-] ends the session, and Ctrl-T (--menu-key) \
            then a key runs a command: ? help, q quit, r restart the program, b BOOTSEL, f flash --image again, \
            t cycle timestamps, e local echo, l pause/resume the log, d toggle DTR, c clear, s send a file; \
            Ctrl-T twice sends Ctrl-T.
            With --expect, --fail-on or --lines, output is written line by line and the exit status tells \
            a CI job what happened: 0 expected line seen (or N lines), 10 --fail-on line seen, \
            11 --timeout passed first, 7 board gone with --no-reconnect, 4 no such board or several, \
            6 permission denied, 130 interrupted.
            """)

    @Argument(help: ArgumentHelp("The board's tty (e.g. /dev/ttyACM0) instead of --serial/--port.", valueName: "tty"))
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

    func validate() throws {
        try monitor.validate(json: json)
        if let tty, !tty.hasPrefix("/") { throw ValidationError("the tty must be an absolute path such as /dev/ttyACM0") }
        if board.bus != nil || board.address != nil {
            throw ValidationError("--bus/--address name one enumeration of a board, and a followed board re-enumerates: use --serial or --port")
        }
        if all && (tty != nil || board.serial != nil || board.port != nil) {
            throw ValidationError("--all follows every board: drop the tty, --serial and --port")
        }
    }

    func run() throws {
        if all { return try runAll() }
        let session: MonitorSession
        do {
            session = try MonitorSession(options: monitor, identity: board.serialIdentity(tty: tty), json: json, image: image)
        } catch {
            ConsoleOutput().error(error.message)
            throw error.status.exitCode
        }
        let status = session.run(forwardInput: true)
        if status != .success { throw status.exitCode }
    }

    private func runAll() throws {
        let multiplexer: MonitorAll
        do {
            multiplexer = try MonitorAll(options: monitor, json: json, names: (try? Inventory.load(explicit: board.inventory)) ?? Inventory())
        } catch {
            ConsoleOutput().error(error.message)
            throw error.status.exitCode
        }
        let key = Interruption.shared.register { multiplexer.stop(interrupted: true) }
        defer { Interruption.shared.remove(key) }
        let status = multiplexer.run()
        if status != .success { throw status.exitCode }
    }
}
