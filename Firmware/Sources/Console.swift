// Log output: every byte goes to UART0 and, once the host has raised DTR, to the CDC transmit
// ring. Numbers are formatted by hand: Embedded Swift string interpolation would need a heap.

/// Text output to UART0 and USB CDC.
enum Console {
    /// False while writing something meant for the CDC reader only (the banner repeated when
    /// the host raises DTR).
    nonisolated(unsafe) static var toUART = true

    /// Writes one byte to every sink.
    static func put(_ byte: UInt8) {
        if toUART { UART0.write(byte) }
        CDCRing.push(byte)
    }

    /// Writes a static string.
    static func write(_ text: StaticString) {
        let start = text.utf8Start
        for i in 0..<text.utf8CodeUnitCount { put(start[i]) }
    }

    /// Writes `value` in decimal (32-bit division runs on the SIO divider, Startup/startup.S).
    static func write(decimal value: UInt32) {
        var divisor: UInt32 = 1
        while value / divisor >= 10 { divisor = divisor &* 10 }
        var rest = value
        while divisor > 0 {
            let digit = rest / divisor
            put(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: digit))
            rest -= digit &* divisor
            divisor /= 10
        }
    }

    /// Writes the low `digits` nibbles of `value` in upper-case hex.
    static func write(hex value: UInt32, digits: Int = 8) {
        var shift = (digits - 1) * 4
        while shift >= 0 {
            put(hexDigit(UInt8(truncatingIfNeeded: value >> UInt32(shift)) & 0xF))
            shift -= 4
        }
    }

    /// Writes the 8-byte unique id as 16 upper-case hex digits.
    static func writeUniqueID() {
        for i in 0..<8 { write(hex: UInt32(Scratch.uniqueID[i]), digits: 2) }
    }

    /// Ends a line (CR LF).
    static func newline() {
        put(13)
        put(10)
    }
}

/// The upper-case hex digit for a nibble.
@inline(__always)
func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
}

/// `value / divisor` for a 64-bit dividend, by shift and subtract (ARMv6-M has no 64-bit divide
/// and the firmware links no compiler runtime).
func divide(_ value: UInt64, by divisor: UInt32) -> UInt64 {
    var quotient: UInt64 = 0
    var remainder: UInt64 = 0
    var bits = value
    for _ in 0..<64 {
        remainder = (remainder << 1) | (bits >> 63)
        bits <<= 1
        quotient <<= 1
        if remainder >= UInt64(divisor) {
            remainder -= UInt64(divisor)
            quotient |= 1
        }
    }
    return quotient
}
