import PicoSerial

/// A board's console served by ser2net on a fixed TCP port through udev's persistent link to its tty.
///
/// ser2net opens the device when a client connects, so a connection made after a board reset (new
/// `ttyACM` node, same link) reaches the board again on the same port; labgrid's own `USBSerialPort`
/// export starts ser2net on a new free port each time the tty comes back.
struct Ser2netConsole: Equatable {
    /// The inventory name of the board.
    var name: String
    /// The link ser2net opens (`/dev/serial/by-id/…` or `/dev/serial/by-path/…`).
    var device: String
    /// The TCP port ser2net listens on.
    var port: Int
    /// The console's baud rate.
    var speed: Int

    /// The default of `--port-base`: below Linux's ephemeral range (32768-60999), where labgrid's own
    /// exports pick their ports.
    static let defaultPortBase = 30_000

    /// The port of the board at `index` in the inventory: one port per inventory entry, present or not,
    /// so adding names at the end keeps every other board's port.
    static func port(base: Int, inventoryIndex index: Int) -> Int { base + index }

    /// The link for a board's tty: for a board named by unique id its `by-id` link (it follows the board
    /// to any port), for one named by port its `by-path` link; from udev's links of the tty present now
    /// (`ttyLinks`, lowest interface first), else, with no tty (a board in BOOTSEL), the `by-path` link
    /// udev's 60-serial.rules makes for the CDC interface 0 at the port's `ID_PATH`. Nil when neither is
    /// known (no udev database: no links either).
    static func link(namedByUniqueID: Bool, ttyLinks: [String], idPath: String?) -> String? {
        let byID = ttyLinks.first { $0.hasPrefix("/dev/serial/by-id/") }
        let byPath = ttyLinks.first { $0.hasPrefix("/dev/serial/by-path/") } ?? idPath.map { "/dev/serial/by-path/\($0):1.0" }
        let chosen = namedByUniqueID ? byID ?? byPath : byPath ?? byID
        return chosen.flatMap { isPlainPath($0) ? $0 : nil }
    }

    /// True for a path ser2net's connector string and a YAML plain scalar both take as it is
    /// (udev's link names: letters, digits and `#+-.:=@_/\`, no spaces or commas).
    static func isPlainPath(_ path: String) -> Bool {
        path.hasPrefix("/") && path.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "#+-.:=@_/\\".unicodeScalars.contains(scalar))
        }
    }

    /// A ser2net 4 configuration (YAML, as `ser2net -c FILE` and Debian's ser2net.service read it): one
    /// connection per console, RFC 2217 on all addresses, the device opened per connection as labgrid's
    /// exporter starts ser2net (no UUCP lock, `local`: modem lines ignored, up to 10 clients).
    static func configuration(_ consoles: [Ser2netConsole]) -> String {
        var out = """
            %YAML 1.1
            ---
            # ser2net configuration from `picoctl lab labgrid-exporter --ser2net`: one connection per board,
            # on a fixed TCP port, through udev's link to the board's tty (opened per connection, so it
            # follows the board across resets).

            """
        if consoles.isEmpty { return out + "{}\n" }   // no connections: an empty mapping (an empty document is an error to ser2net)
        var anchors: Set<String> = []
        for console in consoles {
            var anchor = String(console.name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
            if anchor.isEmpty || anchors.contains(anchor) { anchor += "-\(console.port)" }
            anchors.insert(anchor)
            out += """

                connection: &\(anchor)
                  accepter: telnet(rfc2217,mode=server),tcp,\(console.port)
                  connector: serialdev(nouucplock=true),\(console.device),\(console.speed)n81,local
                  options:
                    max-connections: 10

                """
        }
        return out
    }
}
