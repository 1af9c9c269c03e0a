import PicoSerial

/// The line a `--log` file starts with when a session first connects: the date with its UTC offset
/// (so the `wall` times below it can be placed), the board and its tty; and the line that says where
/// the `t` key changed the kind of timestamps.
///
///     # picoctl monitor 2026-12-06T23:22:26.123+01:00 board E6605481DB484600 tty /dev/ttyACM0 port 1-2
///     # picoctl monitor 2026-12-06T23:25:02.511+01:00 timestamps mono from here
enum LogHeader {
    /// The header for a session that connected to `device` (shown as `board`) at `time`.
    static func line(board: String, device: SerialDevice, at time: Timestamp) -> [UInt8] {
        var formatter = TimestampFormatter(mode: .iso, start: 0)
        var text = "# picoctl monitor \(formatter.format(time)) board \(board) tty \(device.devnode)"
        if let port = device.portPath { text += " port \(port)" }
        return Array((text + "\n").utf8)
    }

    /// The line before the first line logged with timestamps of kind `mode` (nil: none) at `time`.
    static func timestampsChange(to mode: TimestampMode?, at time: Timestamp) -> [UInt8] {
        var formatter = TimestampFormatter(mode: .iso, start: 0)
        let kind = mode.map { "timestamps \($0.rawValue)" } ?? "no timestamps"
        return Array("# picoctl monitor \(formatter.format(time)) \(kind) from here\n".utf8)
    }
}
