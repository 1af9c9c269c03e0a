/// Annotates the code addresses of a byte stream read in chunks of any size (a console's reads), as
/// `AddressSymbolizer.annotate` does for a whole line. Each chunk comes back at once, nothing held
/// back, so a prompt without a line end shows as it arrives; a chunk without a code address comes
/// back as it is (no copy). An address whose digits reach a chunk's end is finished by the next
/// chunk: its annotation then starts that chunk's output (right after the digits already shown), or
/// is what `finish` returns when the stream ends there.
///
/// Candidates are found 16 bytes at a time (the `x` of `0x`); only a `0x` that starts a word, with 1
/// to 8 hex digits that end one, inside the image's code, is looked up.
///
/// ```swift
/// var annotator = AddressAnnotator()
/// annotator.annotate(Array("pc=0x1000".utf8), with: symbolizer)     // "pc=0x1000"
/// annotator.annotate(Array("0234 ok\n".utf8), with: symbolizer)    // "0234 <main+0x1c at main.c:42> ok\n"
/// ```
public struct AddressAnnotator: Sendable {
    /// The last two bytes of the stream so far (a `0x` and the byte before it may end a chunk).
    private var last: UInt8 = 0x0A
    private var beforeLast: UInt8 = 0x0A
    /// An address whose digits ran to the end of the last chunk: its value and digits so far.
    private var open: (value: UInt32, digits: Int)?

    /// A stream at its start.
    public init() {}

    /// The next chunk of the stream with its code addresses annotated; `bytes` itself when it has none.
    public mutating func annotate(_ bytes: [UInt8], with symbolizer: AddressSymbolizer) -> [UInt8] {
        var found: [SymbolizedAddress] = []
        return annotate(bytes, with: symbolizer, found: &found)
    }

    /// The next chunk annotated; the addresses decoded are appended to `found`.
    public mutating func annotate(_ bytes: [UInt8], with symbolizer: AddressSymbolizer,
                                  found: inout [SymbolizedAddress]) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        var out: [UInt8] = []      // written only once an address is annotated
        var copied = 0
        bytes.withUnsafeBufferPointer { input in
            let count = input.count
            var index = 0
            if let (value, digits) = open {
                open = nil
                var end = 0
                var value = value
                while end < count, digits + end <= 8, let digit = Self.hexValue(input[end]) {
                    value = value << 4 | UInt32(digit)
                    end += 1
                }
                if end == count {
                    if digits + end <= 8 { open = (value, digits + end) }
                    index = count
                } else {
                    if (1...8).contains(digits + end), Self.endsWord(input[end]), let symbol = symbolizer.lookup(value) {
                        Self.append(symbol, at: end, of: input, copied: &copied, to: &out, found: &found)
                    }
                    index = end
                }
            }
            while let x = Self.nextX(input, from: index) {
                index = x + 1
                // `0x` at the start of a word.
                guard (x >= 1 ? input[x - 1] : last) == 0x30,
                      Self.endsWord(x >= 2 ? input[x - 2] : x == 1 ? last : beforeLast) else { continue }
                var end = x + 1
                var value: UInt32 = 0
                while end < count, end - x <= 8, let digit = Self.hexValue(input[end]) {
                    value = value << 4 | UInt32(digit)
                    end += 1
                }
                let digits = end - x - 1
                if end == count {
                    if digits <= 8 { open = (value, digits) }
                    break
                }
                index = end
                // 1 to 8 digits ending the word, inside the code: looked up.
                guard digits > 0, symbolizer.mayHoldCode(value), Self.endsWord(input[end]),
                      let symbol = symbolizer.lookup(value) else { continue }
                Self.append(symbol, at: end, of: input, copied: &copied, to: &out, found: &found)
            }
            if !out.isEmpty { out.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied...])) }
            beforeLast = count >= 2 ? input[count - 2] : last
            last = input[count - 1]
        }
        return out.isEmpty ? bytes : out
    }

    /// Appends the input up to `end` (from `copied` on) and the annotation of `symbol`.
    private static func append(_ symbol: SymbolizedAddress, at end: Int, of input: UnsafeBufferPointer<UInt8>,
                               copied: inout Int, to out: inout [UInt8], found: inout [SymbolizedAddress]) {
        if out.isEmpty { out.reserveCapacity(input.count + 64) }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied..<end]))
        out.append(contentsOf: " <".utf8)
        symbol.appendDescription(to: &out)
        out.append(0x3E)
        found.append(symbol)
        copied = end
    }

    /// At the end of the stream: the annotation of an address that ended it (else nothing); the
    /// annotator is then at the start of a new stream.
    public mutating func finish(with symbolizer: AddressSymbolizer) -> [UInt8] {
        var found: [SymbolizedAddress] = []
        return finish(with: symbolizer, found: &found)
    }

    /// `finish(with:)`, appending the address decoded to `found`.
    public mutating func finish(with symbolizer: AddressSymbolizer, found: inout [SymbolizedAddress]) -> [UInt8] {
        defer { self = AddressAnnotator() }
        guard let (value, digits) = open, (1...8).contains(digits), let symbol = symbolizer.lookup(value) else { return [] }
        found.append(symbol)
        var out = Array(" <".utf8)
        symbol.appendDescription(to: &out)
        out.append(0x3E)
        return out
    }

    /// The index of the next `x` or `X` from `index` on: 16 bytes at a time, then 1.
    @inline(__always)
    private static func nextX(_ input: UnsafeBufferPointer<UInt8>, from index: Int) -> Int? {
        let count = input.count
        var index = index
        if let base = input.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 16 <= count {
                let first = xBytes(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let second = xBytes(raw.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self))
                if first | second != 0 {
                    return index + (first != 0 ? first.trailingZeroBitCount : 64 + second.trailingZeroBitCount) / 8
                }
                index += 16
            }
        }
        while index < count {
            if input[index] | 0x20 == 0x78 { return index }
            index += 1
        }
        return nil
    }

    /// The top bit set in each byte of `word` (8 bytes as loaded, first byte first) that is `x` or
    /// `X` (0x78, 0x58), and no other bit.
    @inline(__always)
    private static func xBytes(_ word: UInt64) -> UInt64 {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let zeroWhereX = (UInt64(littleEndian: word) | 0x2020_2020_2020_2020) ^ 0x7878_7878_7878_7878
        return ~(((zeroWhereX & low) &+ low) | zeroWhereX | low)
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }

    /// Not a letter, digit or underscore: an address must not be part of a longer word.
    @inline(__always)
    private static func endsWord(_ byte: UInt8) -> Bool {
        !(byte &- 0x30 < 10 || (byte | 0x20) &- 0x61 < 26 || byte == 0x5F)
    }
}
