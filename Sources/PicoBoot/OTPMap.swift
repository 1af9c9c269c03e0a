/// A named OTP register of the RP2350 (rows and bits from the pico-sdk header
/// `hardware/regs/otp_data.h`; the table itself is generated into `OTPFields.swift`).
public struct OTPRegister: Hashable, Sendable {
    /// One bit field of a register.
    public struct Field: Hashable, Sendable {
        /// The field's name (`ENABLE_BOOTSEL_LED`).
        public var name: String
        /// Its bits within the row's value.
        public var mask: UInt32
        /// The header's description, first sentence.
        public var summary: String
        /// A field.
        public init(_ name: String, _ mask: UInt32, _ summary: String) {
            self.name = name
            self.mask = mask
            self.summary = summary
        }
        /// The field's value in `row`.
        public func value(in row: UInt32) -> UInt32 { mask == 0 ? 0 : (row & mask) >> UInt32(mask.trailingZeroBitCount) }
    }

    /// The register's name without the `OTP_DATA_` prefix (`BOOT_FLAGS0`).
    public var name: String
    /// Its first row.
    public var row: UInt16
    /// How many rows it spans (keys span 8 or 16).
    public var rows: UInt16
    /// True for 16-bit rows protected by ECC; false for raw 24-bit rows (flags stored redundantly).
    public var ecc: Bool
    /// The header's description, first sentence.
    public var summary: String
    /// Its bit fields.
    public var fields: [Field]

    /// A register.
    public init(_ name: String, row: UInt16, rows: UInt16 = 1, ecc: Bool, _ summary: String, fields: [Field]) {
        self.name = name
        self.row = row
        self.rows = rows
        self.ecc = ecc
        self.summary = summary
        self.fields = fields
    }
}

/// The OTP layout picoctl knows: 4096 rows in 64 pages of 64, the registers people read (chip id,
/// boot flags, flash device info, USB boot and white-label flags, key valid flags) and each page's
/// two lock rows.
public enum OTPMap {
    /// Rows in OTP.
    public static let rowCount = 4096
    /// Rows a page.
    public static let pageRows = 64
    /// The first page-lock row (`OTP_DATA_PAGE0_LOCK0_ROW`); page n's rows are 2n and 2n + 1 after it.
    public static let firstPageLockRow: UInt16 = 0xf80

    /// The register named `name` (case-insensitive, `OTP_DATA_` prefix optional), including
    /// `PAGEn_LOCK0`/`PAGEn_LOCK1` for every page.
    public static func register(named name: String) -> OTPRegister? {
        var key = name.uppercased()
        if key.hasPrefix("OTP_DATA_") { key.removeFirst(9) }
        if let found = registers.first(where: { $0.name == key }) { return found }
        return pageLock(named: key)
    }

    /// The register that covers `row`, if one is named.
    public static func register(at row: UInt16) -> OTPRegister? {
        if let found = registers.first(where: { row >= $0.row && row < $0.row + $0.rows }) { return found }
        guard row >= firstPageLockRow, row < firstPageLockRow + 128 else { return nil }
        let page = (row - firstPageLockRow) / 2, half = (row - firstPageLockRow) % 2
        return pageLock(named: "PAGE\(page)_LOCK\(half)")
    }

    /// `BOOT_FLAGS0.ENABLE_BOOTSEL_LED` or `BOOT_FLAGS0_ENABLE_BOOTSEL_LED`: a register and one of its fields.
    public static func field(named name: String) -> (OTPRegister, OTPRegister.Field)? {
        var key = name.uppercased()
        if key.hasPrefix("OTP_DATA_") { key.removeFirst(9) }
        if let dot = key.firstIndex(of: ".") {
            let reg = String(key[..<dot]), fieldName = String(key[key.index(after: dot)...])
            guard let register = register(named: reg), let field = register.fields.first(where: { $0.name == fieldName }) else { return nil }
            return (register, field)
        }
        for register in registers + [pageLock(named: "PAGE0_LOCK0")!, pageLock(named: "PAGE0_LOCK1")!] where key.hasPrefix(register.name + "_") {
            let rest = String(key.dropFirst(register.name.count + 1))
            if let field = register.fields.first(where: { $0.name == rest }) { return (register, field) }
        }
        return nil
    }

    /// `PAGEn_LOCK0` / `PAGEn_LOCK1` for any page, with page 0's fields.
    static func pageLock(named key: String) -> OTPRegister? {
        guard key.hasPrefix("PAGE"), let underscore = key.firstIndex(of: "_"),
              let page = UInt16(key[key.index(key.startIndex, offsetBy: 4)..<underscore]), page < 64 else { return nil }
        let suffix = key[underscore...]
        guard suffix == "_LOCK0" || suffix == "_LOCK1", let template = registers.first(where: { $0.name == "PAGE0" + suffix }) else { return nil }
        let first = page * 64, last = first + 63
        let half = suffix == "_LOCK1" ? "MSBs" : "LSBs"
        let summary = "Lock configuration \(half) for page \(page) (rows 0x\(String(first, radix: 16)) through 0x\(String(last, radix: 16)))."
        return OTPRegister("PAGE\(page)\(suffix)", row: firstPageLockRow + 2 * page + (suffix == "_LOCK1" ? 1 : 0), ecc: false,
                           summary, fields: template.fields)
    }
}
