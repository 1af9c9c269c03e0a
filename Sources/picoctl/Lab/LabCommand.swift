import FoundationEssentials
import ArgumentParser
import PicoSerial
import PicoUSB

/// `picoctl lab`: picoctl's boards in lab tools.
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Put the boards of this host into lab tools (labgrid).",
        subcommands: [LabgridExporterCommand.self])
}

/// `picoctl lab labgrid-exporter`: a labgrid exporter configuration for the named boards present.
struct LabgridExporterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labgrid-exporter",
        abstract: "Print a labgrid exporter configuration (YAML) for the boards present and named in the inventory.",
        discussion: """
            One group per board, named as in the inventory, with a USBSerialPort `console` (matched by the \
            board's unique id, ID_SERIAL_SHORT, or for a board named by port, by the port's ID_PATH) and a \
            USBFlashableDevice `usb` matched by the port's ID_PATH, so the group serves the board in its app \
            and in BOOTSEL. Save it as the exporter's YAML: labgrid-exporter exporter.yaml. Exit 2 for an \
            unreadable inventory; a named board that is absent is left out with a note on stderr.

            With --ser2net FILE, FILE gets a ser2net configuration (YAML) that serves each board's console on a \
            fixed TCP port, --port-base plus the board's position in the inventory (0 for the first name), \
            through udev's link to its tty (/dev/serial/by-id/… for a board named by unique id, by-path for \
            one named by port; ser2net opens it per connection, so the port serves the board across resets). \
            The board's `console` is then a NetworkSerialPort on that port, host {{ hostname }} (the \
            exporter's --hostname). A board with no known link (no udev ID_PATH) keeps its USBSerialPort, \
            with a note on stderr. Exit 3 when FILE cannot be written.
            """)

    @Option(help: ArgumentHelp("The inventory file naming boards (default: $PICOCTL_INVENTORY, else ~/.config/picoctl/boards.toml).",
                               valueName: "path"))
    var inventory: String?

    @Option(help: ArgumentHelp("The console's baud rate in the configuration.", valueName: "baud"))
    var speed: Int = 115_200

    @Option(help: ArgumentHelp("Write a ser2net configuration (YAML) serving each board's console on a fixed port to this file.",
                               valueName: "path"))
    var ser2net: String?

    @Option(help: ArgumentHelp("With --ser2net: the TCP port of the inventory's first name; each next name gets the next port.",
                               valueName: "port"))
    var portBase: Int = Ser2netConsole.defaultPortBase

    func validate() throws {
        guard (1...65_535).contains(portBase) else { throw ValidationError("--port-base \(portBase) is not a TCP port (1-65535)") }
        if ser2net == "-" { throw ValidationError("--ser2net needs a file: standard output carries the exporter configuration") }
    }

    func run() throws {
        let names: Inventory
        do { names = try Inventory.load(explicit: inventory) } catch {
            Diagnostics.error("\(error)")
            throw ExitStatus.invalidInput.exitCode
        }
        if ser2net != nil, portBase + max(names.entries.count - 1, 0) > 65_535 {
            Diagnostics.error("--port-base \(portBase) leaves no port for the inventory's \(names.entries.count) names (the last port would be \(portBase + names.entries.count - 1))")
            throw ExitStatus.invalidInput.exitCode
        }
        try DeviceFailure.reporting {
            let scanned = try USBContext().scan()
            let udev = try? UDev()
            let pathIDs = (try? udev?.usbPathIDs()) ?? [:]
            let ttyLinks = ser2net == nil ? [] : (try? udev?.usbSerialLinks()) ?? []
            var learned: [USBPortPath: String] = [:]
            if names.entries.contains(where: { if case .serial = $0.target { true } else { false } }) {
                // An RP2040 in BOOTSEL shows no unique serial: read it so the inventory's unique id finds it.
                let unsure = scanned.filter { $0.board.mode == .bootsel && !$0.board.serialIsUnique }
                learned = ListCommand.probe(unsure).compactMapValues(\.uniqueID)
            }
            var groups: [LabgridGroup] = []
            for (_, board) in scanned {
                guard let name = names.name(of: board, uniqueID: learned[board.usb.portPath]),
                      !groups.contains(where: { $0.name == name }) else { continue }
                let uniqueID: String? = switch names.target(named: name) {
                case .serial(let id): id.uppercased()
                default: nil
                }
                let port = board.usb.portPath.description
                var group = LabgridGroup(name: name, uniqueID: uniqueID, portPath: port, idPath: pathIDs[port])
                if ser2net != nil, let index = names.entries.firstIndex(where: { $0.name == name }) {
                    let links = ttyLinks.first { $0.portPath == port }?.links ?? []
                    if let device = Ser2netConsole.link(namedByUniqueID: uniqueID != nil, ttyLinks: links, idPath: group.idPath) {
                        group.console = Ser2netConsole(name: name, device: device,
                                                       port: Ser2netConsole.port(base: portBase, inventoryIndex: index), speed: speed)
                    } else {
                        let why = group.idPath == nil ? "no ID_PATH" : "its link has characters ser2net would split on"
                        Diagnostics.warning("\(name): udev knows no link to its tty (\(why)); its console stays a USBSerialPort that labgrid's exporter serves")
                    }
                }
                groups.append(group)
            }
            for entry in names.entries where !groups.contains(where: { $0.name == entry.name }) {
                Diagnostics.warning("\(entry.name) is not present; left out")
            }
            if let ser2net {
                do {
                    try FileIO.write(Array(Ser2netConsole.configuration(groups.compactMap(\.console)).utf8), to: ser2net)
                } catch {
                    Diagnostics.error("\(error)")
                    throw ExitStatus.unreadable.exitCode
                }
            }
            Terminal.output(String(LabgridGroup.exporterYAML(groups, speed: speed).dropLast()))
        }
    }
}

