/// Little-endian reads and writes on byte arrays, bounds-checked by the caller or returning nil.
extension Array where Element == UInt8 {
    /// The little-endian `UInt32` at `offset`, or nil when fewer than four bytes remain.
    @inlinable
    func u32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        return withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian }
    }

    /// The little-endian `UInt16` at `offset`, or nil when fewer than two bytes remain.
    @inlinable
    func u16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count - 2 else { return nil }
        return withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian }
    }

    /// Appends `value` as four little-endian bytes.
    @inlinable
    mutating func appendLE(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }

    /// Appends `value` as two little-endian bytes.
    @inlinable
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }
}

extension UnsafeRawBufferPointer {
    /// The little-endian `UInt32` at `offset`; the caller guarantees four bytes remain.
    @inlinable
    func le32(_ offset: Int) -> UInt32 { loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian }
}

/// `0x1000_0000` as text: `0x10000000`.
func hex32(_ value: UInt32) -> String { "0x" + String(value, radix: 16).leftPadded(to: 8) }

/// `0x10000100` as text, for 64-bit ends.
func hex64(_ value: UInt64) -> String { "0x" + String(value, radix: 16).leftPadded(to: 8) }
