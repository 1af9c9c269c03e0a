/// Pico-family USB devices as sysfs describes them, with their device nodes and ttys.
public struct UsbScan: Sendable {
    /// One USB device with the Raspberry Pi vendor id.
    public struct Device: Hashable, Sendable, Codable {
        /// The sysfs name, which is also the USB port path (`1-3.2`).
        public var port: String
        /// Product id, 4 hex digits.
        public var productID: String
        /// The USB serial string, if any.
        public var serial: String?
        /// The product string, if any.
        public var product: String?
        /// `/dev/bus/usb/BBB/DDD`.
        public var node: String
        /// `/dev/ttyACMn` of each CDC interface.
        public var ttys: [String]

        /// True for a board in BOOTSEL mode.
        public var isBootsel: Bool { productID == "0003" || productID == "000f" }
    }

    /// The system to scan.
    public var root: SystemRoot

    /// The Raspberry Pi vendor id, as sysfs writes it.
    static let vendor = "2e8a"

    /// Every device under `/sys/bus/usb/devices` whose vendor is 2e8a, by port path.
    public func picoDevices() -> [Device] {
        let base = "/sys/bus/usb/devices"
        let names = root.list(base)
        return names.compactMap { name -> Device? in
            guard !name.contains(":"), !name.hasPrefix("usb"),
                  attribute(base, name, "idVendor") == Self.vendor,
                  let product = attribute(base, name, "idProduct"),
                  let bus = attribute(base, name, "busnum").flatMap({ Int($0) }),
                  let dev = attribute(base, name, "devnum").flatMap({ Int($0) }) else { return nil }
            let ttys = names.filter { $0.hasPrefix(name + ":") }.flatMap { interface in
                root.list("\(base)/\(interface)/tty").map { "/dev/" + $0 }
            }
            return Device(port: name, productID: product, serial: attribute(base, name, "serial"),
                          product: attribute(base, name, "product"),
                          node: "/dev/bus/usb/" + pad3(bus) + "/" + pad3(dev), ttys: ttys)
        }
    }

    private func attribute(_ base: String, _ name: String, _ key: String) -> String? {
        guard let text = root.read("\(base)/\(name)/\(key)") else { return nil }
        let trimmed = text.split(separator: "\n").first.map(String.init) ?? ""
        return trimmed.isEmpty ? nil : trimmed
    }

    private func pad3(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 3 - s.count)) + s
    }
}
