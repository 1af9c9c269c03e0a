/// How a board's bytes are shown: raw, line-prefixed (timestamps, board name) or as a hex dump.
public struct ConsoleFormatOptions: Sendable, Equatable {
    /// Prefix each line with this time (nil: no timestamps).
    public var timestamps: TimestampMode?
    /// Show bytes as a hex dump (offset, hex, printable characters) instead of text.
    public var hex: Bool
    /// Prefix each line with this label (the board's name under `monitor --all`).
    public var label: String?
    /// Turn CR, LF and CR LF into LF (always done when lines are prefixed).
    public var normalizeLineEndings: Bool
    /// What surrounds each line's prefix (the caller's terminal styling); nil for plain text.
    public var prefixStyle: SpanStyle?
    /// Show wall-clock timestamps in UTC.
    public var utc: Bool
    /// Make escapes and controls visible (`TerminalSanitizer`); nil passes every byte (`--raw`).
    public var safety: TerminalSafety?

    /// Options from their parts; the defaults pass bytes through untouched.
    public init(timestamps: TimestampMode? = nil, hex: Bool = false, label: String? = nil,
                normalizeLineEndings: Bool = false, prefixStyle: SpanStyle? = nil, utc: Bool = false,
                safety: TerminalSafety? = nil) {
        self.timestamps = timestamps
        self.hex = hex
        self.label = label
        self.normalizeLineEndings = normalizeLineEndings
        self.prefixStyle = prefixStyle
        self.utc = utc
        self.safety = safety
    }

    /// True when every line starts with a prefix.
    public var prefixesLines: Bool { timestamps != nil || label != nil }
}

/// Text put before and after a styled span. The library marks spans; the caller decides whether and how
/// they are styled (a terminal's escape sequences, or nothing).
public struct SpanStyle: Sendable, Equatable {
    /// Written before the span.
    public var before: String
    /// Written after the span.
    public var after: String

    /// A style from its two parts.
    public init(before: String, after: String) {
        self.before = before
        self.after = after
    }
}

/// Turns the bytes of one stream into what the console shows, chunk by chunk, keeping partial lines
/// visible at once (a prompt appears before its line ends). Pure: the caller writes the result.
///
/// ```swift
/// var formatter = ConsoleFormatter(options: .init(timestamps: .mono), start: Timestamp.monotonicNow())
/// let shown = formatter.format(Array("boot\r\n".utf8), at: .now())   // "[+0.000012] boot\n"
/// ```
public struct ConsoleFormatter: Sendable {
    /// The options in use.
    public let options: ConsoleFormatOptions
    private var timestamps: TimestampFormatter?
    private var sanitizer: TerminalSanitizer?
    private var atLineStart = true
    private var afterCR = false
    private var hexOffset = 0

    /// A formatter whose `mono` zero is `start` (monotonic nanoseconds).
    public init(options: ConsoleFormatOptions, start: Int64) {
        self.options = options
        self.timestamps = options.timestamps.map { TimestampFormatter(mode: $0, start: start, utc: options.utc) }
        self.sanitizer = options.hex ? nil : options.safety.map(TerminalSanitizer.init)
    }

    /// The console bytes for `bytes` read at `time`.
    public mutating func format(_ bytes: [UInt8], at time: Timestamp) -> [UInt8] {
        if options.hex { return hexDump(bytes, at: time) }
        var bytes = bytes
        if sanitizer != nil { bytes = sanitizer!.sanitize(bytes) }
        guard options.prefixesLines || options.normalizeLineEndings else {
            if let last = bytes.last { atLineStart = last == 0x0A || last == 0x0D }
            return bytes
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        bytes.withUnsafeBufferPointer { input in
            var index = 0
            while index < input.count {
                let byte = input[index]
                let isEnd = byte == 0x0A || byte == 0x0D
                let wasAfterCR = afterCR
                afterCR = byte == 0x0D
                if byte == 0x0A && wasAfterCR { index += 1; continue }   // the LF of CR LF: the CR already ended the line
                if atLineStart && options.prefixesLines { appendPrefix(at: time, to: &out) }
                if isEnd {
                    out.append(0x0A)
                    atLineStart = true
                    index += 1
                    continue
                }
                // The rest of the line, copied at once.
                let start = index
                while index < input.count && input[index] != 0x0A && input[index] != 0x0D { index += 1 }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<index]))
                atLineStart = false
            }
        }
        return out
    }

    /// What ends the display of a stream that stopped mid-line: a newline, or nothing at a line start.
    public mutating func endOfStream() -> [UInt8] {
        var held = sanitizer?.flush() ?? []
        if !held.isEmpty { held = format(held, at: .now()) }   // already safe: passes the sanitizer unchanged
        afterCR = false
        guard !atLineStart else { return held }
        atLineStart = true
        return held + [0x0A]
    }

    private mutating func appendPrefix(at time: Timestamp, to out: inout [UInt8]) {
        if let style = options.prefixStyle { out.append(contentsOf: style.before.utf8) }
        if timestamps != nil {
            out.append(UInt8(ascii: "["))
            timestamps!.append(time, to: &out)
            out.append(UInt8(ascii: "]"))
        }
        if let label = options.label {
            if timestamps != nil { out.append(0x20) }
            out.append(UInt8(ascii: "["))
            out.append(contentsOf: label.utf8)
            out.append(UInt8(ascii: "]"))
        }
        if let style = options.prefixStyle { out.append(contentsOf: style.after.utf8) }
        out.append(0x20)
    }

    private mutating func hexDump(_ bytes: [UInt8], at time: Timestamp) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let row = bytes[index..<min(index + 16, bytes.count)]
            if options.prefixesLines { appendPrefix(at: time, to: &out) }
            var text = hex(hexOffset, width: 8) + "  "
            for (i, byte) in row.enumerated() {
                text += hex(Int(byte), width: 2) + (i == 7 ? "  " : " ")
            }
            text += String(repeating: "   ", count: 16 - row.count) + (row.count <= 8 ? " " : "")
            text += " |" + String(row.map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "." }) + "|\n"
            out += Array(text.utf8)
            hexOffset += row.count
            index += row.count
        }
        atLineStart = true
        return out
    }

    private func hex(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
