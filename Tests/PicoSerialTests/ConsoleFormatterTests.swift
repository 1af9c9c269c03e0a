import Testing
@testable import PicoSerial

@Suite struct ConsoleFormatterTests {
    func at(_ ms: Int64) -> Timestamp { Timestamp(wallNanoseconds: 1_795_968_605_000_000_000 + ms * 1_000_000, monotonicNanoseconds: ms * 1_000_000) }
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func defaultPassesBytesThroughUntouched() {
        var formatter = ConsoleFormatter(options: .init(), start: 0)
        let bytes: [UInt8] = [0x41, 0x0D, 0x0A, 0xFF, 0x1B, 0x5B, 0x33, 0x31, 0x6D]
        #expect(formatter.format(bytes, at: at(0)) == bytes)
        #expect(formatter.endOfStream() == [0x0A], "a stream cut mid-line ends with a newline")
        #expect(formatter.format(Array("ok\r\n".utf8), at: at(0)) == Array("ok\r\n".utf8))
        #expect(formatter.endOfStream().isEmpty)
    }

    @Test func timestampsPrefixEachLineAtItsFirstByte() {
        var formatter = ConsoleFormatter(options: .init(timestamps: .mono), start: 0)
        var out = formatter.format(Array("boot\r\nclo".utf8), at: at(5))
        out += formatter.format(Array("ck\r\n\r\nx".utf8), at: at(20))
        #expect(text(out) == "[+0.005000] boot\n[+0.005000] clock\n[+0.020000] \n[+0.020000] x")
        #expect(text(formatter.endOfStream()) == "\n")
        #expect(formatter.endOfStream().isEmpty)
    }

    @Test func crlfSplitAcrossChunksGivesOneLine() {
        var formatter = ConsoleFormatter(options: .init(label: "E661"), start: 0)
        var out = formatter.format(Array("a\r".utf8), at: at(0))
        out += formatter.format(Array("\nb\n".utf8), at: at(0))
        #expect(text(out) == "[E661] a\n[E661] b\n")
    }

    @Test func labelAndTimestampAndColour() {
        let style = SpanStyle(before: "<b>", after: "</b>")
        var formatter = ConsoleFormatter(options: .init(timestamps: .wall, label: "board-2", prefixStyle: style, utc: true), start: 0)
        #expect(text(formatter.format(Array("hi\n".utf8), at: at(42))) == "<b>[16:10:05.042] [board-2]</b> hi\n")
    }

    @Test func normalizingWithoutPrefixes() {
        var formatter = ConsoleFormatter(options: .init(normalizeLineEndings: true), start: 0)
        #expect(text(formatter.format(Array("a\r\nb\rc\n".utf8), at: at(0))) == "a\nb\nc\n")
    }

    @Test func hexDumpRowsCarryTheirOffset() {
        var formatter = ConsoleFormatter(options: .init(hex: true), start: 0)
        let first = text(formatter.format(Array("Hello, Pico!\r\n\u{0}\u{7F}xyz".utf8), at: at(0)))
        #expect(first == """
            00000000  48 65 6c 6c 6f 2c 20 50  69 63 6f 21 0d 0a 00 7f  |Hello, Pico!....|
            00000010  78 79 7a                                          |xyz|

            """)
        #expect(text(formatter.format([0x41], at: at(0))).hasPrefix("00000013  41 "))
    }
}

@Suite struct LineWatchTests {
    func line(_ text: String) -> Line { Line(bytes: Array(text.utf8), terminator: .lf) }

    @Test func expectMatchesAnywhereInTheLine() throws {
        var watch = LineWatch(options: try WatchOptions(expectPattern: "PASS|OK$", failOnPattern: nil, maxLines: nil))
        #expect(watch.observe(line("booting")) == .keepGoing)
        #expect(watch.observe(line("selftest OK")) == .expected("selftest OK"))
    }

    @Test func failOnWinsOverExpectOnTheSameLine() throws {
        var watch = LineWatch(options: try WatchOptions(expectPattern: "done", failOnPattern: "panic|FAIL", maxLines: nil))
        #expect(watch.observe(line("done with FAIL")) == .failed("done with FAIL"))
    }

    @Test func lineBudget() throws {
        var watch = LineWatch(options: try WatchOptions(expectPattern: nil, failOnPattern: nil, maxLines: 3))
        #expect([watch.observe(line("1")), watch.observe(line("2")), watch.observe(line("3"))]
                == [.keepGoing, .keepGoing, .lineLimitReached])
        #expect(watch.lineCount == 3)
    }

    @Test func badPatternIsRejected() {
        #expect(throws: (any Error).self) { try WatchOptions(expectPattern: "(unclosed", failOnPattern: nil, maxLines: nil) }
        #expect(!LineWatch(options: WatchOptions()).isActive)
    }
}
