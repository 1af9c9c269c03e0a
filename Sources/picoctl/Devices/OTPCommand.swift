import ArgumentParser
import PicoBoot
import PicoFlash

/// `picoctl otp list|get`: read the RP2350's one-time-programmable memory (read-only; nothing here writes OTP).
struct OTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "otp",
        abstract: "Read an RP2350's OTP rows, with the names and descriptions of the SDK's OTP map (read-only).",
        discussion: "A page the bootrom will not read from BOOTSEL (its lock forbids it) is shown as locked; its values are never shown.",
        subcommands: [OTPListCommand.self, OTPGetCommand.self, OTPWhiteLabelCommand.self])
}

/// `picoctl otp list [ROWS]`: the named registers (or the given rows) with values and set fields.
struct OTPListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List OTP registers (default: every named one) with their values; ROWS: 0x48, 0x40-0x5f, 0x48,0x59, or names.")

    @Argument(help: "Rows or register names, comma-separated; ranges as START-END (inclusive).")
    var rows: String?

    @OptionGroup var board: BoardOptions

    @Flag(help: "One JSON object a row on stdout.")
    var json = false

    func validate() throws { _ = try OTPSelection.rows(rows) }

    func run() throws {
        let selected = try OTPSelection.rows(rows)
        try OTPSelection.read(selected, board: board, json: json)
    }
}

/// `picoctl otp get ROW|FIELD`: one row, register or field.
struct OTPGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Read one OTP row (number), register (BOOT_FLAGS0, KEY1) or field (BOOT_FLAGS0.ENABLE_BOOTSEL_LED).")

    @Argument(help: "A row number, a register name or REGISTER.FIELD.")
    var what: String

    @OptionGroup var board: BoardOptions

    @Flag(help: "One JSON object a row on stdout.")
    var json = false

    func validate() throws { _ = try OTPSelection.rows(what) }

    func run() throws {
        let field = OTPMap.field(named: what)
        try OTPSelection.read(try OTPSelection.rows(what), board: board, json: json, only: field?.1)
    }
}

/// Row selection, reading and rendering shared by `otp list` and `otp get`.
enum OTPSelection {
    /// The rows `text` names: numbers, START-END ranges, register or field names; nil: every named register.
    static func rows(_ text: String?) throws -> [UInt16] {
        guard let text else { return OTPMap.registers.flatMap { Array($0.row..<($0.row + $0.rows)) } }
        var out: [UInt16] = []
        for part in text.split(separator: ",").map({ $0.trimmingSpaces }) {
            if let register = OTPMap.register(named: part) ?? OTPMap.field(named: part)?.0 {
                out += Array(register.row..<(register.row + register.rows))
            } else if let row = number(part) {
                out.append(row)
            } else if let dash = part.firstIndex(of: "-"), let low = number(String(part[..<dash])),
                      let high = number(String(part[part.index(after: dash)...])), low <= high {
                out += Array(low...high)
            } else {
                throw ValidationError("\(part) is not an OTP row (0x000 to 0xfff), range or register name")
            }
        }
        return out
    }

    /// A row number below 4096.
    static func number(_ text: String) -> UInt16? {
        guard let value = FirmwareCLI.parseNumber(text), value < OTPMap.rowCount else { return nil }
        return UInt16(value)
    }

    /// Reads `rows` from the selected board and prints them (only `field` of each, when given).
    static func read(_ rows: [UInt16], board: BoardOptions, json: Bool, only field: OTPRegister.Field? = nil) throws {
        try DeviceFailure.reporting {
            let session = try DeviceSession(options: board, announce: { Terminal.error($0) }, onEvent: { _ in })
            defer { session.close() }
            let readings = try session.run { try $0.readOTP(rows, ecc: { OTPMap.register(at: $0)?.ecc ?? false }) }
            var seen = Set<UInt16>()
            for row in rows where seen.insert(row).inserted {
                guard let reading = readings[row] else { continue }
                let register = OTPMap.register(at: row)
                if json {
                    Terminal.output(Terminal.jsonLine(Self.json(row: row, register: register, reading: reading, only: field)))
                } else {
                    Terminal.output(Self.text(row: row, register: register, reading: reading, only: field).joined(separator: "\n"))
                }
            }
        }
    }

    /// `0x048  BOOT_FLAGS0  raw 0x000020  Disable/Enable ...`, then the set fields, indented.
    static func text(row: UInt16, register: OTPRegister?, reading: OTPRowReading, only: OTPRegister.Field?) -> [String] {
        let name = register.map { $0.rows > 1 ? "\($0.name)[\(row - $0.row)]" : $0.name } ?? "-"
        let head = "0x\(hex(UInt32(row), 3))  \(name)"
        guard case .value(let raw, let ecc) = reading else {
            return [head + "  locked (the bootrom refuses to read page \(Int(row) / OTPMap.pageRows) from BOOTSEL)"]
        }
        let value = ecc.map(UInt32.init) ?? raw
        var lines = [head + "  raw 0x\(hex(raw, 6))" + (ecc.map { "  ecc 0x\(hex(UInt32($0), 4))" } ?? "")
                     + (register.map { "  \($0.summary)" } ?? "")]
        for field in register?.fields ?? [] where only == nil || only == field {
            let v = field.value(in: value)
            if v != 0 || only != nil { lines.append("    \(field.name) = \(v)" + (field.summary.isEmpty ? "" : "  (\(field.summary))")) }
        }
        return lines
    }

    /// One row as JSON.
    static func json(row: UInt16, register: OTPRegister?, reading: OTPRowReading, only: OTPRegister.Field?) -> JSONValue {
        var fields: [String: JSONValue] = ["row": .int(Int(row)), "name": register.map { .string($0.name) } ?? .null]
        switch reading {
        case .locked:
            fields["locked"] = .bool(true)
        case .value(let raw, let ecc):
            fields["locked"] = .bool(false)
            fields["raw"] = .int(Int(raw))
            fields["ecc"] = ecc.map { .int(Int($0)) } ?? .null
            let value = ecc.map(UInt32.init) ?? raw
            let selected = (register?.fields ?? []).filter { only == nil || only == $0 }
            fields["fields"] = .object(Dictionary(uniqueKeysWithValues: selected.map { ($0.name, JSONValue.int(Int($0.value(in: value)))) }))
        }
        return .object(fields)
    }

    /// Zero-padded lower-case hex.
    static func hex(_ value: UInt32, _ digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
