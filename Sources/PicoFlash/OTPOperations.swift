import PicoBoot
import UF2

/// One OTP row as read over PICOBOOT: its raw 24 bits and, for rows read with ECC, the corrected
/// 16-bit value; or `locked` when the bootrom refused the read (NOT_PERMITTED).
public enum OTPRowReading: Hashable, Sendable {
    /// The row's raw value (24 bits) and its ECC-corrected value when asked for.
    case value(raw: UInt32, ecc: UInt16?)
    /// The bootrom refused to read the row's page from BOOTSEL.
    case locked
}

extension FlashExecutor {
    /// Most rows one OTP_READ asks for: 64 raw rows or 128 ECC rows fill the bootrom's 256-byte buffer.
    static let otpRowsPerRead = 64

    /// Reads `rows` (RP2350, read-only): raw values, plus ECC-corrected ones where `ecc(row)` says.
    /// Reads go page by page, so a page the bootrom refuses (NOT_PERMITTED) is reported as locked
    /// and the others are still read.
    public func readOTP(_ rows: [UInt16], ecc: (UInt16) -> Bool) throws(FlashError) -> [UInt16: OTPRowReading] {
        guard !chip.hasExec else { throw .unsupported(operation: "OTP_READ", chip: chip) }
        if let bad = rows.first(where: { Int($0) >= OTPMap.rowCount }) {
            throw .invalidRange(AddressRange(start: UInt32(bad), end: UInt64(bad) + 1), reason: "OTP has rows 0x000 to 0xfff")
        }
        return try withExclusiveAccess { () throws(FlashError) -> [UInt16: OTPRowReading] in
            var out: [UInt16: OTPRowReading] = [:]
            for run in Self.otpRuns(Set(rows).sorted()) {
                do throws(PicobootError) {
                    let raw = try connection.execute(OTPRead(row: run.lowerBound, count: UInt16(run.count), ecc: false))
                    let wantsECC = run.contains(where: ecc)
                    let corrected = wantsECC ? try connection.execute(OTPRead(row: run.lowerBound, count: UInt16(run.count), ecc: true)) : []
                    for (i, row) in run.enumerated() {
                        let value = raw.count >= 4 * i + 4 ? raw.readUInt32(at: 4 * i) & 0xff_ffff : 0
                        let fixed = ecc(row) && corrected.count >= 2 * i + 2 ? UInt16(corrected[2 * i]) | UInt16(corrected[2 * i + 1]) << 8 : nil
                        out[row] = .value(raw: value, ecc: fixed)
                    }
                } catch where error.reason == .rejected(.notPermitted) {
                    for row in run { out[row] = .locked }
                } catch {
                    throw .device(error)
                }
            }
            return out
        }
    }

    /// Consecutive rows grouped, split at page boundaries and at `otpRowsPerRead`.
    static func otpRuns(_ sorted: [UInt16]) -> [ClosedRange<UInt16>] {
        var out: [ClosedRange<UInt16>] = []
        for row in sorted {
            if let last = out.last, last.upperBound + 1 == row, Int(row) % OTPMap.pageRows != 0, last.count < otpRowsPerRead {
                out[out.count - 1] = last.lowerBound...row
            } else {
                out.append(row...row)
            }
        }
        return out
    }
}
