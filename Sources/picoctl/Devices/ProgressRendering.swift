#if canImport(Glibc)
import Glibc
#endif
import PicoBoot
import PicoFlash

/// A JSON value for event lines: enough to encode objects and arrays of strings, numbers, booleans and null.
enum JSONValue: Encodable, Equatable {
    case string(String), int(Int), double(Double), bool(Bool), null
    case object([String: JSONValue])
    case array([JSONValue])

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .null: try c.encodeNil()
        case .object(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        }
    }
}

/// Draws a device command's progress: bars on stderr when it is a terminal, JSON lines on stdout
/// with `--json`, nothing otherwise (the summary is printed by the command).
final class ProgressRenderer {
    /// Output mode.
    enum Mode { case bars, json, quiet }

    let mode: Mode
    /// The board's name for JSON lines.
    let board: String
    private var openPhase: FlashPhase?
    /// When the open phase's bar was first drawn, and its total then (kept for the whole phase).
    private var phaseStart = ContinuousClock.now
    private var phaseTotal: UInt64 = 0
    private var lastDraw: ContinuousClock.Instant?
    private var lastPercent = -1

    /// Bars when stderr is a terminal, JSON with `json`, else quiet.
    init(json: Bool, board: String = "") {
        mode = json ? .json : (Terminal.stderrIsTTY ? .bars : .quiet)
        self.board = board
    }

    /// One JSON line on stdout (`--json`), with the event name and the board.
    func emit(_ event: String, _ fields: [String: JSONValue] = [:]) {
        guard mode == .json else { return }
        var object = fields
        object["event"] = .string(event)
        if !board.isEmpty { object["board"] = .string(board) }
        Terminal.output(Terminal.jsonLine(JSONValue.object(object)))
    }

    /// Renders one library event.
    func handle(_ event: FlashEvent) {
        switch event {
        case .started(let chip):
            emit("started", ["chip": .string(chip.name)])
        case .progress(let phase, let done, let total):
            progress(phase, done: done, total: total)
        case .planned(let plan):
            endBar()
            emit("planned", Self.planFields(plan))
        case .rebooting:
            endBar()
            emit("rebooting")
        case .finished(let summary):
            endBar()
            emit("finished", Self.summaryFields(summary))
        }
    }

    /// A progress update: a redrawn bar, or a JSON line.
    func progress(_ phase: FlashPhase, done: UInt64, total: UInt64) {
        switch mode {
        case .quiet: return
        case .json:
            emit("progress", ["phase": .string(phase.rawValue), "done": .int(Int(done)), "total": .int(Int(total))])
        case .bars:
            let now = ContinuousClock.now
            if openPhase != phase {
                endBar()
                (openPhase, phaseStart, phaseTotal, lastPercent, lastDraw) = (phase, now, total, -1, nil)
            }
            // The total first shown stays for the phase; the time, rate and ETA are redrawn at most 5 times a second.
            let shown = min(done, phaseTotal)
            let percent = phaseTotal == 0 ? 100 : Int(shown * 100 / phaseTotal)
            guard percent != lastPercent || lastDraw.map({ now - $0 >= .milliseconds(200) }) ?? true else { return }
            (lastPercent, lastDraw) = (percent, now)
            Terminal.errorPartial(Colour.clearLine + ProgressBar.line(phase, done: shown, total: phaseTotal, elapsed: now - phaseStart,
                                                                      columns: ProgressBar.columns - 1))
        }
    }

    /// Ends the current bar's line.
    func endBar() {
        if mode == .bars, openPhase != nil { Terminal.errorPartial("\n") }
        openPhase = nil
    }

    static func planFields(_ plan: FlashPlan) -> [String: JSONValue] {
        ["kind": .string(plan.kind.rawValue), "sectors": .int(plan.sectors.count), "sectors_to_erase": .int(plan.sectorsToErase.count),
         "sectors_skipped": .int(plan.sectorsSkipped), "pages_to_write": .int(plan.pageCount),
         "bytes_to_write": .int(Int(plan.bytesToWrite)), "bytes_to_verify": .int(Int(plan.bytesToVerify)),
         "usb_bytes_estimate": .int(Int(plan.estimate().bytes)), "board_seconds_estimate": .double(plan.estimate().total.secondsValue),
         "strategy": .string(plan.erase == .helperBlocks ? "ram-helper" : "picoboot"),
         "helper": plan.helperNote.map(JSONValue.string) ?? .null,
         "flash_size": plan.flashSize.map { .int(Int($0.bytes)) } ?? .null,
         "flash_size_source": plan.flashSize.map { .string($0.source.name) } ?? .null]
    }

    static func summaryFields(_ summary: FlashSummary) -> [String: JSONValue] {
        ["bytes": .int(summary.imageBytes), "seconds": .double(summary.wallTime.secondsValue),
         "sectors": .int(summary.plan.sectors.count), "sectors_skipped": .int(summary.plan.sectorsSkipped),
         "bytes_written": .int(Int(summary.plan.bytesToWrite)), "usb_bytes": .int(Int(summary.wire.totalBytes)),
         "commands": .int(summary.wire.commands), "rebooted": .bool(summary.rebooted),
         "usb_bytes_to_host": .int(Int(summary.wire.bytesToHost)), "sectors_erased": .int(summary.plan.sectorsToErase.count),
         "strategy": .string(summary.plan.erase == .helperBlocks ? "ram-helper" : "picoboot"),
         "helper": summary.plan.helperNote.map(JSONValue.string) ?? .null,
         "placement": summary.placement.map(PartitionRendering.json) ?? .null,
         "phase_seconds": .object(Dictionary(uniqueKeysWithValues: summary.phaseTimes.map { ($0.key.rawValue, JSONValue.double($0.value.secondsValue)) }))]
    }
}

extension Terminal {
    /// Writes text to stderr without a newline (progress bars).
    static func errorPartial(_ text: String) {
        var copy = text
        copy.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
    }
}
