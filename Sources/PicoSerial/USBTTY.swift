/// Which board a tty belongs to, read from sysfs: the tty's parent USB interface (its number) and
/// that interface's device (vendor and product id, serial, product string, port path).
///
/// The one place every command learns a tty's identity: `list` and the device commands (from the
/// USB device down to its ttys) and `monitor` (from a tty up to its device) both come here, so a
/// stale or absent udev database cannot hide or misname a board. udev properties only fill in
/// what sysfs lacks.
///
/// ```swift
/// let ttys = SerialDevice.sysfsTTYs(usbPort: "1-3.2")     // [/dev/ttyACM0 (2e8a:000a serial E661…, interface 0)]
/// ```
extension SerialDevice {
    /// The tty whose sysfs directory is `syspath` (`/sys/devices/…/1-2/1-2:1.0/tty/ttyACM0`), when it
    /// sits below a USB interface; nil for other ttys and when the directory is gone.
    ///
    /// `devnode` defaults to `/dev/` and the tty's name; `properties` (udev's) only supply the product
    /// name when sysfs has none.
    public static func sysfs(syspath: String, devnode: String? = nil, properties: [String: String] = [:]) -> SerialDevice? {
        let tty = SysfsDirectory(.init(syspath))
        // The interface is a few levels up: `1-2:1.0/tty/ttyACM0`, or `1-2:1.0/ttyUSB0/tty/ttyUSB0`.
        var candidate = tty.parent
        var interface: SysfsDirectory?
        for _ in 0..<4 {
            guard let directory = candidate else { break }
            if directory.attribute("bInterfaceNumber") != nil { interface = directory; break }
            candidate = directory.parent
        }
        guard let interface, let usb = interface.parent, let vendor = usb.attribute("idVendor") else { return nil }
        let devpath = syspath.hasPrefix("/sys/") ? String(syspath.dropFirst(4)) : syspath
        return SerialDevice(
            devnode: devnode ?? "/dev/" + tty.name, devpath: devpath,
            vendorID: UInt16(vendor, radix: 16), productID: usb.attribute("idProduct").flatMap { UInt16($0, radix: 16) },
            serial: usb.attribute("serial"),
            interfaceNumber: interface.attribute("bInterfaceNumber").flatMap { Int($0, radix: 16) },
            portPath: isPortPath(Substring(usb.name)) ? usb.name : portPath(fromDevpath: devpath),
            model: usb.attribute("product") ?? properties["ID_MODEL"])
    }

    /// Every tty of the USB device at port path `portPath` (`1-3.2`), in interface order.
    public static func sysfsTTYs(usbPort portPath: String) -> [SerialDevice] {
        guard let usb = SysfsDirectory.usbDevice(portPath: portPath) else { return [] }
        return usb.entries.filter { $0.hasPrefix(portPath + ":") }.flatMap { name in
            let ttys = usb.appending(name).appending("tty")
            return ttys.entries.compactMap { sysfs(syspath: ttys.appending($0).path.string) }
        }
    }
}
