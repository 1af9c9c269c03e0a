import FoundationEssentials
import PicoUSB

/// Board names from the inventory file: `bench-3 = "E6605481DB484636"` (a unique id or serial) or
/// `left-rig = "port:1-3.2"` (a USB port path), one per line, at the top of the file or in one
/// `[boards]` table; TOML as `TOMLFile` reads it (comments, quoted or bare names, '...' or "..." values).
/// A name given twice and two names for one board are refused.
///
/// Found at `--inventory PATH`, else `$PICOCTL_INVENTORY`, else `$XDG_CONFIG_HOME/picoctl/boards.toml`
/// (default `~/.config/picoctl/boards.toml`); a missing default file means no names.
struct Inventory: Equatable {
    /// What a name stands for.
    enum Target: Equatable, CustomStringConvertible {
        case serial(String)
        case port(USBPortPath)

        /// As the file writes it.
        var description: String {
            switch self {
            case .serial(let id): id
            case .port(let path): "port:\(path)"
            }
        }

        /// Whether two names would stand for one board (serials compared without case).
        func sameBoard(as other: Target) -> Bool {
            switch (self, other) {
            case (.serial(let a), .serial(let b)): a.uppercased() == b.uppercased()
            case (.port(let a), .port(let b)): a == b
            default: false
            }
        }
    }

    /// A file that is not an inventory: the file, the line and why.
    typealias ParseError = TOMLFile.ParseError

    /// Names in file order.
    var entries: [(name: String, target: Target)] = []

    static func == (lhs: Inventory, rhs: Inventory) -> Bool {
        lhs.entries.map(\.name) == rhs.entries.map(\.name) && lhs.entries.map(\.target) == rhs.entries.map(\.target)
    }

    /// Parses the text of an inventory file.
    init(parsing text: String, path: String = "inventory") throws(ParseError) {
        let file = try TOMLFile(parsing: text, path: path)
        if let table = file.tables.first(where: { $0.name != ["boards"] }) {
            throw ParseError(path: path, line: table.line,
                             reason: "unknown table [\(TOMLFile.render(table.name))]; names go at the top of the file or in one [boards] table")
        }
        var lines: [Int] = []
        for entry in file.entries {
            guard case .string(let value) = entry.value else {
                throw file.error(entry, "\(entry.key) = \(entry.value): write the serial or port path in quotes, as in \(entry.key) = \"E6605481DB484636\" or \"port:1-3.2\"")
            }
            let target: Target
            if value.hasPrefix("port:") {
                guard let port = USBPortPath(String(value.dropFirst(5))) else {
                    throw file.error(entry, "\(value) is not a USB port path such as port:1-3.2")
                }
                target = .port(port)
            } else if value.isEmpty || value.contains(where: { $0.isWhitespace }) {
                throw file.error(entry, value.isEmpty ? "empty value for \(entry.key)" : "\"\(value)\" is not a serial number (it has spaces)")
            } else {
                target = .serial(value)
            }
            if let index = entries.firstIndex(where: { $0.name == entry.key }) {
                throw file.error(entry, "\(entry.key) is named twice (first on line \(lines[index]))")
            }
            if let index = entries.firstIndex(where: { $0.target.sameBoard(as: target) }) {
                throw file.error(entry, "\(entry.key) and \(entries[index].name) (line \(lines[index])) both name \(value); one name per board")
            }
            entries.append((entry.key, target))
            lines.append(entry.line)
        }
    }

    /// No names.
    init() {}

    /// The file to read: `explicit`, else `$PICOCTL_INVENTORY`, else the default in the config directory.
    static func location(explicit: String?) -> (path: String, required: Bool)? {
        if let explicit { return (explicit, true) }
        if let path = ProcessInfo.processInfo.environment["PICOCTL_INVENTORY"], !path.isEmpty { return (path, true) }
        return Config.directory.map { ($0 + "/boards.toml", false) }
    }

    /// Loads the inventory; a missing default file is an empty inventory, a missing named one an error.
    static func load(explicit: String? = nil) throws -> Inventory {
        guard let (path, required) = location(explicit: explicit) else { return Inventory() }
        guard let data = FileManager.default.contents(atPath: path) else {
            if required { throw ParseError(path: path, line: 0, reason: "cannot read the inventory file") }
            return Inventory()
        }
        return try Inventory(parsing: String(decoding: data, as: UTF8.self), path: path)
    }

    /// The inventory for a command: one rule for every command that reads it. A malformed file ends
    /// the command with exit 2, a named file that cannot be read with exit 3, the error printed once.
    static func loadOrExit(explicit: String?) throws -> Inventory {
        do {
            return try load(explicit: explicit)
        } catch let error as ParseError {
            Diagnostics.error("\(error)")
            throw (error.line == 0 ? ExitStatus.unreadable : .invalidInput).exitCode
        }
    }

    /// What `name` stands for, if it is a name here.
    func target(named name: String) -> Target? {
        entries.first { $0.name == name }?.target
    }

    /// The name of a board known by its USB serial (a unique id) and port path, as a tty's udev record gives them.
    func name(serial: String?, port: String?) -> String? {
        entries.first { entry in
            switch entry.target {
            case .serial(let id): serial?.uppercased() == id.uppercased()
            case .port(let path): port == path.description
            }
        }?.name
    }

    /// The name of a board, matched by unique serial (or `uniqueID`, the id learned for an RP2040 in
    /// BOOTSEL from its app serial) or by port path.
    func name(of board: PicoDevice, uniqueID: String? = nil) -> String? {
        entries.first { entry in
            switch entry.target {
            case .serial(let serial):
                (board.serialIsUnique && board.usb.serialNumber?.uppercased() == serial.uppercased())
                    || uniqueID?.uppercased() == serial.uppercased()
            case .port(let port):
                board.usb.portPath == port
            }
        }?.name
    }
}
