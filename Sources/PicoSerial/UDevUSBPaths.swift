import CLibUDev

extension UDev {
    /// udev's persistent path (`ID_PATH`, e.g. `pci-0000:00:14.0-usb-0:1.3.2`) of every USB device that has
    /// one, by its port path (the device's sysfs name, `1-1.3.2`): what labgrid matches a USB port by.
    public func usbPathIDs() throws(SerialError) -> [String: String] {
        var paths: [String: String] = [:]
        try forEachDevice(subsystem: "usb", property: ("DEVTYPE", "usb_device")) { device in
            if let name = udev_device_get_sysname(device), let path = udev_device_get_property_value(device, "ID_PATH") {
                paths[String(cString: name)] = String(cString: path)
            }
        }
        return paths
    }

    /// The udev links of every USB tty that has some, by port path and then lowest interface first: what
    /// ser2net can open to follow a board across resets (the node, `ttyACM0`, may change; the links do not).
    public func usbSerialLinks() throws(SerialError) -> [USBSerialLinks] {
        var found: [USBSerialLinks] = []
        try forEachDevice(subsystem: "tty") { device in
            let properties = Self.properties(device)
            let devpath = udev_device_get_devpath(device).map { String(cString: $0) } ?? ""
            let links = (properties["DEVLINKS"] ?? "").split(separator: " ").map(String.init)
            if let port = SerialDevice.portPath(fromDevpath: devpath), !links.isEmpty {
                found.append(USBSerialLinks(portPath: port,
                                            interfaceNumber: properties["ID_USB_INTERFACE_NUM"].flatMap { Int($0, radix: 16) },
                                            links: links))
            }
        }
        return found.sorted { ($0.portPath, $0.interfaceNumber ?? Int.max) < ($1.portPath, $1.interfaceNumber ?? Int.max) }
    }

    /// Calls `body` with every device of `subsystem` (with `property` when given), through `udev_enumerate_scan_devices`.
    private func forEachDevice(subsystem: String, property: (String, String)? = nil,
                               _ body: (OpaquePointer) -> Void) throws(SerialError) {
        guard let enumerate = udev_enumerate_new(raw) else {
            throw .udevFailed(call: "udev_enumerate_new", errno: .current)
        }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, subsystem)
        if let (key, value) = property { udev_enumerate_add_match_property(enumerate, key, value) }
        let status = udev_enumerate_scan_devices(enumerate)
        guard status >= 0 else { throw .udevFailed(call: "udev_enumerate_scan_devices", errno: .init(rawValue: -status)) }
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            if let syspath = udev_list_entry_get_name(current), let device = udev_device_new_from_syspath(raw, syspath) {
                body(device)
                udev_device_unref(device)
            }
            entry = udev_list_entry_get_next(current)
        }
    }
}

/// The persistent links udev made for one USB tty (`DEVLINKS`: `/dev/serial/by-id/…`, `/dev/serial/by-path/…`).
public struct USBSerialLinks: Sendable, Equatable {
    /// The USB port path of the device the tty belongs to (`1-1.3.2`).
    public var portPath: String
    /// The tty's USB interface number (`ID_USB_INTERFACE_NUM`), when udev knows it.
    public var interfaceNumber: Int?
    /// The links, as udev lists them.
    public var links: [String]

    /// A tty's links from their parts.
    public init(portPath: String, interfaceNumber: Int?, links: [String]) {
        self.portPath = portPath
        self.interfaceNumber = interfaceNumber
        self.links = links
    }
}
