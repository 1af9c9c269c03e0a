import ArgumentParser
import PicoUSB

/// `picoctl list`: every Pico-family USB device, in every mode, with identity and access problems.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every Raspberry Pi Pico-family USB device: BOOTSEL, pico-sdk programs, MicroPython, debug probes.",
        discussion: """
        IDENTITY is the board's unique id (an app's serial, an RP2350's chip id) or, for an RP2040 in BOOTSEL whose serial is not unique, its USB port path: pass it to --serial or --port. With --json, one object {"schema":1,"boards":[...]} is printed; see the README for the fields.
        """)

    @Flag(help: "Print JSON for scripts instead of a table.")
    var json = false

    @Flag(help: "Keep watching: one line (or JSON object) per board present, arriving or leaving, until Ctrl-C.")
    var watch = false

    @Option(help: ArgumentHelp("With --watch, stop after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    @Option(help: ArgumentHelp("The inventory file naming boards (default: $PICOCTL_INVENTORY, else ~/.config/picoctl/boards.toml).",
                               valueName: "path"))
    var inventory: String?

    @Flag(help: "Also name the program in the flash of each BOOTSEL board (binary info read over PICOBOOT; slower). Apps are named by their USB product string.")
    var programs = false

    func validate() throws {
        if programs && watch { throw ValidationError("--programs does not go with --watch") }
        if timeout != nil && !watch { throw ValidationError("--timeout goes with --watch") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        try DeviceFailure.reporting {
            let context = try USBContext()
            if watch { return try runWatch(context) }
            let names: Inventory
            do { names = try Inventory.load(explicit: inventory) } catch {
                Terminal.error("picoctl: \(error)")
                throw ExitStatus.invalidInput.exitCode
            }
            let scanned = try context.scan()
            let boards = scanned.map(\.board)
            let programNames = programs ? Self.programNames(scanned) : [:]
            if json {
                let records = boards.map { board in
                    var record = BoardRecord(board)
                    record.program = programNames[board.usb.portPath] ?? (board.mode == .app ? board.usb.product : nil)
                    record.name = names.name(of: board)
                    return record
                }
                Terminal.output(Terminal.jsonLine(ListOutput(schema: 1, boards: records)))
                return
            }
            if boards.isEmpty {
                Terminal.error("no Pico-family USB devices found")
                return
            }
            Terminal.output(BoardTable.render(boards, style: Terminal.useColor ? .color : .plain,
                                              programs: programs ? programNames : nil, names: names))
            for board in boards {
                guard let problem = board.accessProblem else { continue }
                Terminal.error("\(board.usb.portPath): cannot open \(board.usb.location): \(problem.code.name)"
                               + (problem.fix.map { "; fix: \($0)" } ?? ""))
            }
        }
    }
}

extension ListCommand {
    /// `name version` of the program in each BOOTSEL board's flash, by port path (`--programs`);
    /// `(unreadable: ...)` when the board could not be read, `(no binary info)` when there is none.
    static func programNames(_ scanned: [(device: USBDevice, board: PicoDevice)]) -> [USBPortPath: String] {
        var names: [USBPortPath: String] = [:]
        for (device, board) in scanned where board.mode == .bootsel && board.accessProblem == nil {
            do {
                let session = try DeviceSession(device: device, board: board)
                defer { session.close() }
                let (info, _) = try session.programInfo(flashSize: nil, probe: 16 * 1024, limit: 256 * 1024)
                names[board.usb.portPath] = info.map { ($0.programName ?? "(unnamed)") + ($0.programVersion.map { " \($0)" } ?? "") }
                    ?? "(no binary info)"
            } catch {
                names[board.usb.portPath] = "(unreadable: \(error))"
            }
        }
        return names
    }

    /// `--watch`: `present`, `arrived` and `left` lines as the bus changes.
    func runWatch(_ context: USBContext) throws {
        try context.watchPicoDevices(timeout: timeout.map { .milliseconds(Int($0 * 1000)) }) { event in
            let (name, sign): (String, String) = switch event {
            case .present: ("present", "=")
            case .arrived: ("arrived", "+")
            case .left: ("left", "-")
            }
            if json {
                Terminal.output(Terminal.jsonLine(WatchLine(event: name, board: BoardRecord(event.device))))
            } else {
                Terminal.output("\(sign) " + BoardTable.row(event.device).filter { !$0.isEmpty && $0 != "-" }.joined(separator: "  "))
            }
            return true
        }
    }
}

/// One line of `picoctl list --watch --json`.
struct WatchLine: Encodable {
    /// `present`, `arrived` or `left`.
    var event: String
    /// The board, as in `list --json`.
    var board: BoardRecord
}

/// The JSON document of `picoctl list --json`.
struct ListOutput: Encodable {
    /// Schema version; bumped only on incompatible change.
    var schema: Int
    /// One record per device, sorted by port path.
    var boards: [BoardRecord]
}
