#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A moment seen two ways: wall-clock time (for people) and monotonic time (for intervals).
public struct Timestamp: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch (`CLOCK_REALTIME`).
    public var wallNanoseconds: Int64
    /// Nanoseconds on `CLOCK_MONOTONIC`, which never jumps.
    public var monotonicNanoseconds: Int64

    /// A timestamp from both readings.
    public init(wallNanoseconds: Int64, monotonicNanoseconds: Int64) {
        self.wallNanoseconds = wallNanoseconds
        self.monotonicNanoseconds = monotonicNanoseconds
    }

    /// Now, read from both clocks.
    public static func now() -> Timestamp {
        Timestamp(wallNanoseconds: read(CLOCK_REALTIME), monotonicNanoseconds: read(CLOCK_MONOTONIC))
    }

    /// The wall-clock time as ISO 8601 in UTC with milliseconds: `2026-11-29T16:10:05.042Z`.
    public var iso8601: String {
        var formatter = TimestampFormatter(mode: .iso, start: 0, utc: true)
        return formatter.format(self)
    }

    /// Monotonic nanoseconds now.
    public static func monotonicNow() -> Int64 { read(CLOCK_MONOTONIC) }

    private static func read(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// Which time a line prefix shows (`--timestamps=wall|iso|epoch|mono|delta`).
public enum TimestampMode: String, Sendable, CaseIterable {
    /// Local wall-clock time of day with milliseconds: `16:10:00.123`.
    case wall
    /// Local date and time with milliseconds and the UTC offset (ISO 8601): `2026-11-29T17:10:00.123+01:00`.
    case iso
    /// Seconds since the Unix epoch with microseconds: `1795968600.123456`.
    case epoch
    /// Seconds since the follower started: `+12.345678`.
    case mono
    /// Seconds since the previous line: `+0.001234`.
    case delta
}

/// Formats line prefixes for one stream; remembers the start and the previous line for `mono` and `delta`.
/// The calendar part of `wall` and `iso` is computed once per second, so a prefix costs a few byte stores.
public struct TimestampFormatter: Sendable {
    /// The mode in use.
    public let mode: TimestampMode
    /// Whether wall time is shown in UTC (tests, logs shared across zones) rather than local time.
    public let utc: Bool
    private let start: Int64
    private var previous: Int64?
    /// The second `calendar` was computed for, and its text up to the fraction (`16:10:05.` for `wall`).
    private var cachedSecond = Int64.min
    private var calendar: [UInt8] = []
    /// The UTC offset of `cachedSecond` for `iso` (`+01:00`, or `Z` in UTC).
    private var offset: [UInt8] = []

    /// A formatter whose `mono` zero is `start` (monotonic nanoseconds).
    public init(mode: TimestampMode, start: Int64, utc: Bool = false) {
        self.mode = mode
        self.start = start
        self.utc = utc
    }

    /// The prefix for a line that began at `time`, without brackets or spaces.
    public mutating func format(_ time: Timestamp) -> String {
        var out: [UInt8] = []
        append(time, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the prefix for a line that began at `time` to `out` (no brackets or spaces).
    public mutating func append(_ time: Timestamp, to out: inout [UInt8]) {
        defer { previous = time.monotonicNanoseconds }
        switch mode {
        case .wall, .iso:
            let nanoseconds = max(0, time.wallNanoseconds)
            let second = nanoseconds / 1_000_000_000
            if second != cachedSecond { cacheCalendar(second) }
            out.append(contentsOf: calendar)
            Self.appendDigits(Int((nanoseconds % 1_000_000_000) / 1_000_000), width: 3, to: &out)
            if mode == .iso { out.append(contentsOf: offset) }
        case .epoch:
            Self.appendSeconds(time.wallNanoseconds, to: &out)
        case .mono:
            out.append(UInt8(ascii: "+"))
            Self.appendSeconds(time.monotonicNanoseconds - start, to: &out)
        case .delta:
            out.append(UInt8(ascii: "+"))
            Self.appendSeconds(time.monotonicNanoseconds - (previous ?? start), to: &out)
        }
    }

    private mutating func cacheCalendar(_ second: Int64) {
        var seconds = time_t(second)
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        var text: [UInt8] = []
        if mode == .iso {
            Self.appendDigits(Int(parts.tm_year) + 1900, width: 4, to: &text)
            text.append(UInt8(ascii: "-"))
            Self.appendDigits(Int(parts.tm_mon) + 1, width: 2, to: &text)
            text.append(UInt8(ascii: "-"))
            Self.appendDigits(Int(parts.tm_mday), width: 2, to: &text)
            text.append(UInt8(ascii: "T"))
        }
        for (index, value) in [parts.tm_hour, parts.tm_min, parts.tm_sec].enumerated() {
            Self.appendDigits(Int(value), width: 2, to: &text)
            text.append(UInt8(ascii: index == 2 ? "." : ":"))
        }
        calendar = text
        offset = Self.offsetText(seconds: utc ? 0 : Int(parts.tm_gmtoff), utc: utc)
        cachedSecond = second
    }

    /// `Z` in UTC, else `+HH:MM` / `-HH:MM`.
    static func offsetText(seconds: Int, utc: Bool) -> [UInt8] {
        if utc { return [UInt8(ascii: "Z")] }
        var text: [UInt8] = [UInt8(ascii: seconds < 0 ? "-" : "+")]
        let minutes = abs(seconds) / 60
        appendDigits(minutes / 60, width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        appendDigits(minutes % 60, width: 2, to: &text)
        return text
    }

    /// Appends `s.uuuuuu` for a nanosecond count (negative counts clamp to zero).
    static func appendSeconds(_ nanoseconds: Int64, to out: inout [UInt8]) {
        let micros = Int(max(0, nanoseconds) / 1000)
        appendDigits(micros / 1_000_000, width: 1, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(micros % 1_000_000, width: 6, to: &out)
    }

    /// Appends `value` (non-negative) in decimal, zero-padded to at least `width` digits.
    static func appendDigits(_ value: Int, width: Int, to out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = max(0, value)
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
                count += 1
            } while rest > 0 || count < width
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }
}
