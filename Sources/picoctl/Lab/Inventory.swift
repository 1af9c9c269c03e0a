import Foundation
import PicoUSB

/// Board names from the inventory file: `bench-3 = "E6605481DB484636"` (a unique id or serial) or
/// `left-rig = "port:1-3.2"` (a USB port path), one per line, `#` comments; a small subset of TOML.
///
/// Found at `--inventory PATH`, else `$PICOCTL_INVENTORY`, else `$XDG_CONFIG_HOME/picoctl/boards.toml`
/// (default `~/.config/picoctl/boards.toml`); a missing default file means no names.
struct Inventory: Equatable {
    /// What a name stands for.
    enum Target: Equatable {
        case serial(String)
        case port(USBPortPath)
    }

    /// A line that is not `name = "value"`.
    struct ParseError: Error, CustomStringConvertible {
        var path: String
        var line: Int
        var reason: String
        var description: String { "\(path):\(line): \(reason)" }
    }

    /// Names in file order.
    var entries: [(name: String, target: Target)] = []

    static func == (lhs: Inventory, rhs: Inventory) -> Bool {
        lhs.entries.map(\.name) == rhs.entries.map(\.name) && lhs.entries.map(\.target) == rhs.entries.map(\.target)
    }

    /// Parses the text of an inventory file.
    init(parsing text: String, path: String = "inventory") throws {
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let parts = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw ParseError(path: path, line: index + 1, reason: "expected name = \"serial\" or name = \"port:1-3.2\"")
            }
            let value = parts[1].hasPrefix("\"") && parts[1].hasSuffix("\"") && parts[1].count >= 2
                ? String(parts[1].dropFirst().dropLast()) : parts[1]
            if value.hasPrefix("port:") {
                guard let port = USBPortPath(String(value.dropFirst(5))) else {
                    throw ParseError(path: path, line: index + 1, reason: "\(value) is not a USB port path such as port:1-3.2")
                }
                entries.append((parts[0], .port(port)))
            } else if !value.isEmpty {
                entries.append((parts[0], .serial(value)))
            } else {
                throw ParseError(path: path, line: index + 1, reason: "empty value for \(parts[0])")
            }
        }
    }

    /// No names.
    init() {}

    /// The file to read: `explicit`, else `$PICOCTL_INVENTORY`, else the default in the config directory.
    static func location(explicit: String?) -> (path: String, required: Bool)? {
        if let explicit { return (explicit, true) }
        let env = ProcessInfo.processInfo.environment
        if let path = env["PICOCTL_INVENTORY"], !path.isEmpty { return (path, true) }
        let config = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? env["HOME"].map { $0 + "/.config" }
        return config.map { ($0 + "/picoctl/boards.toml", false) }
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
            Terminal.error("picoctl: error: \(error)")
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
