#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import PicoUSB

/// Where and how device commands write: results on stdout, diagnostics and progress on stderr.
enum Terminal {
    /// True when stderr is a terminal (progress bars are drawn only then).
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    /// Writes a line to stdout. A closed stdout ends the command: at once by SIGPIPE, or, while a
    /// board is held (`Interruption` ignores SIGPIPE then), after the board is reset and released.
    static func output(_ line: String) {
        if !ConsoleOutput.write(Array((line + "\n").utf8), to: .standardOutput) { Interruption.shared.outputClosed() }
    }

    /// Writes a line to stderr.
    static func error(_ line: String) {
        ConsoleOutput.write(Array((line + "\n").utf8), to: .standardError)
    }

    /// Encodes a value as one line of JSON with sorted keys.
    static func jsonLine(_ value: any Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}

/// One board in `picoctl list --json` (schema version 1; documented in the README).
struct BoardRecord: Encodable, Equatable {
    var mode: String
    var chip: String?
    var identity: String
    var identityKind: String
    var serial: String?
    var serialUnique: Bool
    var port: String
    var bus: Int
    var address: Int
    var vendorId: String
    var productId: String
    var manufacturer: String?
    var product: String?
    var tty: String?
    var accessError: String?
    var accessFix: String?
    /// The board's name in the inventory.
    var name: String?
    /// The program: an app's USB product string, or (with `--programs`) a BOOTSEL board's binary info.
    var program: String?
    /// The board's unique id: its serial when unique; for an RP2040 in BOOTSEL (with `--programs`),
    /// the flash unique id read over PICOBOOT, which its app shows as serial.
    var uniqueId: String?

    init(_ board: PicoDevice) {
        mode = board.mode.rawValue
        chip = board.chip?.name
        switch board.identity {
        case .uniqueID(let id): identity = id; identityKind = "unique-id"
        case .portPath(let path): identity = path.description; identityKind = "port"
        }
        serial = board.usb.serialNumber
        serialUnique = board.serialIsUnique
        port = board.usb.portPath.description
        bus = Int(board.usb.bus)
        address = Int(board.usb.address)
        vendorId = String(board.usb.vendorID, radix: 16).leftPadded(4, "0")
        productId = String(board.usb.productID, radix: 16).leftPadded(4, "0")
        manufacturer = board.usb.manufacturer
        product = board.usb.product
        tty = board.ttyPath
        accessError = board.accessProblem?.code.name
        accessFix = board.accessProblem?.fix
        program = board.mode == .app ? board.usb.product : nil
        uniqueId = board.serialIsUnique ? board.usb.serialNumber?.uppercased() : nil
    }

    enum CodingKeys: String, CodingKey {
        case mode, chip, identity, identityKind = "identity_kind", serial, serialUnique = "serial_unique", port, bus, address
        case vendorId = "vendor_id", productId = "product_id", manufacturer, product, tty
        case accessError = "access_error", accessFix = "access_fix", program, name
        case uniqueId = "unique_id"
    }

    /// Every key is always present; absent values are `null`, so the schema is the same for every board.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encode(chip, forKey: .chip)
        try c.encode(identity, forKey: .identity)
        try c.encode(identityKind, forKey: .identityKind)
        try c.encode(serial, forKey: .serial)
        try c.encode(serialUnique, forKey: .serialUnique)
        try c.encode(port, forKey: .port)
        try c.encode(bus, forKey: .bus)
        try c.encode(address, forKey: .address)
        try c.encode(vendorId, forKey: .vendorId)
        try c.encode(productId, forKey: .productId)
        try c.encode(manufacturer, forKey: .manufacturer)
        try c.encode(product, forKey: .product)
        try c.encode(tty, forKey: .tty)
        try c.encode(accessError, forKey: .accessError)
        try c.encode(accessFix, forKey: .accessFix)
        try c.encode(program, forKey: .program)
        try c.encode(name, forKey: .name)
        try c.encode(uniqueId, forKey: .uniqueId)
    }
}

/// The table of boards that `list` prints and that a refused selection shows.
enum BoardTable {
    /// Plain text, or with a bold header when colour is allowed.
    enum Style { case plain, color }

    static let headers = ["PORT", "BUS:ADDR", "MODE", "CHIP", "IDENTITY", "VID:PID", "PRODUCT", "TTY", "NOTE"]

    /// One row per board, columns aligned; with `programs`, a PROGRAM column before NOTE.
    /// `uniqueIDs`: flash unique ids read from RP2040s in BOOTSEL (`list --programs`), noted and used for names.
    static func render(_ boards: [PicoDevice], style: Style, programs: [USBPortPath: String]? = nil,
                       names: Inventory = Inventory(), uniqueIDs: [USBPortPath: String] = [:]) -> String {
        var headers = headers
        var rows = boards.map(row)
        for (i, board) in boards.enumerated() {
            guard let id = uniqueIDs[board.usb.portPath] else { continue }
            let note = rows[i][rows[i].count - 1]
            rows[i][rows[i].count - 1] = (note.isEmpty || note == "-" ? "" : note + "; ") + "unique id \(id)"
        }
        if !names.entries.isEmpty {
            headers.insert("NAME", at: 0)
            for (i, board) in boards.enumerated() {
                rows[i].insert(names.name(of: board, uniqueID: uniqueIDs[board.usb.portPath]) ?? "-", at: 0)
            }
        }
        if let programs {
            headers.insert("PROGRAM", at: headers.count - 1)
            for (i, board) in boards.enumerated() {
                let name = programs[board.usb.portPath] ?? (board.mode == .app ? board.usb.product : nil) ?? "-"
                rows[i].insert(name, at: rows[i].count - 1)
            }
        }
        var widths = headers.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in i == cells.count - 1 ? cell : cell.padded(toLength: widths[i]) }
                .joined(separator: "  ").trimmingSpaces
        }
        var header = line(headers)
        if style == .color { header = Colour.wrap(header, .bold) }
        return ([header] + rows.map(line)).joined(separator: "\n")
    }

    static func row(_ board: PicoDevice) -> [String] {
        let usb = board.usb
        var notes: [String] = []
        if board.mode == .bootsel && !board.serialIsUnique, let serial = usb.serialNumber {
            notes.append("serial \(serial) not unique")
        }
        if let problem = board.accessProblem { notes.append("no access: \(problem.code.name)") }
        return [usb.portPath.description, "\(usb.bus):\(usb.address)", board.mode.rawValue, board.chip?.name ?? "-",
                board.identity.description, hex4(usb.vendorID) + ":" + hex4(usb.productID), usb.product ?? "-",
                board.ttyPath ?? "-", notes.joined(separator: "; ")]
    }

    static func hex4(_ value: UInt16) -> String { String(value, radix: 16).leftPadded(4, "0") }
}

extension String {
    func leftPadded(_ width: Int, _ pad: Character) -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
