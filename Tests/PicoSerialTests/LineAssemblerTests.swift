import Testing
@testable import PicoSerial

@Suite struct LineAssemblerTests {
    /// Feeds `input` one byte at a time and returns the lines plus the flushed remainder.
    func byteByByte(_ input: [UInt8], maxLength: Int = 64) -> [Line] {
        var assembler = LineAssembler(maxLength: maxLength)
        var lines: [Line] = []
        for byte in input { if let line = assembler.feed(byte) { lines.append(line) } }
        if let rest = assembler.flush() { lines.append(rest) }
        return lines
    }

    func texts(_ lines: [Line]) -> [String] { lines.map(\.text) }

    @Test func lfCrAndCrlfAllEndALine() {
        let lines = byteByByte(Array("one\ntwo\r\nthree\rfour\n".utf8))
        #expect(texts(lines) == ["one", "two", "three", "four"])
        #expect(lines.map(\.terminator) == [.lf, .cr, .cr, .lf])
    }

    @Test func emptyLinesAreKept() {
        #expect(texts(byteByByte(Array("a\n\nb\r\n\r\nc\n".utf8))) == ["a", "", "b", "", "c"])
    }

    @Test func crEndsTheLineAtOnceWithoutWaitingForLF() {
        var assembler = LineAssembler()
        #expect(assembler.feed(Array("prompt>".utf8)).isEmpty)
        #expect(assembler.feed(0x0D) == Line(bytes: Array("prompt>".utf8), terminator: .cr))
        #expect(assembler.feed(0x0A) == nil, "the LF of CR LF starts no empty line")
        #expect(assembler.atLineStart)
    }

    @Test func partialLineStaysPendingUntilFlush() {
        var assembler = LineAssembler()
        #expect(assembler.feed(Array("hello wor".utf8)).isEmpty)
        #expect(assembler.partial == Array("hello wor".utf8))
        #expect(assembler.feed(Array("ld\npart".utf8)).map(\.text) == ["hello world"])
        #expect(assembler.flush() == Line(bytes: Array("part".utf8), terminator: .flushed))
        #expect(assembler.flush() == nil)
    }

    @Test func longLinesAreSplitAtTheLimit() {
        let input = Array(repeating: UInt8(ascii: "x"), count: 25) + [0x0A]
        let lines = byteByByte(input, maxLength: 10)
        #expect(lines.map(\.bytes.count) == [10, 10, 5])
        #expect(lines.map(\.terminator) == [.split, .split, .lf])
    }

    @Test func invalidUTF8IsKeptAsBytes() {
        let input: [UInt8] = [0x6F, 0x6B, 0xFF, 0xC3, 0x28, 0xE2, 0x82, 0xAC, 0x0A]
        let lines = byteByByte(input)
        #expect(lines.count == 1)
        #expect(lines[0].bytes == Array(input.dropLast()))
        #expect(!lines[0].isValidUTF8)
        #expect(lines[0].text == "ok\u{FFFD}\u{FFFD}(€")
    }

    @Test func everyChunkingGivesTheSameLines() {
        let input = Array("boot 1\r\nclock 125 MHz\nbad\u{00e9}\rtail\r\n\nend".utf8)
        let expected = byteByByte(input)
        for cut in 1..<input.count {
            for second in cut..<input.count {
                var assembler = LineAssembler(maxLength: 64)
                var lines = assembler.feed(input[0..<cut])
                lines += assembler.feed(input[cut..<second])
                lines += assembler.feed(input[second...])
                if let rest = assembler.flush() { lines.append(rest) }
                #expect(lines == expected, "cut at \(cut), \(second)")
            }
        }
    }
}

@Suite struct TimestampTests {
    @Test func monoCountsFromStart() {
        var formatter = TimestampFormatter(mode: .mono, start: 1_000_000_000)
        #expect(formatter.format(Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 1_000_000_000)) == "+0.000000")
        #expect(formatter.format(Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 13_345_678_901)) == "+12.345678")
    }

    @Test func deltaCountsFromThePreviousLine() {
        var formatter = TimestampFormatter(mode: .delta, start: 0)
        #expect(formatter.format(Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 2_000_000_000)) == "+2.000000")
        #expect(formatter.format(Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 2_001_234_000)) == "+0.001234")
        #expect(formatter.format(Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 2_001_000_000)) == "+0.000000")
    }

    @Test func wallShowsTimeOfDayWithMilliseconds() {
        var formatter = TimestampFormatter(mode: .wall, start: 0, utc: true)
        // 2026-11-29 16:10:05.042 UTC
        let nanos: Int64 = 1_795_968_605_042_000_000
        #expect(formatter.format(Timestamp(wallNanoseconds: nanos, monotonicNanoseconds: 0)) == "16:10:05.042")
    }

    @Test func iso8601IsUTCWithMilliseconds() {
        #expect(Timestamp(wallNanoseconds: 1_795_968_605_042_000_000, monotonicNanoseconds: 0).iso8601 == "2026-11-29T16:10:05.042Z")
        #expect(Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 0).iso8601 == "1970-01-01T00:00:00.000Z")
    }

    @Test func nowReadsBothClocks() {
        let a = Timestamp.now(), b = Timestamp.now()
        #expect(b.monotonicNanoseconds >= a.monotonicNanoseconds)
        #expect(a.wallNanoseconds > 1_700_000_000_000_000_000)
    }
}
