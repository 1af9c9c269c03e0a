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
                               valueName: "path"), completion: .file(extensions: ["toml"]))
    var inventory: String?

    @Flag(help: "Also name the program in the flash of each BOOTSEL board (binary info read over PICOBOOT; slower). Apps are named by their USB product string.")
    var programs = false

    @OptionGroup(title: "General")
    var general: GeneralOptions

    func validate() throws {
        if programs && watch { throw ValidationError("--programs does not go with --watch") }
        if timeout != nil && !watch { throw ValidationError("--timeout goes with --watch") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        try DeviceFailure.reporting {
            let names = try Inventory.loadOrExit(explicit: inventory)
            let context = try USBContext()
            if watch { return try runWatch(context, names: names) }
            let scanned = try context.scan()
            let boards = scanned.map(\.board)
            let probes = programs ? Self.probe(scanned) : [:]
            let programNames = probes.mapValues(\.program)
            let learned = probes.compactMapValues(\.uniqueID)
            if json {
                let records = boards.map { board in
                    var record = BoardRecord(board)
                    record.program = programNames[board.usb.portPath] ?? (board.mode == .app ? board.usb.product : nil)
                    record.uniqueId = record.uniqueId ?? learned[board.usb.portPath]
                    record.name = names.name(of: board, uniqueID: learned[board.usb.portPath])
                    return record
                }
                Terminal.output(Terminal.jsonLine(ListOutput(schema: JSONStyle.schema, boards: records)))
                return
            }
            if boards.isEmpty {
                Diagnostics.warning("no Pico-family USB devices found")
                return
            }
            Terminal.output(BoardTable.render(boards, style: Colour.enabled(.stdout) ? .color : .plain,
                                              programs: programs ? programNames : nil, names: names, uniqueIDs: learned))
            for board in boards {
                guard let problem = board.accessProblem else { continue }
                Diagnostics.warning("\(board.usb.portPath): cannot open \(board.usb.location): \(problem.code.name)", fix: problem.fix)
            }
        }
    }
}

extension ListCommand {
    /// What `--programs` learns from each BOOTSEL board over PICOBOOT.
    struct Probe {
        /// `name version`; `(unreadable: ...)` when the board could not be read, `(no binary info)` when there is none.
        var program: String
        /// An RP2040's flash unique id (its app's serial), read by the RAM helper; nil when not read.
        var uniqueID: String?
    }

    /// Probes each BOOTSEL board (`--programs`): the program's binary info and, on an RP2040, the
    /// flash unique id, by port path.
    static func probe(_ scanned: [(device: USBDevice, board: PicoDevice)]) -> [USBPortPath: Probe] {
        var probes: [USBPortPath: Probe] = [:]
        for (device, board) in scanned where board.mode == .bootsel && board.accessProblem == nil {
            do {
                let session = try DeviceSession(device: device, board: board)
                defer { session.close() }
                let (info, _) = try session.programInfo(flashSize: nil, probe: 16 * 1024, limit: 256 * 1024)
                let program = info.map { ($0.programName ?? "(unnamed)") + ($0.programVersion.map { " \($0)" } ?? "") }
                    ?? "(no binary info)"
                var uniqueID: String?
                if !board.serialIsUnique, let id = try? session.run({ try $0.readUniqueID() }) ?? nil {
                    uniqueID = InfoCommand.uniqueIDText(id)
                }
                probes[board.usb.portPath] = Probe(program: program, uniqueID: uniqueID)
            } catch {
                probes[board.usb.portPath] = Probe(program: "(unreadable: \(error))")
            }
        }
        return probes
    }

    /// `--watch`: `present`, `arrived`, `left` and `changed` lines as the bus changes. A board that
    /// leaves and comes back within the grace time (a reset into BOOTSEL, a reboot after flashing) is
    /// one `changed` line (`~ bench-3 1-3.2: app → BOOTSEL`), not a departure and an arrival.
    func runWatch(_ context: USBContext, names: Inventory) throws {
        var tracker = BoardTracker()
        let emit: (BoardChange, BoardTracker) -> Void = { change, tracker in
            Terminal.output(Self.watchLine(change, name: names.name(of: change.device, uniqueID: tracker.uniqueID(of: change.device)),
                                           uniqueID: tracker.uniqueID(of: change.device), json: json))
        }
        try context.watchPicoDevices(timeout: timeout.map { .milliseconds(Int($0 * 1000)) }, { event in
            for change in tracker.handle(event, at: .now) { emit(change, tracker) }
            return true
        }, idle: {
            for change in tracker.expire(at: .now) { emit(change, tracker) }
            return true
        })
        for change in tracker.flush() { emit(change, tracker) }
    }

    /// One `--watch` line: `+`/`-`/`=` and the board's row, or `~ NAME PORT: app → BOOTSEL`; or its JSON object.
    static func watchLine(_ change: BoardChange, name: String?, uniqueID: String?, json: Bool) -> String {
        let (event, sign): (String, String) = switch change {
        case .present: ("present", "=")
        case .arrived: ("arrived", "+")
        case .left: ("left", "-")
        case .changed: ("changed", "~")
        }
        if json {
            var record = BoardRecord(change.device)
            record.name = name
            var line = WatchLine(event: event, board: record)
            if case .changed(let from, _) = change { line.fromMode = from.mode.rawValue }
            line.uniqueId = uniqueID
            return Terminal.jsonLine(line)
        }
        if case .changed(let from, let to) = change {
            let what = from.mode == to.mode ? "\(to.mode.word) again" : "\(from.mode.word) → \(to.mode.word)"
            return "~ " + (name.map { "\($0) " } ?? "") + "\(to.usb.portPath): \(what)  " + BoardTable.row(to).filter { !$0.isEmpty && $0 != "-" }.joined(separator: "  ")
        }
        return "\(sign) " + (name.map { "\($0)  " } ?? "") + BoardTable.row(change.device).filter { !$0.isEmpty && $0 != "-" }.joined(separator: "  ")
    }
}

extension PicoMode {
    /// `BOOTSEL`, `app`, `MicroPython`...: the mode in sentences.
    var word: String { self == .bootsel ? "BOOTSEL" : rawValue }
}

/// One line of `picoctl list --watch --json`.
struct WatchLine: Encodable {
    /// `present`, `arrived`, `left` or `changed` (the same board back, perhaps in another mode).
    var event: String
    /// The board, as in `list --json`.
    var board: BoardRecord
    /// With `changed`: the mode the board left in.
    var fromMode: String? = nil
    /// The board's unique id when known (for an RP2040 in BOOTSEL: learned from its app serial at that port).
    var uniqueId: String? = nil

    enum CodingKeys: String, CodingKey {
        case schema, event, board
        case fromMode = "from_mode"
        case uniqueId = "unique_id"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(JSONStyle.schema, forKey: .schema)
        try c.encode(event, forKey: .event)
        try c.encode(board, forKey: .board)
        try c.encode(fromMode, forKey: .fromMode)
        try c.encode(uniqueId, forKey: .uniqueId)
    }
}

/// The JSON document of `picoctl list --json`.
struct ListOutput: Encodable {
    /// Schema version; bumped only on incompatible change.
    var schema: Int
    /// One record per device, sorted by port path.
    var boards: [BoardRecord]
}
