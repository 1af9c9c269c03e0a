/// CRC-32/MPEG-2 (polynomial 0x04C11DB7, init 0xFFFFFFFF, no reflection, no final xor): the CRC
/// of RP2040 boot2 and of the per-sector checks a RAM helper reports.
public enum CRC32MPEG2 {
    private static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var crc = UInt32(i) << 24
        for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        return crc
    }

    /// The CRC of `bytes`, continuing from `crc`.
    public static func checksum(_ bytes: some Sequence<UInt8>, continuing crc: UInt32 = 0xFFFF_FFFF) -> UInt32 {
        var crc = crc
        for byte in bytes { crc = (crc << 8) ^ table[Int((crc >> 24) ^ UInt32(byte))] }
        return crc
    }
}
