/// What a `TerminalSanitizer` does with colour and style sequences (SGR, `ESC [ … m`).
public enum TerminalSafety: Sendable, Equatable {
    /// SGR passes (colours on the terminal); every other escape is shown escaped.
    case terminal
    /// SGR is dropped and every other escape shown escaped: text for a file, no escape byte left.
    case plain
}

/// Makes a board's untrusted bytes safe to show: text, tab, CR, LF, backspace and (in `.terminal`)
/// SGR colour sequences pass; every other control is made visible instead of being interpreted.
///
/// - ESC starting anything but SGR (OSC title or clipboard writes, DCS, cursor and screen control)
///   shows as `^[` followed by the rest of the sequence as plain text: `ESC ]52;c;…BEL` → `^[]52;c;…^G`.
/// - Other C0 controls and DEL show in caret notation (`^@` for NUL, `^G` for BEL, `^?` for DEL).
/// - C1 controls (U+0080–U+009F, encoded `C2 80`–`C2 9F`) show as their 7-bit form: U+009B → `^[[`.
/// - Bytes that are not valid UTF-8 show as `\xNN`.
///
/// Chunking does not change the result: a sequence or character cut between two chunks is held
/// (at most 64 bytes) until the next chunk or `flush()`.
///
/// ```swift
/// var sanitizer = TerminalSanitizer(.terminal)
/// sanitizer.sanitize(Array("\u{1B}]0;pwned\u{07}\u{1B}[31mred".utf8))   // "^[]0;pwned^G\u{1B}[31mred"
/// ```
public struct TerminalSanitizer: Sendable {
    /// What happens to SGR sequences.
    public let safety: TerminalSafety
    private var state = State.ground
    /// Bytes of an unfinished sequence or character.
    private var held: [UInt8] = []
    /// UTF-8 continuation bytes still expected, and the range the next one must fall in.
    private var needed = 0
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    private enum State { case ground, escape, csi, utf8 }

    /// Longest CSI sequence held while deciding whether it is SGR.
    static let maxSequence = 64

    /// A sanitizer with nothing held.
    public init(_ safety: TerminalSafety) {
        self.safety = safety
        held.reserveCapacity(Self.maxSequence)
    }

    /// True for a byte that passes unchanged on its own: printable ASCII, tab, CR, LF, backspace.
    @inline(__always)
    static func isPassing(_ byte: UInt8) -> Bool {
        byte &- 0x20 < 0x5F || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x08
    }

    /// The safe form of `bytes`; returns `bytes` itself (no copy) when it is all plain text.
    public mutating func sanitize(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { input in
            if state == .ground && Self.cleanPrefix(input) == input.count { return bytes }
            var out: [UInt8] = []
            out.reserveCapacity(input.count + 16)
            sanitize(input, into: &out)
            return out
        }
    }

    /// `text` with no escape sequence left (colours dropped, the rest shown as `^[…`), for one status line.
    public static func visible(_ text: String) -> String {
        var sanitizer = TerminalSanitizer(.plain)
        return String(decoding: sanitizer.sanitize(Array(text.utf8)) + sanitizer.flush(), as: UTF8.self)
    }