/// One board as a labgrid exporter group.
struct LabgridGroup: Equatable {
    /// The inventory name: the group's name.
    var name: String
    /// The board's unique id (its app's USB serial), when the inventory names it by that.
    var uniqueID: String?
    /// The USB port path (`1-3.2`).
    var portPath: String
    /// udev's `ID_PATH` of the USB port, when udev knows one.
    var idPath: String?
    /// The console served by ser2net on a fixed port (`--ser2net`), else labgrid's USBSerialPort export.
    var console: Ser2netConsole?

    /// The exporter YAML for `groups`: a `console` (USBSerialPort, or a NetworkSerialPort for a console that
    /// ser2net serves on a fixed port) and a `usb` (USBFlashableDevice) each.
    static func exporterYAML(_ groups: [LabgridGroup], speed: Int) -> String {
        // labgrid reads the file as a Jinja2 template whose line statements start with `#`: comments start with `##`.
        var out = "## labgrid exporter configuration from `picoctl lab labgrid-exporter`: one group per board.\n"
        if groups.isEmpty { return out + "{}\n" }
        for group in groups {
            // The USB device at the board's port, in any mode; udev's ID_PATH when it has one, else its sysfs name.
            let port = group.idPath.map { [("ID_PATH", $0)] } ?? [("sys_name", group.portPath)]
            let console = group.uniqueID.map { [("ID_SERIAL_SHORT", $0)] } ?? port.map { ("@" + $0.0, $0.1) }
            out += "\(group.name):\n"
            if let fixed = group.console {
                // An export class labgrid's exporter does not know is published as it is, always available.
                out += "  console:\n    cls: NetworkSerialPort\n    host: \"{{ hostname }}\"\n"
                out += "    port: \(fixed.port)\n    speed: \(fixed.speed)\n    protocol: rfc2217\n"
            } else {
                out += "  console:\n    cls: USBSerialPort\n    match:\n"
                out += console.map { "      \(quoted($0.0)): \(quoted($0.1))\n" }.joined()
                out += "    speed: \(speed)\n"
            }
            out += "  usb:\n    cls: USBFlashableDevice\n    match:\n"
            out += (port + [("DEVTYPE", "usb_device")]).map { "      \(quoted($0.0)): \(quoted($0.1))\n" }.joined()
        }
        return out
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
