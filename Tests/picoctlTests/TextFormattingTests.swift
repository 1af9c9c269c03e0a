import Testing
@testable import picoctl

/// The CLI's text helpers give what Foundation's `String(format:)`, `padding` and `trimmingCharacters` gave.
@Suite struct TextFormattingTests {
    @Test func numbersAreFormattedAsByPrintf() {
        #expect(String(cFormat: "%.1f KiB", 9.75) == "9.8 KiB")
        #expect(String(cFormat: "%.2f s", 0.125) == "0.12 s")
        #expect(String(cFormat: "%04X", UInt32(0xE9)) == "00E9")
        #expect(String(cFormat: "%04d-%02d-%02d", Int32(2023), Int32(11), Int32(4)) == "2023-11-04")
        let long = String(cFormat: "%0200d", Int32(7))
        #expect(long.count == 200 && long.hasSuffix("07"))
    }

    @Test func cellsArePaddedOrCutToTheirWidth() {
        #expect("write".padded(toLength: 7) == "write  ")
        #expect("verify-all".padded(toLength: 7) == "verify-")
        #expect("".padded(toLength: 2) == "  ")
    }

    @Test func onlyHorizontalSpaceIsTrimmed() {
        #expect("  a  b \t".trimmingSpaces == "a  b")
        #expect("\na\n".trimmingSpaces == "\na\n")
        #expect(" ".trimmingSpaces == "")
        #expect("x, y".split(separator: ",").map { $0.trimmingSpaces } == ["x", "y"])
    }
}
