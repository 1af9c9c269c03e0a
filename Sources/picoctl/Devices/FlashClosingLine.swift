import FoundationEssentials
import PicoFlash

/// The short line a flash ends with; the phase times, strategy and USB figures go under `-v`.
///
///     flashed 23 KiB in 0.66 s, 0/6 sectors unchanged; running "hello_usb" (E660…)
///     up to date: 6/6 sectors unchanged (0.12 s); running "hello_usb" (E660…)
///
/// `flash` ends with it and `flash --all` gives each board the same line.
enum FlashClosingLine {
    static func text(_ summary: FlashSummary, after: BoardAftermath?) -> String {
        let plan = summary.plan
        let sectors = "\(plan.sectorsSkipped)/\(plan.sectors.count) sectors unchanged"
        let seconds = ProgressBar.time(summary.wallTime.secondsValue)
        var text = plan.bytesToWrite == 0 && plan.kind == .flash
            ? "up to date: \(sectors) (\(seconds))"
            : "\(plan.kind == .ram ? "loaded" : "flashed") \(size(summary.imageBytes)) in \(seconds)" + (plan.kind == .flash ? ", \(sectors)" : "")
        if let board = after?.shortSentence { text += "; \(board)" }
        return text
    }

    /// `512 bytes`, `9.8 KiB`, `23 KiB`, `1.5 MiB`.
    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        let kib = Double(bytes) / 1024
        if kib < 10 { return String(cFormat: "%.1f KiB", kib) }
        if kib < 1024 { return "\(Int(kib.rounded())) KiB" }
        return String(cFormat: "%.1f MiB", kib / 1024)
    }
}

extension BoardAftermath {
    /// The board after a flash in a few words: `running "hello_usb" (E660…)`, else the sentence.
    var shortSentence: String? {
        if case .rebooted(.running(let device)) = action {
            let serial = device.usb.serialNumber.map { " (\($0.count > 4 ? $0.prefix(4) + "…" : $0))" } ?? ""
            return "running \"\(device.usb.product ?? "a program")\"" + serial
        }
        return sentence
    }
}
