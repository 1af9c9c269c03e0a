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
