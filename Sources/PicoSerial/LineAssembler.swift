/// How a line ended on the wire.
public enum LineTerminator: Sendable, Equatable {
    /// A line feed (`\n`), or CR LF: the LF after a CR belongs to the line the CR ended.
    case lf
    /// A carriage return (`\r`). An LF right after it is dropped rather than starting an empty line.
    case cr
    /// No terminator: the line reached the length limit and was cut.
    case split
    /// No terminator: the stream ended (disconnect or `flush()`) with a partial line.
    case flushed
}

/// One line of a board's output: its bytes exactly as received (invalid UTF-8 included), without the terminator.
public struct Line: Sendable, Equatable {
    /// The line's bytes, terminator excluded.
    public var bytes: [UInt8]
    /// What ended the line.
    public var terminator: LineTerminator

    /// A line from its bytes and terminator.
    public init(bytes: [UInt8], terminator: LineTerminator) {
        self.bytes = bytes
        self.terminator = terminator
    }

    /// The line as text; invalid UTF-8 sequences become U+FFFD (the bytes themselves are kept in `bytes`).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// True when `bytes` is valid UTF-8.
    public var isValidUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }
}

/// Assembles lines from a byte stream fed in any chunking, down to one byte at a time.
///
/// CR, LF and CR LF all end a line; a CR ends it at once (a prompt ending in CR shows without
/// waiting for the next byte) and a following LF is absorbed. Lines longer than `maxLength` are
/// cut into pieces marked `.split`.
///
/// ```swift
/// var assembler = LineAssembler()
/// let lines = assembler.feed(Array("boot\r\nok\n".utf8))   // ["boot", "ok"]
/// ```
public struct LineAssembler: Sendable {
    /// Longest line kept whole; longer ones are cut.
    public let maxLength: Int
    private var pending: [UInt8] = []
    private var afterCR = false

    /// An assembler cutting lines at `maxLength` bytes (at least 1).
    public init(maxLength: Int = 16 * 1024) {
        precondition(maxLength > 0, "maxLength must be positive")
        self.maxLength = maxLength
        pending.reserveCapacity(min(maxLength, 256))
    }

    /// The bytes of the line in progress.
    public var partial: [UInt8] { pending }

    /// True when the next byte starts a new line (nothing pending and no CR waiting for its LF).
    public var atLineStart: Bool { pending.isEmpty }

    /// Feeds one byte; returns the line it completes, if any.
    public mutating func feed(_ byte: UInt8) -> Line? {
        if afterCR {
            afterCR = false
            if byte == 0x0A { return nil }
        }
        switch byte {
        case 0x0A:
            return take(.lf)
        case 0x0D:
            afterCR = true
            return take(.cr)
        default:
            pending.append(byte)
            return pending.count >= maxLength ? take(.split) : nil
        }
    }

    /// Feeds a chunk; returns every line it completes, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Line] {
        var lines: [Line] = []
        for byte in bytes {
            if let line = feed(byte) { lines.append(line) }
        }
        return lines
    }

    /// Feeds a chunk; returns every line it completes, in order. Same result as byte by byte, with the
    /// text between line ends copied a run at a time.
    public mutating func feed(_ bytes: [UInt8]) -> [Line] {
        var lines: [Line] = []
        bytes.withUnsafeBufferPointer { input in
            var index = 0
            while index < input.count {
                let byte = input[index]
                if byte == 0x0A || byte == 0x0D || afterCR {
                    if let line = feed(byte) { lines.append(line) }
                    index += 1
                    continue
                }
                let start = index
                let limit = min(input.count, index + maxLength - pending.count)
                while index < limit && input[index] != 0x0A && input[index] != 0x0D { index += 1 }
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<index]))
                if pending.count >= maxLength { lines.append(take(.split)) }
            }
        }
        return lines
    }

    /// Ends the stream: returns the partial line, if any, and forgets a pending CR.
    public mutating func flush() -> Line? {
        afterCR = false
        return pending.isEmpty ? nil : take(.flushed)
    }

    private mutating func take(_ terminator: LineTerminator) -> Line {
        let line = Line(bytes: pending, terminator: terminator)
        pending.removeAll(keepingCapacity: true)
        return line
    }
}
