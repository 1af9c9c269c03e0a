import Foundation
import Testing
@testable import PicoSerial

/// A tty's identity read from a sysfs tree (a copy of a real one's layout in a temporary folder).
@Suite struct USBTTYTests {
    /// `…/usb1/1-3.2/1-3.2:1.N/tty/ttyACMn` with the device's and interface's attributes.
    static func tree(_ root: URL, port: String = "1-3.2", interface: String = "00", tty: String = "ttyACM0") throws -> String {
        let device = root.appendingPathComponent("devices/pci0000:00/0000:00:14.0/usb1/\(port)")
        let ttyDirectory = device.appendingPathComponent("\(port):1.\(Int(interface, radix: 16)!)/tty/\(tty)")
        try FileManager.default.createDirectory(at: ttyDirectory, withIntermediateDirectories: true)
        for (name, value) in ["idVendor": "2e8a", "idProduct": "000a", "serial": "E66118604B2C3A2F", "product": "Pico"] {
            try "\(value)\n".write(to: device.appendingPathComponent(name), atomically: false, encoding: .utf8)
        }
        try "\(interface)\n".write(to: ttyDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("bInterfaceNumber"), atomically: false, encoding: .utf8)
        try "166:0\n".write(to: ttyDirectory.appendingPathComponent("dev"), atomically: false, encoding: .utf8)
        return ttyDirectory.path
    }

    @Test func identityComesFromTheParentInterfaceAndDevice() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("usbtty-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let syspath = try Self.tree(root, interface: "02")
        let device = try #require(SerialDevice.sysfs(syspath: syspath, properties: ["ID_SERIAL_SHORT": "X", "ID_VENDOR_ID": "1209"]))
        #expect(device.devnode == "/dev/ttyACM0")
        #expect(device.vendorID == 0x2E8A && device.productID == 0x000A)
        #expect(device.serial == "E66118604B2C3A2F", "sysfs wins over a stale udev property")
        #expect(device.interfaceNumber == 2)
        #expect(device.portPath == "1-3.2")
        #expect(device.model == "Pico")
    }

    @Test func aTTYOutsideUSBHasNoIdentity() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("usbtty-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let tty = root.appendingPathComponent("devices/platform/serial8250/tty/ttyS0")
        try FileManager.default.createDirectory(at: tty, withIntermediateDirectories: true)
        #expect(SerialDevice.sysfs(syspath: tty.path) == nil)
        #expect(SerialDevice.sysfs(syspath: root.appendingPathComponent("gone/tty/ttyACM9").path) == nil)
    }
}

/// How a udev event or enumeration entry becomes a `SerialDevice` (`UDev.serialDevice`).
@Suite struct UDevSerialDeviceTests {
    static let properties = ["DEVNAME": "/dev/ttyACM0", "ID_BUS": "usb", "ID_VENDOR_ID": "2e8a", "ID_MODEL_ID": "000a",
                             "ID_SERIAL_SHORT": "E66118604B2C3A2F", "ID_USB_INTERFACE_NUM": "00", "SUBSYSTEM": "tty"]

    /// The kernel sends a tty's `remove` before its sysfs directories are gone, and they go one file at a
    /// time: the tty's own directory can still be there while its interface and device have lost their
    /// attributes. The event must still describe the tty (from its properties), or the follower never
    /// learns that its board left.
    @Test func aRemoveWhileSysfsIsHalfGoneStillDescribesTheTTY() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("usbtty-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let syspath = try USBTTYTests.tree(root)
        let interface = URL(fileURLWithPath: syspath).deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.removeItem(at: interface.appendingPathComponent("bInterfaceNumber"))
        try FileManager.default.removeItem(at: interface.deletingLastPathComponent().appendingPathComponent("idVendor"))
        let devpath = "/devices/pci0000:00/0000:00:14.0/usb1/1-3.2/1-3.2:1.0/tty/ttyACM0"

        let removed = try #require(UDev.serialDevice(devnode: "/dev/ttyACM0", syspath: syspath, devpath: devpath,
                                                     properties: Self.properties, removed: true))
        #expect(removed.devnode == "/dev/ttyACM0")
        #expect(removed.serial == "E66118604B2C3A2F" && removed.portPath == "1-3.2")
        // Any other event read while the tree is half gone falls back to the properties as well.
        let changed = try #require(UDev.serialDevice(devnode: "/dev/ttyACM0", syspath: syspath, devpath: devpath,
                                                     properties: Self.properties, removed: false))
        #expect(changed.devnode == "/dev/ttyACM0" && changed.serial == "E66118604B2C3A2F")
    }

    /// A `remove` is described by what udev knew, never by a sysfs directory that is leaving (or, once
    /// gone, was reused by the next device on that path).
    @Test func aRemoveIgnoresSysfsEvenWhenItIsComplete() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("usbtty-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let syspath = try USBTTYTests.tree(root)
        var properties = Self.properties
        properties["ID_SERIAL_SHORT"] = "0000000000000001"
        let removed = try #require(UDev.serialDevice(devnode: "/dev/ttyACM0", syspath: syspath,
                                                     devpath: "/devices/pci0000:00/0000:00:14.0/usb1/1-3.2/1-3.2:1.0/tty/ttyACM0",
                                                     properties: properties, removed: true))
        #expect(removed.serial == "0000000000000001")
        let present = try #require(UDev.serialDevice(devnode: "/dev/ttyACM0", syspath: syspath, devpath: "", properties: properties,
                                                     removed: false))
        #expect(present.serial == "E66118604B2C3A2F", "a tty that is present is read from sysfs")
    }

    @Test func aTTYOutsideUSBIsNoSerialDevice() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("usbtty-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let tty = root.appendingPathComponent("devices/platform/serial8250/tty/ttyS0")
        try FileManager.default.createDirectory(at: tty, withIntermediateDirectories: true)
        for removed in [false, true] {
            #expect(UDev.serialDevice(devnode: "/dev/ttyS0", syspath: tty.path, devpath: "/devices/platform/serial8250/tty/ttyS0",
                                      properties: ["SUBSYSTEM": "tty"], removed: removed) == nil)
        }
    }
}
