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
            """)

    @Option(help: ArgumentHelp("The inventory file naming boards (default: $PICOCTL_INVENTORY, else ~/.config/picoctl/boards.toml).",
                               valueName: "path"))
    var inventory: String?

    @Option(help: ArgumentHelp("The console's baud rate in the configuration.", valueName: "baud"))
    var speed: Int = 115_200

    func run() throws {
        let names: Inventory
        do { names = try Inventory.load(explicit: inventory) } catch {
            Diagnostics.error("\(error)")
            throw ExitStatus.invalidInput.exitCode
        }
        try DeviceFailure.reporting {
            let scanned = try USBContext().scan()
            let pathIDs = (try? UDev().usbPathIDs()) ?? [:]
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
                groups.append(LabgridGroup(name: name, uniqueID: uniqueID, portPath: board.usb.portPath.description,
                                           idPath: pathIDs[board.usb.portPath.description]))
            }
            for entry in names.entries where !groups.contains(where: { $0.name == entry.name }) {
                Diagnostics.warning("\(entry.name) is not present; left out")
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

    /// The exporter YAML for `groups`: a `console` (USBSerialPort) and a `usb` (USBFlashableDevice) each.
    static func exporterYAML(_ groups: [LabgridGroup], speed: Int) -> String {
        // labgrid reads the file as a Jinja2 template whose line statements start with `#`: comments start with `##`.
        var out = "## labgrid exporter configuration from `picoctl lab labgrid-exporter`: one group per board.\n"
        if groups.isEmpty { return out + "{}\n" }
        for group in groups {
            // The USB device at the board's port, in any mode; udev's ID_PATH when it has one, else its sysfs name.
            let port = group.idPath.map { [("ID_PATH", $0)] } ?? [("sys_name", group.portPath)]
            let console = group.uniqueID.map { [("ID_SERIAL_SHORT", $0)] } ?? port.map { ("@" + $0.0, $0.1) }
            out += "\(group.name):\n"
            out += "  console:\n    cls: USBSerialPort\n    match:\n"
            out += console.map { "      \(quoted($0.0)): \(quoted($0.1))\n" }.joined()
            out += "    speed: \(speed)\n"
            out += "  usb:\n    cls: USBFlashableDevice\n    match:\n"
            out += (port + [("DEVTYPE", "usb_device")]).map { "      \(quoted($0.0)): \(quoted($0.1))\n" }.joined()
        }
        return out
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
