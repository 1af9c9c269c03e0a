import Testing
@testable import UF2

/// `AddressAnnotator` on a symbolizer of known functions: which hex numbers are annotated, and that
/// a stream cut into chunks anywhere (down to single bytes) gives what the whole text gives, with
/// every chunk's bytes out at once.
@Suite struct AddressAnnotatorTests {
    static let symbolizer = AddressSymbolizer(
        symbols: ELFSymbols(functions: [.init(address: 0x1000_0140, size: 0x20, name: "helper"),
                                        .init(address: 0x1000_0100, size: 0x40, name: "main")]),
        lines: DWARFLineTable())

    static func annotated(_ text: String) -> String {
        String(decoding: symbolizer.annotate(Array(text.utf8)).text, as: UTF8.self)
    }

    /// The text fed to a fresh annotator in `pieces`, outputs and the end-of-stream annotation joined.
    static func streamed(_ pieces: [[UInt8]]) -> (text: String, outputs: [[UInt8]]) {
        var annotator = AddressAnnotator()
        let outputs = pieces.map { annotator.annotate($0, with: symbolizer) }
        let last = annotator.finish(with: symbolizer)
        return (String(decoding: outputs.joined() + last, as: UTF8.self), outputs)
    }

    static let text = "HardFault pc=0x10000104 lr=0X10000141\r\nsample 0x0800 data 0x20000000\r\n"
        + "words: x0x10000104 0x10000104a 0x010000104 0x10000104_ 0x 0x1000010g\n"
        + "0x10000100 at the start, at the end 0x1000015e"

    @Test func codeAddressesAreAnnotatedAndTheTextKept() {
        let lines = Self.annotated(Self.text).utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        #expect(lines[0] == "HardFault pc=0x10000104 <main+0x4> lr=0X10000141 <helper>\r")
        #expect(lines[1] == "sample 0x0800 data 0x20000000\r", "outside the code")
        #expect(lines[2] == "words: x0x10000104 0x10000104a 0x010000104 0x10000104_ 0x 0x1000010g", "not a whole word of 1 to 8 digits")
        #expect(lines[3] == "0x10000100 <main> at the start, at the end 0x1000015e <helper+0x1e>")
    }

    @Test func theDecodedAddressesComeInOrder() {
        let (_, symbols) = Self.symbolizer.annotate(Array("pc=0x10000104 lr=0x10000141".utf8))
        #expect(symbols.map(\.function) == ["main", "helper"])
        #expect(symbols.map(\.offset) == [4, 0])
        #expect(symbols.map(\.address) == [0x1000_0104, 0x1000_0141])
    }

    @Test func aTextWithoutCodeAddressesComesBackAsItIs() {
        var annotator = AddressAnnotator()
        let line = Array("[ 12345.678] adc: channel 3 sample 0x0800 temp=27.5C vbus=5.02V ok!!\r\n".utf8)
        #expect(annotator.annotate(line, with: Self.symbolizer) == line)
        #expect(annotator.finish(with: Self.symbolizer).isEmpty)
    }

    @Test func everyCutGivesTheWholeTextsResult() {
        let bytes = Array(Self.text.utf8)
        let whole = Self.annotated(Self.text)
        for cut in 0...bytes.count {
            #expect(Self.streamed([Array(bytes[..<cut]), Array(bytes[cut...])]).text == whole, "cut at \(cut)")
        }
        for cuts in [(3, 17), (14, 15), (15, 16), (20, 70), (40, 41)] {
            let pieces = [Array(bytes[..<cuts.0]), Array(bytes[cuts.0..<cuts.1]), Array(bytes[cuts.1...])]
            #expect(Self.streamed(pieces).text == whole, "cuts at \(cuts)")
        }
        #expect(Self.streamed(bytes.map { [$0] }).text == whole, "byte by byte")
    }

    @Test func nothingIsHeldBack() {
        // Each chunk's own bytes come out with it: a prompt shows before its line ends.
        let (_, outputs) = Self.streamed([Array("boot\r\nprompt> ".utf8), Array("pc=0x1000".utf8), Array("0104\r\n".utf8)])
        #expect(outputs.map { String(decoding: $0, as: UTF8.self) } == ["boot\r\nprompt> ", "pc=0x1000", "0104 <main+0x4>\r\n"])
    }

    @Test func anAddressThatEndsTheStreamIsAnnotatedByFinish() {
        var annotator = AddressAnnotator()
        #expect(annotator.annotate(Array("last 0x10000141".utf8), with: Self.symbolizer) == Array("last 0x10000141".utf8))
        #expect(annotator.finish(with: Self.symbolizer) == Array(" <helper>".utf8))
        // A new stream: what ended the last one does not join the next.
        #expect(annotator.annotate(Array("04 x".utf8), with: Self.symbolizer) == Array("04 x".utf8))
    }

    @Test func aSymbolizerWithoutFunctionsAnnotatesNothing() {
        let empty = AddressSymbolizer(symbols: ELFSymbols(functions: []), lines: DWARFLineTable())
        #expect(empty.annotate(Array("pc=0x10000104 0x0".utf8)).symbols.isEmpty)
    }

    @Test func theAnnotationNamesFunctionOffsetFileAndLine() {
        #expect(SymbolizedAddress(address: 0x1000_0235, function: "main", offset: 0x1c, file: "/src/app/main.c", line: 42).description
                == "main+0x1c at main.c:42")
        #expect(SymbolizedAddress(address: 0x1000_0100, function: "main", offset: 0, file: "main.c", line: 7).description == "main at main.c:7")
        #expect(SymbolizedAddress(address: 0x1000_0100, function: "f", offset: 0xabc, file: nil, line: nil).description == "f+0xabc")
        #expect(SymbolizedAddress(address: 0x1000_0100, function: "f", offset: 1, file: "x.c", line: nil).description == "f+0x1", "a file without a line is not shown")
    }
}
