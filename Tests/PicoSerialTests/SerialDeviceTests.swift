import Testing
@testable import PicoSerial

/// A Pico app tty as udev reports it on a real machine.
func picoTTY(_ node: String = "/dev/ttyACM0", serial: String? = "E66118604B2C3A2F", port: String = "1-2",
             interface: String = "00") -> SerialDevice {
    SerialDevice(devnode: node,
                 devpath: "/devices/pci0000:00/0000:00:14.0/usb1/\(port)/\(port):1.0/tty/\(node.split(separator: "/").last!)",
                 properties: ["ID_VENDOR_ID": "2e8a", "ID_MODEL_ID": "000a", "ID_USB_INTERFACE_NUM": interface,
                              "ID_MODEL": "Pico", "SUBSYSTEM": "tty"].merging(serial.map { ["ID_SERIAL_SHORT": $0] } ?? [:]) { a, _ in a })
}

@Suite struct SerialDeviceTests {
    @Test func propertiesBecomeFields() {
        let device = picoTTY()
        #expect(device.vendorID == 0x2E8A)
        #expect(device.productID == 0x000A)
        #expect(device.serial == "E66118604B2C3A2F")
        #expect(device.interfaceNumber == 0)
        #expect(device.portPath == "1-2")
        #expect(device.model == "Pico")
        #expect(device.isRaspberryPi)
        #expect(device.description == "/dev/ttyACM0 (2e8a:000a, serial E66118604B2C3A2F, port 1-2, interface 0)")
    }

    @Test(arguments: [
        ("/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/tty/ttyACM0", "1-2"),
        ("/devices/pci0000:00/0000:00:14.0/usb3/3-1/3-1.4/3-1.4.2/3-1.4.2:1.0/tty/ttyACM7", "3-1.4.2"),
        ("/devices/platform/soc/fe980000.usb/usb1/1-1/1-1.3/1-1.3:1.0/tty/ttyACM1", "1-1.3"),
    ])
    func portPathComesFromTheDevpath(devpath: String, port: String) {
        #expect(SerialDevice.portPath(fromDevpath: devpath) == port)
    }

    @Test func noPortPathOutsideUSB() {
        #expect(SerialDevice.portPath(fromDevpath: "/devices/pnp0/00:04/tty/ttyS0") == nil)
        #expect(SerialDevice.portPath(fromDevpath: "") == nil)
        #expect(SerialDevice(devnode: "/dev/pts/3").name == "/dev/pts/3")
    }

    @Test func identityMatchesBySerialPortOrNode() {
        let device = picoTTY()
        #expect(BoardIdentity(serial: "e66118604b2c3a2f").matches(device))
        #expect(!BoardIdentity(serial: "0000000000000000").matches(device))
        #expect(BoardIdentity(portPath: "1-2").matches(device))
        #expect(!BoardIdentity(portPath: "1-2.1").matches(device))
        #expect(BoardIdentity(devnode: "/dev/ttyACM0").matches(device))
        #expect(!BoardIdentity(serial: "E66118604B2C3A2F", portPath: "1-3").matches(device))
    }

    @Test func anyMatchesOnlyRaspberryPiCDC() {
        #expect(BoardIdentity().matches(picoTTY()))
        #expect(!BoardIdentity().matches(picoTTY(interface: "02")))
        var ftdi = picoTTY()
        ftdi.vendorID = 0x0403
        #expect(!BoardIdentity().matches(ftdi))
    }

    @Test func anyIsPinnedToTheFirstBoardFound() {
        #expect(BoardIdentity().pinned(to: picoTTY()) == BoardIdentity(serial: "E66118604B2C3A2F"))
        #expect(BoardIdentity().pinned(to: picoTTY(serial: nil)) == BoardIdentity(portPath: "1-2"))
        #expect(BoardIdentity(portPath: "1-2").pinned(to: picoTTY()) == BoardIdentity(portPath: "1-2"))
    }

    @Test func errorsCarryTheFix() {
        #expect(SerialError.openFailed(path: "/dev/ttyACM0", errno: .permissionDenied).description.contains("dialout"))
        #expect(SerialError.openFailed(path: "/dev/ttyACM0", errno: .noSuchFileOrDirectory).isDisconnect)
        #expect(SerialError.ioFailed(path: "/dev/ttyACM0", call: "read", errno: .ioError).isDisconnect)
        #expect(!SerialError.unsupportedBaud(12).isDisconnect)
        #expect(SerialError.unsupportedBaud(12).description.contains("115200"))
    }
}
