/// Code addresses in a line of text, decoded: function, offset, and source file and line when the ELF has them.
public struct SymbolizedAddress: Sendable, Equatable {
    /// The address as it appeared in the text.
    public var address: UInt32
    /// The function holding it.
    public var function: String
    /// Bytes from the function's start (the Thumb bit ignored).
    public var offset: UInt32
    /// Source file (as recorded in the line table), when known.
    public var file: String?
    /// Source line, when known.
    public var line: Int?

    /// `main+0x1c at main.c:42`: what is shown between `<` and `>`.
    public var description: String {
        var bytes: [UInt8] = []
        appendDescription(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `description`'s UTF-8 to `out` (no string is built: an annotated line costs little more than a copy).
    func appendDescription(to out: inout [UInt8]) {
        out.append(contentsOf: function.utf8)
        if offset != 0 {
            out.append(contentsOf: "+0x".utf8)
            Self.appendDigits(UInt(offset), radix: 16, to: &out)
        }
        if let file, let line {
            out.append(contentsOf: " at ".utf8)
            let utf8 = file.utf8
            let name = utf8.lastIndex(of: 0x2F).map { utf8.index(after: $0) } ?? utf8.startIndex
            if name == utf8.endIndex { out.append(contentsOf: utf8) } else { out.append(contentsOf: utf8[name...]) }
            out.append(0x3A)
            Self.appendDigits(UInt(max(line, 0)), radix: 10, to: &out)
        }
    }

    private static func appendDigits(_ value: UInt, radix: UInt, to out: inout [UInt8]) {
        var divisor: UInt = 1
        while value / divisor >= radix { divisor *= radix }
        while divisor > 0 {
            let digit = UInt8(value / divisor % radix)
            out.append(digit < 10 ? 0x30 + digit : 0x57 + digit)
            divisor /= radix
        }
    }
}

/// Annotates the code addresses in log lines from an ELF's symbols and DWARF line table: each
/// `0x` followed by up to 8 hex digits that falls inside a function gets ` <main+0x1c at main.c:42>`
/// after it. The text the board sent is kept; text without a code address is returned as it is.
/// `AddressAnnotator` does the same for a stream read in chunks.
///
/// ```swift
/// let symbolizer = try AddressSymbolizer(elf: ELFFile(bytes: bytes))
/// symbolizer.annotate(Array("HardFault pc=0x10000234".utf8)).text
/// // "HardFault pc=0x10000234 <main+0x1c at main.c:42>"
/// ```
public struct AddressSymbolizer: Sendable {
    /// The functions.
    public let symbols: ELFSymbols
    /// The line table.
    public let lines: DWARFLineTable
    /// From the first function's start to the last one's end: an address outside is looked up no further.
    let codeStart: UInt32
    let codeEnd: UInt64

    /// Reads the symbols and line table of `elf`.
    public init(elf: ELFFile) throws(FirmwareError) {
        self.init(symbols: try ELFSymbols(elf: elf), lines: try DWARFLineTable(elf: elf))
    }

    /// A symbolizer of these functions and lines.
    init(symbols: ELFSymbols, lines: DWARFLineTable) {
        self.symbols = symbols
        self.lines = lines
        codeStart = symbols.functions.first?.address ?? 1
        codeEnd = symbols.functions.map { UInt64($0.address) + UInt64(max($0.size, 1)) }.max() ?? 0
    }

    /// The function, offset, file and line of `address`; nil outside every function.
    public func lookup(_ address: UInt32) -> SymbolizedAddress? {
        let code = address & ~1                                   // a Thumb return address has bit 0 set
        guard mayHoldCode(address), let (function, offset) = symbols.lookup(code) else { return nil }
        let place = lines.lookup(code)
        return SymbolizedAddress(address: address, function: function, offset: offset, file: place?.file, line: place?.line)
    }

    /// Whether `address` (the Thumb bit ignored) lies between the first function's start and the last one's end.
    @inline(__always)
    func mayHoldCode(_ address: UInt32) -> Bool {
        let code = address & ~1
        return code >= codeStart && UInt64(code) < codeEnd
    }

    /// `bytes` (a whole line, or text that ends where the stream ends) with an annotation after each
    /// code address, and the addresses decoded.
    public func annotate(_ bytes: [UInt8]) -> (text: [UInt8], symbols: [SymbolizedAddress]) {
        var annotator = AddressAnnotator()
        var found: [SymbolizedAddress] = []
        var text = annotator.annotate(bytes, with: self, found: &found)
        let last = annotator.finish(with: self, found: &found)
        if !last.isEmpty { text += last }
        return (text, found)
    }
}
