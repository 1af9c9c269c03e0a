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
/// after it. The text the board sent is kept; lines without `0x` are returned as they are.
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

    /// Reads the symbols and line table of `elf`.
    public init(elf: ELFFile) throws(FirmwareError) {
        symbols = try ELFSymbols(elf: elf)
        lines = try DWARFLineTable(elf: elf)
    }

    /// The function, offset, file and line of `address`; nil outside every function.
    public func lookup(_ address: UInt32) -> SymbolizedAddress? {
        let code = address & ~1                                   // a Thumb return address has bit 0 set
        guard let (function, offset) = symbols.lookup(code) else { return nil }
        let place = lines.lookup(code)
        return SymbolizedAddress(address: address, function: function, offset: offset, file: place?.file, line: place?.line)
    }

    /// `bytes` with an annotation after each code address, and the addresses decoded.
    public func annotate(_ bytes: [UInt8]) -> (text: [UInt8], symbols: [SymbolizedAddress]) {
        var out: [UInt8] = []
        var found: [SymbolizedAddress] = []
        var copied = 0
        bytes.withUnsafeBufferPointer { input in
            let count = input.count
            var index = 1
            while index < count - 1 {
                // Look for the x of "0x" first: rarer than 0 in logs.
                guard input[index] | 0x20 == 0x78, input[index - 1] == 0x30,
                      index == 1 || !Self.isWordByte(input[index - 2]) else { index += 1; continue }
                var end = index + 1
                var value: UInt32 = 0
                while end < count, end - index <= 9, let digit = Self.hexValue(input[end]) {
                    value = value << 4 | UInt32(digit)
                    end += 1
                }
                let digits = end - index - 1
                guard digits > 0, digits <= 8, end == count || !Self.isWordByte(input[end]),
                      let symbol = lookup(value) else { index = max(end, index + 1); continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied..<end]))
                out.append(contentsOf: " <\(symbol.description)>".utf8)
                found.append(symbol)
                copied = end
                index = end + 1
            }
        }
        guard !found.isEmpty else { return (bytes, []) }
        out += bytes[copied...]
        return (out, found)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        hexValue(byte) != nil || (byte | 0x20) &- 0x61 < 26 || byte == 0x5F
    }
}
