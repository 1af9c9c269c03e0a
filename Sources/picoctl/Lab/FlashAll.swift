import Dispatch
import Synchronization
import PicoFlash
import PicoUSB
import UF2

/// `picoctl flash FILE --all`: every board (BOOTSEL, or apps sent to BOOTSEL) flashed at once through
/// `FleetFlash` (one thread per board on one libusb session), live progress, then a result table.
struct FlashAll {
    /// How one board's flash ended.
    struct Outcome {
        var port: USBPortPath
        var identity: String
        /// The board's inventory name, if it has one.
        var name: String?
        var result: Result<FlashSummary, any Error>
        var seconds: Double
        /// What was done to the board's mode (rebooted and seen running, left in BOOTSEL), when it was flashed.
        var after: BoardAftermath? = nil

        /// `flashed`, `up to date` (nothing written) or `failed`.
        var word: String {
            switch result {
            case .success(let summary): summary.plan.bytesToWrite == 0 && summary.plan.kind == .flash ? "up to date" : "flashed"
            case .failure: "failed"
            }
        }

        /// `bench-3 (1-3.2)` or `1-3.2`: the board in messages.
        var board: String { name.map { "\($0) (\(port))" } ?? port.description }
    }

    /// What each board came back as, recorded by the worker threads.
    final class Aftermaths: @unchecked Sendable {
        private let lock = Mutex(())
        private var byPort: [USBPortPath: BoardAftermath] = [:]
        /// Records a board's, from any thread.
        func set(_ port: USBPortPath, _ after: BoardAftermath) { lock.withLock { _ in byPort[port] = after } }
        /// A board's, if recorded.
        subscript(port: USBPortPath) -> BoardAftermath? { lock.withLock { _ in byPort[port] } }
    }

    /// A count shared by worker threads.
    final class Counter: @unchecked Sendable {
        private let lock = Mutex(())
        private var count = 0
        /// Adds one, from any thread.
        func increment() { lock.withLock { _ in count += 1 } }
        /// The count so far.
        var value: Int { lock.withLock { _ in count } }
    }

    let input: FlashInput
    let options: FlashOptions
    let json: Bool
    /// The inventory file (nil: `$PICOCTL_INVENTORY` or the default).
    var inventory: String? = nil
    /// `--no-wait`: after the reboot, wait only until each board has left BOOTSEL.
    var noWait = false
    /// What each board came back as.
    let aftermaths = Aftermaths()

    /// Flashes every flashable board on the bus that the selector (or any board of a comma-separated
    /// `--serial` list) selects, concurrently; returns the outcomes in port order.
    func run(selector: BoardSelector) throws -> [Outcome] {
        let names = try Inventory.loadOrExit(explicit: inventory)
        let context = try USBContext()
        let selection = FleetSelection(selector, names: names)
        let boards = try context.picoDevices().filter { $0.isFlashable && selection.matches($0) }
            .sorted { $0.usb.portPath < $1.usb.portPath }
        guard !boards.isEmpty else {
            throw DeviceFailure.noBoard("no Pico board in BOOTSEL or running a pico-sdk program was found (see `picoctl list`)")
        }
        // The file is judged for every chip among the boards before any board is touched (exit 2).
        for chip in Set(boards.compactMap(\.chip)) { try input.check(chip) }
        let boardNames = boards.map { names.name(of: $0) }
        let labels = zip(boards, boardNames).map { board, name in name.map { "\($0) \(board.usb.portPath)" } ?? board.usb.portPath.description }
        // A live block per board on a terminal tall enough to redraw it; else a plain line per board as it ends.
        let live = !json && Terminal.stderrIsTTY && FleetProgress.fits(labels.count) ? FleetProgress(labels: labels) : nil
        let renderers = boards.map { ProgressRenderer(json: json, board: $0.usb.portPath.description) }
        let jobs = boards.map { board in
            FleetJob(label: board.usb.portPath.description) { onEvent in try flashOne(board, context: context, onEvent: onEvent) }
        }
        let fleet = FleetFlash.run(jobs, onEvent: { index, event in
            if json { renderers[index].handle(event) } else { live?.handle(index, event) }
        }, onFinish: { finished in
            let outcome = outcome(finished, boards[finished.index], name: boardNames[finished.index])
            live?.finish(finished.index, Self.line(outcome))
            report(outcome, live: live != nil)
        })
        live?.close()
        return fleet.map { outcome($0, boards[$0.index], name: boardNames[$0.index]) }
    }

