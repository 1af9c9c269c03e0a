import PicoFlash
import Testing
@testable import picoctl

@Suite struct ProgressBarTests {
    @Test func aBarShowsElapsedTimeRateAndETA() {
        let line = ProgressBar.line(.write, done: 128 * 1024, total: 256 * 1024, elapsed: .seconds(2), columns: 100)
        #expect(line.hasPrefix("write   [") && line.contains("]  50%  128/256 KiB  2.00 s  64 KiB/s  ETA 2.00 s"), "\(line)")
        #expect(line.count <= 100)
    }

    @Test(arguments: [120, 80, 64, 50, 40])
    func aBarFitsTheTerminal(columns: Int) {
        let line = ProgressBar.line(.verify, done: 100_000, total: 300_000, elapsed: .milliseconds(1500), columns: columns)
        #expect(line.count <= max(columns, 50), "\(columns): \(line)")
        #expect(line.contains("[##") && line.contains("33%"))
        if columns >= 80 { #expect(line.contains("ETA")) }
    }

    @Test func aBarNeverPassesItsTotal() {
        let line = ProgressBar.line(.check, done: 9000, total: 8192, elapsed: .seconds(1), columns: 80)
        #expect(line.contains("100%  8/8 KiB"), "\(line)")
    }

    @Test func sizesAndTimesInWordsPeopleRead() {
        #expect(FlashClosingLine.size(512) == "512 bytes")
        #expect(FlashClosingLine.size(10_035) == "9.8 KiB")
        #expect(FlashClosingLine.size(23 * 1024 + 100) == "23 KiB")
        #expect(ProgressBar.time(0.661) == "0.66 s" && ProgressBar.time(42) == "42 s" && ProgressBar.time(125) == "2 min 5 s")
    }
}