    /// Appends the safe form of `input` to `out`.
    public mutating func sanitize(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var index = 0
        let count = input.count
        while index < count {
            if state == .ground {
                // The common case: a run of plain text copied at once.
                let start = index
                index = Self.passingRun(input, from: index)
                if index > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<index])) }
                if index == count { return }
            }
            step(input[index], into: &out)
            index += 1
        }
    }

    /// Emits what is held (escaped, as an unfinished sequence) and starts afresh; for the end of a stream.
    public mutating func flush() -> [UInt8] {
        var out: [UInt8] = []
        releaseHeld(into: &out)
        return out
    }

    /// The number of leading bytes that pass unchanged.
    private static func cleanPrefix(_ input: UnsafeBufferPointer<UInt8>) -> Int { passingRun(input, from: 0) }

    /// The index of the first byte from `start` on that does not pass on its own (or the end).
    /// Eight bytes at a time while they are all printable ASCII: the hot path of the follow loop.
    static func passingRun(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        if let base = input.baseAddress {
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while index + 8 <= input.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let below20 = (word &- ones &* 0x20) & ~word & highs   // some byte < 0x20
                let above7E = ((word &+ ones) | word) & highs          // some byte >= 0x7F
                if below20 | above7E != 0 {
                    // A control among them: fine if it is only CR, LF, tab or backspace.
                    for offset in 0..<8 where !isPassing(base[index + offset]) { return index + offset }
                }
                index += 8
            }
        }
        while index < input.count && isPassing(input[index]) { index += 1 }
        return index
    }

    private mutating func step(_ byte: UInt8, into out: inout [UInt8]) {
        switch state {
        case .ground:
            ground(byte, into: &out)
        case .escape:
            if byte == UInt8(ascii: "[") {
                held.append(byte)
                state = .csi
            } else {
                releaseHeld(into: &out)
                ground(byte, into: &out)
            }
        case .csi:
            if byte &- 0x20 < 0x20 && held.count < Self.maxSequence {   // parameter or intermediate byte
                held.append(byte)
            } else if byte &- 0x40 < 0x3F {                              // final byte
                if byte == UInt8(ascii: "m") && isSGR {
                    if safety == .terminal { out.append(contentsOf: held); out.append(byte) }
                    held.removeAll(keepingCapacity: true)
                    state = .ground
                } else {
                    held.append(byte)
                    releaseHeld(into: &out)
                }
            } else {
                releaseHeld(into: &out)
                ground(byte, into: &out)
            }
        case .utf8:
            if byte >= low && byte <= high {
                held.append(byte)
                needed -= 1
                low = 0x80
                high = 0xBF
                if needed == 0 {
                    if held.count == 2 && held[0] == 0xC2 && held[1] <= 0x9F {
                        out.append(contentsOf: [0x5E, 0x5B, held[1] - 0x40])   // C1 → ^[ and its 7-bit letter
                    } else {
                        out.append(contentsOf: held)
                    }
                    held.removeAll(keepingCapacity: true)
                    state = .ground
                }
            } else {
                releaseHeld(into: &out)
                ground(byte, into: &out)
            }
        }
    }

    private mutating func ground(_ byte: UInt8, into out: inout [UInt8]) {
        switch byte {
        case _ where Self.isPassing(byte):
            out.append(byte)
        case 0x1B:
            held.append(byte)
            state = .escape
        case 0x00...0x1F, 0x7F:
            out.append(0x5E)           // ^
            out.append(byte ^ 0x40)    // @ for NUL, ? for DEL
        case 0xC2...0xDF:
            beginCharacter(byte, needed: 1)
        case 0xE0...0xEF:
            beginCharacter(byte, needed: 2)
            if byte == 0xE0 { low = 0xA0 } else if byte == 0xED { high = 0x9F }   // no overlongs, no surrogates
        case 0xF0...0xF4:
            beginCharacter(byte, needed: 3)
            if byte == 0xF0 { low = 0x90 } else if byte == 0xF4 { high = 0x8F }   // no overlongs, nothing past U+10FFFF
        default:
            Self.appendHex(byte, to: &out)
        }
    }

    private mutating func beginCharacter(_ lead: UInt8, needed: Int) {
        held.append(lead)
        self.needed = needed
        low = 0x80
        high = 0xBF
        state = .utf8
    }

    /// Whether the held CSI (`ESC [` then parameters) is SGR: only digits, `;` and `:`.
    private var isSGR: Bool {
        held.dropFirst(2).allSatisfy { $0 &- 0x30 < 10 || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ":") }
    }

    /// Shows what is held as what it was not allowed to be: an escape as `^[`, a broken character as `\xNN`.
    private mutating func releaseHeld(into out: inout [UInt8]) {
        switch state {
        case .ground:
            break
        case .escape, .csi:
            out.append(0x5E)
            out.append(0x5B)
            for byte in held.dropFirst() {
                if Self.isPassing(byte) { out.append(byte) } else { out.append(0x5E); out.append(byte ^ 0x40) }
            }
        case .utf8:
            for byte in held { Self.appendHex(byte, to: &out) }
        }
        held.removeAll(keepingCapacity: true)
        needed = 0
        state = .ground
    }

    private static func appendHex(_ byte: UInt8, to out: inout [UInt8]) {
        func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
        out.append(0x5C)   // \
        out.append(0x78)   // x
        out.append(digit(byte >> 4))
        out.append(digit(byte & 0x0F))
    }
}
