/// The RP2350's flash device word: what GET_INFO type SYS answers for `SystemInfo.Items.flashDeviceInfo`.
///
/// pico-sdk `boot/bootrom_constants.h` (SYS_INFO_FLASH_DEV_INFO): "1 word: same as FLASH_DEVINFO
/// row in OTP". The row's fields, from pico-sdk `hardware/regs/otp_data.h`
/// (OTP_DATA_FLASH_DEVINFO_*): bits 4:0 CS1_GPIO, bit 7 D8H_ERASE_SUPPORTED, bits 11:8 CS0_SIZE,
/// bits 15:12 CS1_SIZE; a size field n is 0 for no device, else 4 KiB << n (0x9 = 2 MiB,
/// 0xc = 16 MiB). When OTP does not enable the row (BOOT_FLAGS0.FLASH_DEVINFO_ENABLE clear), the
/// bootrom answers its default, CS0 16 MiB and no CS1: an assumption, not a measurement.
public struct FlashDeviceInfo: RawRepresentable, Hashable, Sendable {
    /// The word as answered.
    public var rawValue: UInt32

    /// Wraps a word.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The bootrom's default when OTP does not enable FLASH_DEVINFO: CS0 16 MiB, no CS1.
    public static let bootromDefault = FlashDeviceInfo(cs0Size: 16 << 20)

    /// A word describing a CS0 device of `cs0Size` bytes (a power of two, 8 KiB ... 16 MiB) and
    /// optionally a CS1 device; what a board with the row programmed in OTP answers.
    public init(cs0Size: UInt32, cs1Size: UInt32 = 0, d8hEraseSupported: Bool = false) {
        rawValue = Self.field(cs0Size) << 8 | Self.field(cs1Size) << 12 | (d8hEraseSupported ? 0x80 : 0)
    }

    /// Bytes of the device on chip select 0 (0 for none).
    public var cs0Size: UInt32 { Self.size(field: rawValue >> 8 & 0xF) }
    /// Bytes of the device on chip select 1 (0 for none).
    public var cs1Size: UInt32 { Self.size(field: rawValue >> 12 & 0xF) }
    /// Whether the devices accept the 64 KiB block erase 0xD8.
    public var d8hEraseSupported: Bool { rawValue & 0x80 != 0 }
    /// True when the word is the bootrom's default (it then says nothing about the board).
    public var isBootromDefault: Bool { self == Self.bootromDefault }

    /// 4 KiB << n; fields above 0xc (16 MiB) are reserved and read as 16 MiB.
    static func size(field: UInt32) -> UInt32 { field == 0 ? 0 : 0x1000 << min(field, 0xC) }

    /// The field for `bytes` (0 for none).
    static func field(_ bytes: UInt32) -> UInt32 {
        guard bytes >= 0x2000 else { return 0 }
        return UInt32(min(31 - bytes.leadingZeroBitCount - 12, 0xC))
    }
}
