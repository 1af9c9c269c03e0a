/// The RP2350's USB white-label table in OTP: what BOOTSEL shows instead of its defaults (VID, PID,
/// strings, volume label, ...). Layout from the pico-sdk header `hardware/regs/otp_data.h`
/// (USB_WHITE_LABEL_ADDR and the WL_*_VALID bits of USB_BOOT_FLAGS).
public struct USBWhiteLabel: Hashable, Sendable {
    /// The 16 entries, by index (row USB_WHITE_LABEL_ADDR value + index).
    public static let entryNames = [
        "USB_DEVICE_VID_VALUE", "USB_DEVICE_PID_VALUE", "USB_DEVICE_BCD_DEVICE_VALUE", "USB_DEVICE_LANG_ID_VALUE",
        "USB_DEVICE_MANUFACTURER_STRDEF", "USB_DEVICE_PRODUCT_STRDEF", "USB_DEVICE_SERIAL_NUMBER_STRDEF",
        "USB_CONFIG_ATTRIBUTES_MAX_POWER_VALUES", "VOLUME_LABEL_STRDEF", "SCSI_INQUIRY_VENDOR_STRDEF",
        "SCSI_INQUIRY_PRODUCT_STRDEF", "SCSI_INQUIRY_VERSION_STRDEF", "INDEX_HTM_REDIRECT_URL_STRDEF",
        "INDEX_HTM_REDIRECT_NAME_STRDEF", "INFO_UF2_TXT_MODEL_STRDEF", "INFO_UF2_TXT_BOARD_ID_STRDEF",
    ]
    /// USB_BOOT_FLAGS rows (RBIT-3: the value and two redundant copies).
    public static let bootFlagsRows: [UInt16] = [0x59, 0x5a, 0x5b]
    /// USB_WHITE_LABEL_ADDR.
    public static let addressRow: UInt16 = 0x5c
    /// USB_BOOT_FLAGS.WHITE_LABEL_ADDR_VALID.
    public static let addressValidBit: UInt32 = 0x40_0000

    /// One entry that USB_BOOT_FLAGS marks valid.
    public enum Entry: Hashable, Sendable {
        /// A 16-bit value used as is.
        case value(UInt16)
        /// A string: its row (relative to the table), length, and whether characters take a row each (Unicode).
        case string(row: UInt16, length: Int, unicode: Bool)
    }

    /// USB_BOOT_FLAGS after the majority vote.
    public var bootFlags: UInt32
    /// The table's row, when USB_BOOT_FLAGS marks the address valid.
    public var tableRow: UInt16?
    /// The valid entries by index.
    public var entries: [Int: Entry]

    /// The bitwise majority of three redundant copies (how RBIT-3 rows are read).
    public static func majority(_ a: UInt32, _ b: UInt32, _ c: UInt32) -> UInt32 { (a & b) | (b & c) | (a & c) }

    /// Decodes the flags, the address row and the table's 16 ECC rows (nil when not read).
    public init(flags: UInt32, address: UInt16, table: [UInt16]?) {
        bootFlags = flags
        tableRow = flags & Self.addressValidBit != 0 ? address : nil
        entries = [:]
        guard let table, tableRow != nil else { return }
        for index in 0..<min(16, table.count) where flags & (1 << UInt32(index)) != 0 {
            let word = table[index]
            if Self.entryNames[index].hasSuffix("_STRDEF") {
                entries[index] = .string(row: word >> 8, length: Int(word & 0x7f), unicode: word & 0x80 != 0)
            } else {
                entries[index] = .value(word)
            }
        }
    }

    /// The rows (ECC) holding a string entry's characters: two characters a row, or one when Unicode.
    public static func stringRows(tableRow: UInt16, _ entry: Entry) -> [UInt16] {
        guard case .string(let row, let length, let unicode) = entry else { return [] }
        let count = unicode ? length : (length + 1) / 2
        return (0..<count).map { tableRow &+ row &+ UInt16($0) }
    }

    /// The string in `rows` (their ECC values, in order).
    public static func string(_ entry: Entry, rows: [UInt16]) -> String? {
        guard case .string(_, let length, let unicode) = entry else { return nil }
        if unicode { return String(decoding: rows.prefix(length), as: UTF16.self) }
        let bytes = rows.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }.prefix(length)
        return String(decoding: bytes, as: UTF8.self)
    }
}
