#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import PicoFlash

/// Live progress of a parallel flash on a terminal: one line per board on stderr, redrawn in place
/// (at most ten times a second) until every board has finished. Thread-safe.
final class FleetProgress: @unchecked Sendable {
    private let lock = Mutex(())
    private var labels: [String]
    private var states: [String]
    private var drawn = 0
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private let width: Int
    /// Each board's current phase: its name, when it began, and its first total.
    private var phases: [(phase: FlashPhase, start: ContinuousClock.Instant, total: UInt64)?]
    /// The terminal's width less one column, as for a single board's bar.
    private let columns = ProgressBar.columns - 1

    /// A block of lines for boards labelled `labels`, all `waiting`.
    init(labels: [String]) {
        self.labels = labels
        states = Array(repeating: "waiting", count: labels.count)
        phases = Array(repeating: nil, count: labels.count)
        width = labels.map(\.count).max() ?? 0
    }

    /// True when `count` lines fit on the terminal on stderr (with room for the prompt), so that the
    /// block can be redrawn in place; unknown sizes count as fitting.
    static func fits(_ count: Int) -> Bool {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return true }
        return count < Int(size.ws_row) - 1
    }

    /// Records an event for board `index` and redraws if it is time.
    func handle(_ index: Int, _ event: FlashEvent) {
        lock.withLock { _ in
            guard let text = state(index, event) else { return }
            set(index, text, force: false)
        }
    }

    /// Sets board `index`'s line to its result and redraws at once.
    func finish(_ index: Int, _ text: String) { lock.withLock { _ in set(index, text, force: true) } }

    /// What board `index` is doing now (lock held): in a phase, the bar a single-board flash draws
    /// (elapsed, rate, ETA; the phase's first total kept), fitted beside the label; else a word.
    private func state(_ index: Int, _ event: FlashEvent) -> String? {
        switch event {
        case .started: return "started"
        case .progress(let phase, let done, let total):
            let now = ContinuousClock.now
            let (_, start, first) = phases[index].flatMap { $0.phase == phase ? $0 : nil } ?? (phase, now, total)
            phases[index] = (phase, start, first)
            return ProgressBar.line(phase, done: min(done, first), total: first, elapsed: now - start, columns: columns - width - 2)
        case .planned(let plan): return plan.bytesToWrite == 0 && plan.kind == .flash ? "up to date, checking" : "planned"
        case .rebooting: return "rebooting"
        case .finished: return nil
        }
    }

    /// Sets a line (lock held); redraws the block when forced or 100 ms have passed since the last drawing.
    private func set(_ index: Int, _ text: String, force: Bool) {
        states[index] = text
        let now = ContinuousClock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        Terminal.errorPartial(render())
    }

    /// Draws the final state (call once all boards are done).
    func close() { lock.withLock { _ in Terminal.errorPartial(render()) } }

    /// Cursor up over the previous drawing, then every line cleared and rewritten.
    private func render() -> String {
        var text = Colour.cursorUp(drawn)
        for (label, state) in zip(labels, states) {
            text += Colour.clearLine + label.padded(toLength: width) + "  " + state + "\n"
        }
        drawn = labels.count
        return text
    }
}
