import Testing
@testable import PicoSerial

@Suite struct TimestampModeTests {
    /// 2026-11-29 16:10:05.042123 UTC.
    static let nanos: Int64 = 1_795_968_605_042_123_456

    @Test func isoHasDateTimeAndOffset() {
        var utc = TimestampFormatter(mode: .iso, start: 0, utc: true)
        #expect(utc.format(Timestamp(wallNanoseconds: Self.nanos, monotonicNanoseconds: 0)) == "2026-11-29T16:10:05.042Z")
        var local = TimestampFormatter(mode: .iso, start: 0)
        let text = local.format(Timestamp(wallNanoseconds: Self.nanos, monotonicNanoseconds: 0))
        #expect(text.count == "2026-11-29T16:10:05.042+00:00".count)
        #expect(text.dropFirst(23).first == "+" || text.dropFirst(23).first == "-", "a numeric UTC offset: \(text)")
    }

    @Test func offsetText() {
        #expect(TimestampFormatter.offsetText(seconds: 3600, utc: false) == Array("+01:00".utf8))
        #expect(TimestampFormatter.offsetText(seconds: -(9 * 3600 + 30 * 60), utc: false) == Array("-09:30".utf8))
        #expect(TimestampFormatter.offsetText(seconds: 0, utc: false) == Array("+00:00".utf8))
    }

    @Test func epochHasMicroseconds() {
        var formatter = TimestampFormatter(mode: .epoch, start: 0)
        #expect(formatter.format(Timestamp(wallNanoseconds: Self.nanos, monotonicNanoseconds: 0)) == "1795968605.042123")
        #expect(formatter.format(Timestamp(wallNanoseconds: 5_000, monotonicNanoseconds: 0)) == "0.000005")
    }

    @Test func theCachedSecondFollowsTheClock() {
        var formatter = TimestampFormatter(mode: .wall, start: 0, utc: true)
        var times: [String] = []
        for offset: Int64 in [0, 500_000_000, 957_000_000, 958_000_000, 60_958_000_000, 500_000_000] {
            times.append(formatter.format(Timestamp(wallNanoseconds: Self.nanos + offset, monotonicNanoseconds: 0)))
        }
        #expect(times == ["16:10:05.042", "16:10:05.542", "16:10:05.999", "16:10:06.000", "16:11:06.000", "16:10:05.542"])
    }

    @Test func everyModeHasItsWord() {
        #expect(TimestampMode.allCases.map(\.rawValue) == ["wall", "iso", "epoch", "mono", "delta"])
    }
}
