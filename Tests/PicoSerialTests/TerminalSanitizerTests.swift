import Testing
@testable import PicoSerial

@Suite struct TerminalSanitizerTests {
    func shown(_ input: [UInt8], _ safety: TerminalSafety = .terminal) -> String {
        var sanitizer = TerminalSanitizer(safety)
        return String(decoding: sanitizer.sanitize(input) + sanitizer.flush(), as: UTF8.self)
    }

    func shown(_ input: String, _ safety: TerminalSafety = .terminal) -> String { shown(Array(input.utf8), safety) }

    /// The same input fed one byte at a time gives the same output as in one chunk.
    func byteByByte(_ input: [UInt8], _ safety: TerminalSafety = .terminal) -> String {
        var sanitizer = TerminalSanitizer(safety)
        var out: [UInt8] = []
        for byte in input { out += sanitizer.sanitize([byte]) }
        return String(decoding: out + sanitizer.flush(), as: UTF8.self)
    }

    static let hostile: [(String, [UInt8], String)] = [
        ("OSC 52 clipboard write", Array("\u{1B}]52;c;cm0gLXJmIH4=\u{07}".utf8), "^[]52;c;cm0gLXJmIH4=^G"),
        ("window title, ST-terminated", Array("\u{1B}]0;pwned\u{1B}\\".utf8), "^[]0;pwned^[\\"),
        ("DCS", Array("\u{1B}P1$qm\u{1B}\\".utf8), "^[P1$qm^[\\"),
        ("cursor home and clear screen", Array("\u{1B}[H\u{1B}[2J".utf8), "^[[H^[[2J"),
        ("cursor up", Array("\u{1B}[10A".utf8), "^[[10A"),
        ("private mode (alternate screen)", Array("\u{1B}[?1049h".utf8), "^[[?1049h"),
        ("reset", Array("\u{1B}c".utf8), "^[c"),
        ("NUL and BEL", [0x61, 0x00, 0x62, 0x07], "a^@b^G"),
        ("DEL", [0x7F], "^?"),
        ("C1 CSI as UTF-8", [0xC2, 0x9B, 0x32, 0x4A], "^[[2J"),
        ("C1 OSC as UTF-8", [0xC2, 0x9D, 0x30, 0x3B, 0x78, 0x07], "^[]0;x^G"),
        ("bare C1 byte", [0x9B, 0x32, 0x4A], "\\x9b2J"),
        ("invalid lead byte", [0x41, 0xFF, 0x42], "A\\xffB"),
        ("truncated character", [0xE2, 0x82, 0x41], "\\xe2\\x82A"),
        ("overlong NUL", [0xC0, 0x80], "\\xc0\\x80"),
        ("surrogate", [0xED, 0xA0, 0x80], "\\xed\\xa0\\x80"),
        ("past U+10FFFF", [0xF4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80"),
        ("escape at the end of the stream", [0x61, 0x1B], "a^["),
        ("CSI cut by a newline", Array("\u{1B}[3\nx".utf8), "^[[3\nx"),
        ("over-long CSI", Array(("\u{1B}[" + String(repeating: "1;", count: 40) + "m").utf8),
         "^[[" + String(repeating: "1;", count: 31) + "1" + ";" + String(repeating: "1;", count: 8) + "m"),
    ]

    @Test(arguments: hostile)
    func hostileSequencesAreShownNotInterpreted(_ example: (String, [UInt8], String)) {
        let (name, input, expected) = example
        #expect(shown(input) == expected, "\(name)")
        #expect(byteByByte(input) == expected, "\(name), byte by byte")
        #expect(!shown(input).utf8.contains(0x1B), "\(name): no escape byte left")
        #expect(!shown(input, .plain).utf8.contains(0x1B), "\(name): no escape byte left in plain")
    }

    @Test func wordAtATimeScanStopsAtEveryByteThatDoesNotPass() {
        for value in 0...255 {
            let byte = UInt8(value)
            for position in 0..<20 {
                var bytes = [UInt8](repeating: 0x61, count: 20)
                bytes[3] = 0x0A                      // a line end in the first word passes
                bytes[position] = byte
                let expected = TerminalSanitizer.isPassing(byte) ? 20 : position
                let found = bytes.withUnsafeBufferPointer { TerminalSanitizer.passingRun($0, from: 0) }
                #expect(found == expected, "byte \(value) at \(position)")
            }
        }
    }

    @Test func textAndColourPass() {
        let input = "boot \u{1B}[1;31mERROR\u{1B}[0m: 25 °C, ✓ 🙂\r\n\ttab\u{08}"
        #expect(shown(input) == input)
        #expect(byteByByte(Array(input.utf8)) == input)
        var sanitizer = TerminalSanitizer(.terminal)
        let plain = Array("plain text\r\n".utf8)
        #expect(sanitizer.sanitize(plain) == plain)
    }

    @Test func sgrWithColonsAnd256Colours() {
        let input = "\u{1B}[38;5;196mred\u{1B}[38:2:0:255:0mgreen\u{1B}[m"
        #expect(shown(input) == input)
    }

    @Test func plainDropsColour() {
        #expect(shown("\u{1B}[1;31mERROR\u{1B}[0m done", .plain) == "ERROR done")
        #expect(shown("\u{1B}[2Jx", .plain) == "^[[2Jx")
    }

    @Test func sequenceCutBetweenChunksIsHeldThenDecided() {
        var sanitizer = TerminalSanitizer(.terminal)
        #expect(sanitizer.sanitize(Array("a\u{1B}[3".utf8)) == Array("a".utf8))
        #expect(sanitizer.sanitize(Array("1mb".utf8)) == Array("\u{1B}[31mb".utf8))
        #expect(sanitizer.sanitize([0xE2, 0x82]).isEmpty)
        #expect(sanitizer.sanitize([0xAC]) == [0xE2, 0x82, 0xAC])
        #expect(sanitizer.flush().isEmpty)
    }

    @Test func formatterSanitizesBeforePrefixing() {
        var formatter = ConsoleFormatter(options: .init(timestamps: .mono, safety: .terminal), start: 0)
        let at = Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 0)
        let out = formatter.format(Array("\u{1B}]0;t\u{07}x\r\n\u{1B}[2".utf8), at: at)
        #expect(String(decoding: out, as: UTF8.self) == "[+0.000000] ^[]0;t^Gx\n", "an unfinished sequence is held")
        let tail = String(decoding: formatter.endOfStream(), as: UTF8.self)
        #expect(tail.hasPrefix("[+") && tail.hasSuffix("] ^[[2\n"), "shown escaped at the end, on its own prefixed line: \(tail)")
    }

    @Test func hexDumpIsNotSanitized() {
        var formatter = ConsoleFormatter(options: .init(hex: true, safety: .terminal), start: 0)
        let out = formatter.format([0x1B, 0x5B], at: Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 0))
        #expect(String(decoding: out, as: UTF8.self).hasPrefix("00000000  1b 5b"))
    }
}
