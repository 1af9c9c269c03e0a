import Dispatch
import Foundation
import PicoFlash
import PicoUSB
import UF2

/// `picoctl flash FILE --all`: every board (BOOTSEL, or apps sent to BOOTSEL) flashed at once, one
/// thread per board on one libusb session, then a result table. Exit 1 when any board failed.
struct FlashAll {
    /// How one board's flash ended.
    struct Outcome {
        var port: USBPortPath
        var identity: String
        var result: Result<FlashSummary, any Error>
        var seconds: Double

        /// `flashed`, `up to date` (nothing written) or `failed`.
        var word: String {
            switch result {
            case .success(let summary): summary.plan.bytesToWrite == 0 && summary.plan.kind == .flash ? "up to date" : "flashed"
            case .failure: "failed"
            }
        }
    }

    /// Outcomes gathered from the worker threads.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Outcome] = []
        /// Adds one, from any thread.
        func append(_ outcome: Outcome) { lock.withLock { items.append(outcome) } }
        /// Everything so far.
        var outcomes: [Outcome] { lock.withLock { items } }
    }

    /// A count shared by worker threads.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        /// Adds one, from any thread.
        func increment() { lock.withLock { count += 1 } }
        /// The count so far.
        var value: Int { lock.withLock { count } }
    }

    let firmware: FirmwareFile
    let options: FlashOptions
    let json: Bool

    /// Flashes every flashable board on the bus concurrently; returns the outcomes in port order.
    func run(selector: BoardSelector) throws -> [Outcome] {
        let context = try USBContext()
        let boards = try context.picoDevices().filter { $0.isFlashable && selector.matches($0) }
        guard !boards.isEmpty else {
            throw DeviceFailure.noBoard("no Pico board in BOOTSEL or running a pico-sdk program was found (see `picoctl list`)")
        }
        let collected = Collected()
        let group = DispatchGroup()
        for board in boards {
            // One thread per board: the work is blocking USB I/O, so the core count is no limit.
            group.enter()
            let worker = Thread { [self] in
                defer { group.leave() }
                let outcome = flashOne(board, context: context)
                collected.append(outcome)
                report(outcome)
            }
            worker.start()
        }
        group.wait()
        return collected.outcomes.sorted { $0.port < $1.port }
    }

    /// One board, on the shared libusb session: found again by port path, sent to BOOTSEL if it runs an app.
    func flashOne(_ board: PicoDevice, context: USBContext) -> Outcome {
        let start = ContinuousClock.now
        let port = board.usb.portPath
        let renderer = ProgressRenderer(json: json, board: port.description)
        let result: Result<FlashSummary, any Error> = Result {
            let options = BoardOptions.parseOrExit(["--port", port.description])
            let session = try DeviceSession(options: options, context: context, announce: { _ in }, onEvent: { event in
                if json { renderer.handle(event) }
            })
            defer { session.close() }
            var flashOptions = self.options
            let (family, image) = FlashCommand.choose(firmware, for: session.chip)
            flashOptions.family = family
            return try session.run { try $0.flash(image, options: flashOptions) }
        }
        return Outcome(port: port, identity: board.identity.description, result: result,
                       seconds: (ContinuousClock.now - start).secondsValue)
    }

    /// A line per board as it finishes (text), or a `board-result` JSON line.
    func report(_ outcome: Outcome) {
        if json {
            var fields: [String: JSONValue] = ["event": .string("board-result"), "board": .string(outcome.port.description),
                                               "identity": .string(outcome.identity), "result": .string(outcome.word),
                                               "seconds": .double(outcome.seconds)]
            if case .failure(let error) = outcome.result { fields["error"] = .string(Self.message(error)) }
            Terminal.output(Terminal.jsonLine(JSONValue.object(fields)))
        } else if case .failure(let error) = outcome.result {
            Terminal.error("\(outcome.port): failed: \(Self.message(error))")
        } else if Terminal.stderrIsTTY {
            Terminal.error("\(outcome.port): \(outcome.word) in \(String(format: "%.2f", outcome.seconds)) s")
        }
    }

    /// The result table: board, result, time, bytes written, sectors skipped.
    static func table(_ outcomes: [Outcome]) -> String {
        var rows = [["BOARD", "IDENTITY", "RESULT", "TIME", "WRITTEN", "SKIPPED"]]
        for o in outcomes {
            var written = "-", skipped = "-"
            if case .success(let summary) = o.result {
                written = "\(summary.plan.bytesToWrite)"
                skipped = "\(summary.plan.sectorsSkipped)/\(summary.plan.sectors.count)"
            }
            rows.append([o.port.description, o.identity, o.word, String(format: "%.2f s", o.seconds), written, skipped])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
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
