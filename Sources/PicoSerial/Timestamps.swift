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
        var seconds = time_t(wallNanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let millis = Int32((wallNanoseconds % 1_000_000_000) / 1_000_000)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(millis, 3))Z"
    }

    /// Monotonic nanoseconds now.
    public static func monotonicNow() -> Int64 { read(CLOCK_MONOTONIC) }

    private static func read(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// Which time a line prefix shows (`--timestamps=wall|mono|delta`).
public enum TimestampMode: String, Sendable, CaseIterable {
    /// Local wall-clock time of day with milliseconds: `16:10:00.123`.
    case wall
    /// Seconds since the follower started: `+12.345678`.
    case mono
    /// Seconds since the previous line: `+0.001234`.
    case delta
}

/// Formats line prefixes for one stream; remembers the start and the previous line for `mono` and `delta`.
public struct TimestampFormatter: Sendable {
    /// The mode in use.
    public let mode: TimestampMode
    /// Whether wall time is shown in UTC (tests, logs shared across zones) rather than local time.
    public let utc: Bool
    private let start: Int64
    private var previous: Int64?

    /// A formatter whose `mono` zero is `start` (monotonic nanoseconds).
    public init(mode: TimestampMode, start: Int64, utc: Bool = false) {
        self.mode = mode
        self.start = start
        self.utc = utc
    }

    /// The prefix for a line that began at `time`, without brackets or spaces.
    public mutating func format(_ time: Timestamp) -> String {
        defer { previous = time.monotonicNanoseconds }
        switch mode {
        case .wall:
            return Self.wallClock(time.wallNanoseconds, utc: utc)
        case .mono:
            return "+" + Self.seconds(time.monotonicNanoseconds - start)
        case .delta:
            return "+" + Self.seconds(time.monotonicNanoseconds - (previous ?? start))
        }
    }

    /// `s.uuuuuu` for a non-negative nanosecond interval (negative intervals clamp to zero).
    static func seconds(_ nanoseconds: Int64) -> String {
        let micros = max(0, nanoseconds) / 1000
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// `HH:MM:SS.mmm` for epoch nanoseconds.
    static func wallClock(_ nanoseconds: Int64, utc: Bool) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        let millis = Int((nanoseconds % 1_000_000_000) / 1_000_000)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)"
    }
}
