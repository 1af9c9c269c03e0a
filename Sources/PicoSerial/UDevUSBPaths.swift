import CLibUDev

extension UDev {
    /// udev's persistent path (`ID_PATH`, e.g. `pci-0000:00:14.0-usb-0:1.3.2`) of every USB device that has
    /// one, by its port path (the device's sysfs name, `1-1.3.2`): what labgrid matches a USB port by.
    public func usbPathIDs() throws(SerialError) -> [String: String] {
        guard let enumerate = udev_enumerate_new(raw) else {
            throw .udevFailed(call: "udev_enumerate_new", errno: .current)
        }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, "usb")
        udev_enumerate_add_match_property(enumerate, "DEVTYPE", "usb_device")
        let status = udev_enumerate_scan_devices(enumerate)
        guard status >= 0 else { throw .udevFailed(call: "udev_enumerate_scan_devices", errno: .init(rawValue: -status)) }
        var paths: [String: String] = [:]
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            if let syspath = udev_list_entry_get_name(current), let device = udev_device_new_from_syspath(raw, syspath) {
                if let name = udev_device_get_sysname(device), let path = udev_device_get_property_value(device, "ID_PATH") {
                    paths[String(cString: name)] = String(cString: path)
                }
                udev_device_unref(device)
            }
            entry = udev_list_entry_get_next(current)
        }
        return paths
    }
}