    /// One board, on the shared libusb session: found again by port path, sent to BOOTSEL if it runs an app.
    func flashOne(_ board: PicoDevice, context: USBContext, onEvent: @escaping (FlashEvent) -> Void) throws -> FlashSummary {
        let options = BoardOptions.parseOrExit(["--port", board.usb.portPath.description])
        let session = try DeviceSession(options: options, context: context, announce: { _ in }, onEvent: onEvent, check: input.check)
        defer { session.close() }
        var flashOptions = self.options
        let (family, image) = FlashCommand.choose(input.firmware, for: session.chip)
        flashOptions.family = family
        let summary = try session.run { try $0.flash(image, options: flashOptions) }
        let after = summary.rebooted ? try session.awaitReturn(waitForReturn: !noWait, note: nil) : session.leftInBootsel
        if after.didNotBoot {
            throw DeviceFailure.notBooted("flashed, but \(after.sentence!); likely cause: \(input.likelyCause(for: session.chip))")
        }
        aftermaths.set(board.usb.portPath, after)
        return summary
    }

    /// The CLI's outcome for a fleet outcome.
    func outcome(_ fleet: FleetOutcome, _ board: PicoDevice, name: String?) -> Outcome {
        Outcome(port: board.usb.portPath, identity: board.identity.description, name: name, result: fleet.result,
                seconds: fleet.wallTime.secondsValue, after: aftermaths[board.usb.portPath])
    }

    /// A board's final line, worded as `flash` ends (`flashed 64 KiB in 0.52 s, 3/16 sectors unchanged;
    /// running "Pico" (E660…)`, `up to date: 16/16 sectors unchanged (0.10 s)`), or `failed: ...`.
    static func line(_ outcome: Outcome) -> String {
        switch outcome.result {
        case .failure(let error): "failed: \(message(error))"
        case .success(let summary): FlashClosingLine.text(summary, after: outcome.after)
        }
    }

    /// As each board finishes: a `board-result` JSON line, or (without a `live` block) a plain line on stderr.
    func report(_ outcome: Outcome, live: Bool) {
        if json {
            var fields: [String: JSONValue] = ["event": .string("board-result"), "board": .string(outcome.port.description),
                                               "identity": .string(outcome.identity), "result": .string(outcome.word),
                                               "seconds": .double(outcome.seconds), "name": outcome.name.map { .string($0) } ?? .null]
            if case .success(let summary) = outcome.result {
                fields["bytes_written"] = .int(Int(summary.plan.bytesToWrite))
                fields["sectors_skipped"] = .int(summary.plan.sectorsSkipped)
                fields["sectors"] = .int(summary.plan.sectors.count)
                fields["board_state"] = outcome.after?.json ?? .null
            }
            if case .failure(let error) = outcome.result { fields["error"] = .string(Self.message(error)) }
            Terminal.output(Terminal.jsonLine(JSONValue.object(fields)))
        } else if !live {
            Terminal.error("\(outcome.board): \(Self.line(outcome))")
        }
    }

    /// The result table: board, result, time, bytes written, sectors unchanged.
    static func table(_ outcomes: [Outcome]) -> String {
        let named = outcomes.contains { $0.name != nil }
        var rows = [(named ? ["NAME"] : []) + ["BOARD", "IDENTITY", "RESULT", "TIME", "WRITTEN", "UNCHANGED"]]
        for o in outcomes {
            var written = "-", unchanged = "-"
            if case .success(let summary) = o.result {
                written = "\(summary.plan.bytesToWrite)"
                unchanged = "\(summary.plan.sectorsSkipped)/\(summary.plan.sectors.count)"
            }
            rows.append((named ? [o.name ?? "-"] : [])
                        + [o.port.description, o.identity, o.word, String(cFormat: "%.2f s", o.seconds), written, unchanged])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in cell.padded(toLength: widths[i]) }
                .joined(separator: "  ").trimmingSpaces
        }.joined(separator: "\n")
    }

    /// The sentence for a failure.
    static func message(_ error: any Error) -> String {
        switch error {
        case let failure as DeviceFailure: failure.description
        case let usb as PicoUSBError: usb.description
        case let flash as FlashError: flash.description
        default: "\(error)"
        }
    }
}
