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
        var text = offset == 0 ? function : "\(function)+0x\(String(offset, radix: 16))"
        if let file, let line { text += " at \(file.split(separator: "/").last.map(String.init) ?? file):\(line)" }
        return text
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
