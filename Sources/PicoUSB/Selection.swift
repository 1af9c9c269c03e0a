/// Which board a device command should act on: `--serial`, `--port`, `--bus`/`--address`.
public struct BoardSelector: Hashable, Sendable, CustomStringConvertible {
    /// A serial number or unique id, compared case-insensitively.
    public var serial: String?
    /// A USB port path such as `1-3.2`.
    public var port: USBPortPath?
    /// A bus number.
    public var bus: UInt8?
    /// A device address (with `bus`).
    public var address: UInt8?

    /// A selector from its parts; all nil selects every board.
    public init(serial: String? = nil, port: USBPortPath? = nil, bus: UInt8? = nil, address: UInt8? = nil) {
        self.serial = serial
        self.port = port
        self.bus = bus
        self.address = address
    }

    /// True when no criterion is set.
    public var isEmpty: Bool { serial == nil && port == nil && bus == nil && address == nil }

    /// True when the device meets every criterion that is set.
    public func matches(_ device: PicoDevice) -> Bool {
        if let serial, device.usb.serialNumber?.uppercased() != serial.uppercased() { return false }
        if let port, device.usb.portPath != port { return false }
        if let bus, device.usb.bus != bus { return false }
        if let address, device.usb.address != address { return false }
        return true
    }

    /// `--serial X --port 1-3.2`, as the user typed it.
    public var description: String {
        var parts: [String] = []
        if let serial { parts.append("--serial \(serial)") }
        if let port { parts.append("--port \(port)") }
        if let bus { parts.append("--bus \(bus)") }
        if let address { parts.append("--address \(address)") }
        return parts.isEmpty ? "(no selector)" : parts.joined(separator: " ")
    }
}

/// The outcome of choosing one board among those on the bus.
public enum BoardSelection: Hashable, Sendable {
    /// Exactly one board matched.
    case one(PicoDevice)
    /// No board matched; `candidates` are the boards that were there.
    case none(candidates: [PicoDevice])
    /// Several matched and nothing narrowed it down.
    case several([PicoDevice])

    /// Chooses among the flashable boards (BOOTSEL or app) that `selector` matches.
    public init(selecting selector: BoardSelector, from devices: [PicoDevice]) {
        let candidates = devices.filter(\.isFlashable)
        let matching = candidates.filter(selector.matches)
        switch matching.count {
        case 0: self = .none(candidates: candidates)
        case 1: self = .one(matching[0])
        default: self = .several(matching)
        }
    }
}
