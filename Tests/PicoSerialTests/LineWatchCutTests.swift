import Testing
@testable import PicoSerial

/// Patterns across the cuts the line assembler makes in over-long lines.
@Suite struct LineWatchCutTests {
    /// Pieces of one long line with `marker` straddling the first cut, as the assembler hands them out.
    func pieces(_ marker: String, cutAt length: Int = 64) -> [Line] {
        var assembler = LineAssembler(maxLength: length)
        let body = String(repeating: "x", count: length - 3) + marker + String(repeating: "y", count: 10) + "\n"
        return assembler.feed(Array(body.utf8))
    }

    @Test func expectAndFailOnMatchAcrossACut() throws {
        let cut = pieces("READY")
        #expect(cut.map(\.terminator) == [.split, .lf])
        #expect(!cut[0].text.contains("READY") && !cut[1].text.contains("READY"), "the marker is cut in two")
        var expect = LineWatch(options: try WatchOptions(expectPattern: "READY", failOnPattern: nil, maxLines: nil))
        #expect(expect.observe(cut[0]) == .keepGoing)
        #expect(expect.observe(cut[1]) == .expected(cut[1].text))
        var failOn = LineWatch(options: try WatchOptions(expectPattern: "never", failOnPattern: "REA.Y", maxLines: nil))
        #expect(failOn.observe(cut[0]) == .keepGoing)
        #expect(failOn.observe(cut[1]) == .failed(cut[1].text))
    }

    @Test func aCompleteLineIsNotJoinedToTheNext() throws {
        var watch = LineWatch(options: try WatchOptions(expectPattern: "ab", failOnPattern: nil, maxLines: nil))
        #expect(watch.observe(Line(bytes: Array("a".utf8), terminator: .lf)) == .keepGoing)
        #expect(watch.observe(Line(bytes: Array("b".utf8), terminator: .lf)) == .keepGoing)
    }

    @Test func aCharacterCutInTwoIsWholeAgain() throws {
        let cut = pieces("é€")   // multi-byte characters at the cut
        var watch = LineWatch(options: try WatchOptions(expectPattern: "é€", failOnPattern: nil, maxLines: nil))
        let verdicts = cut.map { watch.observe($0) }
        #expect(verdicts.last == .expected(cut.last!.text))
    }
}
