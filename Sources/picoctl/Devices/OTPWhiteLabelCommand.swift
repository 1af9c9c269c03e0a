import ArgumentParser
import PicoBoot
import PicoFlash

/// `picoctl otp white-label`: the USB white-label entries OTP sets (what BOOTSEL shows instead of its defaults).
struct OTPWhiteLabelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "white-label",
        abstract: "Show the USB white-label entries set in OTP (VID, PID, strings, volume label, ...), read-only.")

    @OptionGroup var board: BoardOptions

    @Flag(help: "One JSON object on stdout.")
    var json = false

    func run() throws {
        try DeviceFailure.reporting {
            let session = try DeviceSession(options: board, announce: { Terminal.error($0) }, onEvent: { _ in })
            defer { session.close() }
            let label = try Self.read(session)
            if json {
                Terminal.output(Terminal.jsonLine(Self.json(label)))
            } else {
                Terminal.output(Self.text(label).joined(separator: "\n"))
            }
        }
    }

    /// What was read: the decoded table and each string, or `locked` when the bootrom refused a row.
    struct Reading {
        var label: USBWhiteLabel?
        var strings: [Int: String] = [:]
        var locked = false
    }

    static func read(_ session: DeviceSession) throws -> Reading {
        func rows(_ list: [UInt16], ecc: Bool) throws -> [UInt16: OTPRowReading] {
            try session.run { try $0.readOTP(list, ecc: { _ in ecc }) }
        }
        let flagRows = try rows(USBWhiteLabel.bootFlagsRows, ecc: false)
        let addressRow = try rows([USBWhiteLabel.addressRow], ecc: true)
        let flagValues = USBWhiteLabel.bootFlagsRows.compactMap { row -> UInt32? in
            if case .value(let raw, _)? = flagRows[row] { return raw } else { return nil }
        }
        guard flagValues.count == 3, case .value(_, let address?)? = addressRow[USBWhiteLabel.addressRow] else { return Reading(locked: true) }
        var label = USBWhiteLabel(flags: USBWhiteLabel.majority(flagValues[0], flagValues[1], flagValues[2]), address: address, table: nil)
        guard let base = label.tableRow else { return Reading(label: label) }
        let tableRows = (0..<UInt16(16)).map { base &+ $0 }
        let table = try rows(tableRows, ecc: true)
        let values = tableRows.compactMap { row -> UInt16? in if case .value(_, let ecc?)? = table[row] { return ecc } else { return nil } }
        guard values.count == 16 else { return Reading(label: label, locked: true) }
        label = USBWhiteLabel(flags: label.bootFlags, address: address, table: values)
        var reading = Reading(label: label)
        for (index, entry) in label.entries {
            let stringRows = USBWhiteLabel.stringRows(tableRow: base, entry)
            guard !stringRows.isEmpty else { continue }
            let read = try rows(stringRows, ecc: true)
            let chars = stringRows.compactMap { row -> UInt16? in if case .value(_, let ecc?)? = read[row] { return ecc } else { return nil } }
            if chars.count == stringRows.count, let text = USBWhiteLabel.string(entry, rows: chars) { reading.strings[index] = text } else { reading.locked = true }
        }
        return reading
    }

    static func text(_ reading: Reading) -> [String] {
        guard let label = reading.label else { return ["white label: not readable (OTP page locked for BOOTSEL)"] }
        guard let row = label.tableRow else { return ["white label: none (USB_BOOT_FLAGS.WHITE_LABEL_ADDR_VALID is clear)"] }
        var lines = ["white label at OTP row 0x\(String(row, radix: 16))"]
        for index in label.entries.keys.sorted() {
            let name = USBWhiteLabel.entryNames[index]
            switch label.entries[index]! {
            case .value(let value): lines.append("  \(name) = 0x\(String(value, radix: 16))")
            case .string: lines.append("  \(name) = " + (reading.strings[index].map { "\"\($0)\"" } ?? "(not readable)"))
            }
        }
        if label.entries.isEmpty { lines.append("  no entry marked valid") }
        return lines
    }

    static func json(_ reading: Reading) -> JSONValue {
        var entries: [String: JSONValue] = [:]
        for (index, entry) in reading.label?.entries ?? [:] {
            switch entry {
            case .value(let value): entries[USBWhiteLabel.entryNames[index]] = .int(Int(value))
            case .string: entries[USBWhiteLabel.entryNames[index]] = reading.strings[index].map(JSONValue.string) ?? .null
            }
        }
        return .object(["row": reading.label?.tableRow.map { .int(Int($0)) } ?? .null, "locked": .bool(reading.locked),
                        "entries": .object(entries)])
    }
}
