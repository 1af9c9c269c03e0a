#if canImport(Glibc)
import Glibc
#endif
import PicoFlash

/// One progress bar line: phase, bar, percent, amount, elapsed time, rate and ETA, fitted to the
/// terminal's width (the bar shrinks first, then ETA and rate are left out).
///
///     write   [##########----------]  50%  128/256 KiB  1.2 s  105 KiB/s  ETA 1.2 s
enum ProgressBar {
    /// The line for `done` of `total` bytes after `elapsed`, at most `columns` characters wide.
    static func line(_ phase: FlashPhase, done: UInt64, total: UInt64, elapsed: Duration, columns: Int) -> String {
        let done = min(done, total)
        let percent = total == 0 ? 100 : Int(done * 100 / total)
        let name = phase.rawValue.padded(toLength: 7)
        let seconds = elapsed.secondsValue
        let amount = "\(String(percent).leftPadded(3, " "))%  \((done + 1023) / 1024)/\((total + 1023) / 1024) KiB  \(time(seconds))"
        var tail: [String] = []
        if seconds >= 0.2 && done > 0 {
            let rate = Double(done) / seconds
            tail.append("\(Int((rate / 1024).rounded())) KiB/s")
            if done < total { tail.append("ETA \(time(Double(total - done) / rate))") }
        }
        // Drop the ETA, then the rate, until the bar has room for at least 10 cells.
        while true {
            let text = ([amount] + tail).joined(separator: "  ")
            let width = columns - name.count - 4 - text.count
            if width >= 10 || tail.isEmpty {
                let cells = min(max(width, 10), 40)
                let filled = total == 0 ? cells : Int(done * UInt64(cells) / total)
                return "\(name) [" + String(repeating: "#", count: filled) + String(repeating: "-", count: cells - filled) + "] " + text
            }
            tail.removeLast()
        }
    }

    /// `0.66 s`, `12 s`, `2 min 5 s`.
    static func time(_ seconds: Double) -> String {
        if seconds < 10 { return String(cFormat: "%.2f s", seconds) }
        if seconds < 60 { return "\(Int(seconds.rounded())) s" }
        let whole = Int(seconds.rounded())
        return "\(whole / 60) min \(whole % 60) s"
    }

    /// The width of the terminal on stderr (TIOCGWINSZ), else `COLUMNS`, else 80.
    static var columns: Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(getenv("COLUMNS").map { String(cString: $0) } ?? "") ?? 80
    }
}
