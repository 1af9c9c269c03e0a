/// A USB serial tty: where it is, whose it is, which board (read from sysfs, see `sysfs(syspath:)`).
public struct SerialDevice: Sendable, Hashable, CustomStringConvertible {
    /// The device node, e.g. `/dev/ttyACM0`.
    public var devnode: String
    /// The kernel device path below /sys, e.g. `/devices/pci0000:00/.../1-2:1.0/tty/ttyACM0` (empty when unknown).
    public var devpath: String
    /// USB vendor id (the device's `idVendor`).
    public var vendorID: UInt16?
    /// USB product id (`idProduct`).
    public var productID: UInt16?
    /// USB serial string (`serial`): the board's unique id for a pico-sdk app.
    public var serial: String?
    /// USB interface number of the CDC interface (the interface's `bInterfaceNumber`).
    public var interfaceNumber: Int?
    /// USB port path, bus and ports (`1-2.3`): stable across re-enumeration on the same port.
    public var portPath: String?
    /// USB product string (`product`; udev's `ID_MODEL` when sysfs has none).
    public var model: String?

    /// A device from its parts; only `devnode` is required.
    public init(devnode: String, devpath: String = "", vendorID: UInt16? = nil, productID: UInt16? = nil,
                serial: String? = nil, interfaceNumber: Int? = nil, portPath: String? = nil, model: String? = nil) {
        self.devnode = devnode
        self.devpath = devpath
        self.vendorID = vendorID
        self.productID = productID
        self.serial = serial
        self.interfaceNumber = interfaceNumber
        self.portPath = portPath ?? Self.portPath(fromDevpath: devpath)
        self.model = model
    }

    /// Builds a device from udev properties (the keys of a uevent or the udev database).
    public init(devnode: String, devpath: String, properties: [String: String]) {
        self.init(devnode: devnode, devpath: devpath,
                  vendorID: properties["ID_VENDOR_ID"].flatMap { UInt16($0, radix: 16) },
                  productID: properties["ID_MODEL_ID"].flatMap { UInt16($0, radix: 16) },
                  serial: properties["ID_SERIAL_SHORT"].flatMap { $0.isEmpty ? nil : $0 },
                  interfaceNumber: properties["ID_USB_INTERFACE_NUM"].flatMap { Int($0, radix: 16) },
                  model: properties["ID_MODEL"])
    }

    /// True when the vendor is Raspberry Pi (0x2e8a).
    public var isRaspberryPi: Bool { vendorID == 0x2E8A }

    /// The short name a person reads: serial when known, else the port path, else the node.
    public var name: String { serial ?? portPath.map { "usb:\($0)" } ?? devnode }

    /// `"/dev/ttyACM0 (2e8a:000a serial E66118604B2C3A2F, port 1-2, interface 0)"`.
    public var description: String {
        var parts: [String] = []
        if let vendorID, let productID { parts.append("\(hex4(vendorID)):\(hex4(productID))") }
        if let serial { parts.append("serial \(serial)") }
        if let portPath { parts.append("port \(portPath)") }
        if let interfaceNumber { parts.append("interface \(interfaceNumber)") }
        return parts.isEmpty ? devnode : "\(devnode) (\(parts.joined(separator: ", ")))"
    }

    /// The USB port path in a sysfs device path: the component before the interface (`1-2.3` in `.../1-2.3/1-2.3:1.0/tty/ttyACM0`).
    public static func portPath(fromDevpath devpath: String) -> String? {
        for component in devpath.split(separator: "/").reversed() {
            guard let colon = component.firstIndex(of: ":") else { continue }
            let head = component[..<colon]
            if isPortPath(head) { return String(head) }
        }
        return nil
    }

    static func isPortPath(_ text: Substring) -> Bool {
        guard let dash = text.firstIndex(of: "-") else { return false }
        let bus = text[..<dash], ports = text[text.index(after: dash)...]
        return !bus.isEmpty && bus.allSatisfy(\.isNumber) && !ports.isEmpty
            && ports.allSatisfy { $0.isNumber || $0 == "." } && ports.first != "." && ports.last != "."
    }

    private func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

/// Which board to follow: by serial, by USB port path, by tty node, or the only Raspberry Pi tty present.
public struct BoardIdentity: Sendable, Equatable, CustomStringConvertible {
    /// Match the USB serial (`ID_SERIAL_SHORT`), case-insensitively.
    public var serial: String?
    /// Match the USB port path (`1-2.3`).
    public var portPath: String?
    /// Match the device node (`/dev/ttyACM0`).
    public var devnode: String?

    /// An identity from any of its parts; none given means "any Raspberry Pi tty".
    public init(serial: String? = nil, portPath: String? = nil, devnode: String? = nil) {
        self.serial = serial
        self.portPath = portPath
        self.devnode = devnode
    }

    /// True when nothing was specified.
    public var isAny: Bool { serial == nil && portPath == nil && devnode == nil }

    /// Whether `device` is this board. "Any" matches Raspberry Pi CDC ttys only.
    public func matches(_ device: SerialDevice) -> Bool {
        if isAny { return device.isRaspberryPi && (device.interfaceNumber ?? 0) == 0 }
        if let serial, device.serial?.lowercased() != serial.lowercased() { return false }
        if let portPath, device.portPath != portPath { return false }
        if let devnode, device.devnode != devnode { return false }
        return true
    }

    /// The identity to keep following once `device` was found: its serial, else its port path, else its node.
    public func pinned(to device: SerialDevice) -> BoardIdentity {
        guard isAny else { return self }
        if let serial = device.serial { return BoardIdentity(serial: serial) }
        if let portPath = device.portPath { return BoardIdentity(portPath: portPath) }
        return BoardIdentity(devnode: device.devnode)
    }

    /// `serial E661…`, `port 1-2`, `/dev/ttyACM0` or `any Raspberry Pi board`.
    public var description: String {
        var parts: [String] = []
        if let serial { parts.append("serial \(serial)") }
        if let portPath { parts.append("port \(portPath)") }
        if let devnode { parts.append(devnode) }
        return parts.isEmpty ? "any Raspberry Pi board" : parts.joined(separator: ", ")
    }
}
