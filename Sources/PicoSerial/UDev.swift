import CLibUDev
import SystemPackage

/// A libudev context (`udev_new`/`udev_unref`). Devices and monitors keep their context alive.
public final class UDev: @unchecked Sendable {
    let raw: OpaquePointer

    /// Creates a context with `udev_new`.
    public init() throws(SerialError) {
        guard let raw = udev_new() else { throw .udevFailed(call: "udev_new", errno: .current) }
        self.raw = raw
    }

    deinit { udev_unref(raw) }

    /// Every tty that belongs to a USB device, through `udev_enumerate_scan_devices` on subsystem `tty`
    /// (which lists sysfs); each identified from sysfs.
    public func serialDevices() throws(SerialError) -> [SerialDevice] {
        guard let enumerate = udev_enumerate_new(raw) else {
            throw .udevFailed(call: "udev_enumerate_new", errno: .current)
        }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, "tty")
        let status = udev_enumerate_scan_devices(enumerate)
        guard status >= 0 else { throw .udevFailed(call: "udev_enumerate_scan_devices", errno: Errno(rawValue: -status)) }
        var devices: [SerialDevice] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            if let syspath = udev_list_entry_get_name(current),
               let device = udev_device_new_from_syspath(raw, syspath) {
                if let serial = Self.serialDevice(device) { devices.append(serial) }
                udev_device_unref(device)
            }
            entry = udev_list_entry_get_next(current)
        }
        return devices.sorted { $0.devnode < $1.devnode }
    }

    /// The `SerialDevice` for a `udev_device`, or nil when it is not a USB tty with a node.
    ///
    /// Its identity comes from sysfs (`SerialDevice.sysfs(syspath:)`), whatever the udev database
    /// says. A `remove` event, and a tty whose sysfs directories go away while they are read, are
    /// described by the event's properties.
    static func serialDevice(_ device: OpaquePointer) -> SerialDevice? {
        guard let node = udev_device_get_devnode(device) else { return nil }
        return serialDevice(devnode: String(cString: node),
                            syspath: udev_device_get_syspath(device).map { String(cString: $0) },
                            devpath: udev_device_get_devpath(device).map { String(cString: $0) } ?? "",
                            properties: Self.properties(device),
                            removed: udev_device_get_action(device).map { String(cString: $0) } == "remove")
    }

    /// The same from the device's parts; `removed` for a `remove` event.
    ///
    /// A `remove` arrives while sysfs is still being torn down, one file at a time (the tty's directory can
    /// outlive its interface's and device's attributes): sysfs is not read for it, and a sysfs read that
    /// finds no USB parent does not hide a tty whose properties say it is one. Otherwise the follower
    /// would drop the event and never learn that its board left.
    static func serialDevice(devnode: String, syspath: String?, devpath: String, properties: [String: String],
                             removed: Bool) -> SerialDevice? {
        if !removed, let syspath, SysfsDirectory.existing(.init(syspath)) != nil,
           let device = SerialDevice.sysfs(syspath: syspath, devnode: devnode, properties: properties) {
            return device
        }
        guard SerialDevice.portPath(fromDevpath: devpath) != nil || properties["ID_BUS"] == "usb" else { return nil }
        return SerialDevice(devnode: devnode, devpath: devpath, properties: properties)
    }

    /// Every property of a device (`udev_device_get_properties_list_entry`).
    static func properties(_ device: OpaquePointer) -> [String: String] {
        var result: [String: String] = [:]
        var entry = udev_device_get_properties_list_entry(device)
        while let current = entry {
            if let name = udev_list_entry_get_name(current) {
                result[String(cString: name)] = udev_list_entry_get_value(current).map { String(cString: $0) } ?? ""
            }
            entry = udev_list_entry_get_next(current)
        }
        return result
    }
}

/// What a hotplug event did to a tty.
public enum HotplugAction: String, Sendable {
    /// The tty appeared.
    case add
    /// The tty went away.
    case remove
    /// udev changed its properties or permissions.
    case change
}

/// A tty hotplug event: what happened, to which device, and when we received it.
public struct HotplugEvent: Sendable, Equatable {
    /// What happened.
    public var action: HotplugAction
    /// The device it happened to (on `remove`, as the event described it).
    public var device: SerialDevice
    /// Monotonic nanoseconds at which the event was read from the netlink socket.
    public var receivedAt: Int64

    /// An event from its parts.
    public init(action: HotplugAction, device: SerialDevice, receivedAt: Int64) {
        self.action = action
        self.device = device
        self.receivedAt = receivedAt
    }
}

/// A udev monitor on the tty subsystem (`udev_monitor_new_from_netlink`): wait on `fileDescriptor` with poll, then `receive()`.
public final class HotplugMonitor: @unchecked Sendable {
    private let udev: UDev
    private let raw: OpaquePointer

    /// Starts listening for tty events from udevd (`"udev"` source: properties already applied).
    public init(udev: UDev) throws(SerialError) {
        guard let raw = udev_monitor_new_from_netlink(udev.raw, "udev") else {
            throw .udevFailed(call: "udev_monitor_new_from_netlink", errno: .current)
        }
        self.udev = udev
        self.raw = raw
        udev_monitor_filter_add_match_subsystem_devtype(raw, "tty", nil)
        let status = udev_monitor_enable_receiving(raw)
        guard status >= 0 else {
            udev_monitor_unref(raw)
            throw .udevFailed(call: "udev_monitor_enable_receiving", errno: Errno(rawValue: -status))
        }
    }

    deinit { udev_monitor_unref(raw) }

    /// The non-blocking netlink socket to poll for `POLLIN`.
    public var fileDescriptor: FileDescriptor { FileDescriptor(rawValue: udev_monitor_get_fd(raw)) }

    /// The next pending event for a USB tty, or nil when none is queued (never blocks).
    public func receive() -> HotplugEvent? {
        while let device = udev_monitor_receive_device(raw) {
            defer { udev_device_unref(device) }
            let now = Timestamp.monotonicNow()
            guard let actionName = udev_device_get_action(device),
                  let action = HotplugAction(rawValue: String(cString: actionName)),
                  let serial = UDev.serialDevice(device) else { continue }
            return HotplugEvent(action: action, device: serial, receivedAt: now)
        }
        return nil
    }

    /// Every event already queued, in order.
    public func drain() -> [HotplugEvent] {
        var events: [HotplugEvent] = []
        while let event = receive() { events.append(event) }
        return events
    }
}
