import PicoSerial
import UF2

/// `monitor --json`: one JSON object per line on stdout, sorted keys (schema in the README).
///
/// - `{"event":"connected"|"reconnected","board":…,"tty":…,"port":…,"dtr":"asserted"|"unsupported"|"untouched"|"lowered","latency_ms":…}`
/// - `{"event":"line","board":…,"time":"2026-11-29T16:10:05.042Z","mono":12.345678,"text":…,"utf8":true}`
///   (`"hex"` holds the raw bytes when they are not valid UTF-8; `"symbols"` the code addresses decoded with `--elf`:
///   `[{"address":"0x10000234","function":"main","offset":28,"file":"main.c","line":42}]`)
/// - `{"event":"disconnected","board":…,"tty":…,"reason":…}`
/// - `{"event":"end","status":0,"reason":…}`: expected, failed, lines, timeout, disconnected, ambiguous, error,
///   exit key, stdout closed or stopped
enum MonitorJSON {
    /// The object for a connection event.
    static func connection(_ device: SerialDevice, dtr: DTRState, latency: Int64?, again: Bool) -> JSONValue {
        .object(["event": .string(again ? "reconnected" : "connected"), "board": .string(device.name),
                 "tty": .string(device.devnode), "port": device.portPath.map(JSONValue.string) ?? .null,
                 "dtr": .string(dtrName(dtr)), "latency_ms": latency.map { .double(Double($0 / 1000) / 1000) } ?? .null])
    }

    /// The object for a line that began at `time`; `start` is the run's monotonic zero.
    static func line(_ line: Line, at time: Timestamp, start: Int64, board: String?, symbols: [SymbolizedAddress] = []) -> JSONValue {
        var fields: [String: JSONValue] = [
            "event": .string("line"), "board": board.map(JSONValue.string) ?? .null, "text": .string(line.text),
            "time": .string(time.iso8601), "mono": .double(Double((time.monotonicNanoseconds - start) / 1000) / 1e6),
            "utf8": .bool(line.isValidUTF8),
        ]
        if !line.isValidUTF8 { fields["hex"] = .string(line.bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()) }
        if !symbols.isEmpty {
            fields["symbols"] = .array(symbols.map { symbol in
                .object(["address": .string("0x" + String(symbol.address, radix: 16)), "function": .string(symbol.function),
                         "offset": .int(Int(symbol.offset)), "file": symbol.file.map(JSONValue.string) ?? .null,
                         "line": symbol.line.map { .int($0) } ?? .null])
            })
        }
        return .object(fields)
    }

    /// The object for a disconnection.
    static func disconnected(_ device: SerialDevice, reason: String) -> JSONValue {
        .object(["event": .string("disconnected"), "board": .string(device.name), "tty": .string(device.devnode),
                 "reason": .string(reason)])
    }

    /// The last object of a run.
    static func end(_ status: ExitStatus, reason: String) -> JSONValue {
        .object(["event": .string("end"), "status": .int(Int(status.rawValue)), "reason": .string(reason)])
    }

    /// One encoded line, newline included.
    static func bytes(_ value: JSONValue) -> [UInt8] { Array((Terminal.jsonLine(value) + "\n").utf8) }

    private static func dtrName(_ dtr: DTRState) -> String {
        switch dtr {
        case .asserted: "asserted"
        case .unsupported: "unsupported"
        case .untouched: "untouched"
        case .lowered: "lowered"
        }
    }
}
