/// The RP2040 second-stage bootloader: the first 256 bytes of a flash image, ending in a CRC-32.
public struct Boot2: Hashable, Sendable {
    /// Where boot2 lives.
    public static let address: UInt32 = 0x1000_0000
    /// Its size, CRC included.
    public static let size = 256

    /// The 256 bytes.
    public var bytes: [UInt8]
    /// The CRC stored in the last four bytes (little-endian).
    public var storedCRC: UInt32 { bytes.u32(at: 252)! }
    /// The CRC-32/MPEG-2 of the first 252 bytes.
    public var computedCRC: UInt32 { Boot2.crc32MPEG2(bytes[0..<252]) }
    /// True when the stored CRC matches: the RP2040 bootrom will run this boot2.
    public var isValid: Bool { storedCRC == computedCRC }

    /// Wraps 256 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Boot2.size else { return nil }
        self.bytes = bytes
    }

    /// The boot2 of a flash image, when the image defines all 256 bytes at 0x10000000.
    public init?(image: MemoryImage) {
        let parts = image.segments(in: Boot2.address, length: Boot2.size)
        guard parts.count == 1, parts[0].address == Boot2.address, parts[0].bytes.count == Boot2.size else { return nil }
        self.bytes = parts[0].bytes
    }

    /// `bytes` with its last word replaced by the right CRC (useful for building test images).
    public static func sealed(_ first252: [UInt8]) -> [UInt8] {
        precondition(first252.count == 252, "boot2 body is 252 bytes")
        var out = first252
        out.appendLE(crc32MPEG2(first252[...]))
        return out
    }

    /// CRC-32/MPEG-2 of `bytes` (see ``CRC32MPEG2``).
    public static func crc32MPEG2(_ bytes: ArraySlice<UInt8>) -> UInt32 { CRC32MPEG2.checksum(bytes) }
}
