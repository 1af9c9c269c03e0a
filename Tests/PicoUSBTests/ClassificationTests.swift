import Testing
import UF2
@testable import PicoUSB

/// Descriptions of the devices of pico-facts §1, as the classifier sees them.
enum Fixtures {
    static let picoboot = USBInterface(number: 1, classTriple: .picoboot, endpoints: [
        USBEndpoint(address: 0x03, attributes: 2, maxPacketSize: 64), USBEndpoint(address: 0x84, attributes: 2, maxPacketSize: 64)])
    static let massStorage = USBInterface(number: 0, classTriple: .massStorage, endpoints: [
        USBEndpoint(address: 0x81, attributes: 2, maxPacketSize: 64), USBEndpoint(address: 0x02, attributes: 2, maxPacketSize: 64)])
    static let cdc = [USBInterface(number: 0, classTriple: .cdcControl, endpoints: [USBEndpoint(address: 0x81, attributes: 3, maxPacketSize: 8)]),
                      USBInterface(number: 1, classTriple: USBClassTriple(0x0a, 0, 0), endpoints: [])]
    static let reset = USBInterface(number: 2, classTriple: .resetInterface, endpoints: [])

    static func device(_ vid: UInt16, _ pid: UInt16, _ interfaces: [USBInterface], serial: String? = nil,
                       port: String = "1-3", usbVersion: UInt16 = 0x0200, address: UInt8 = 5) -> USBDeviceDescription {
        let path = USBPortPath(port)!
        return USBDeviceDescription(vendorID: vid, productID: pid, usbVersion: usbVersion, bus: path.bus, address: address,
                                    portPath: path, interfaces: interfaces, serialNumber: serial)
    }

    static func rp2040Bootsel(port: String = "1-3", address: UInt8 = 5) -> PicoDevice {
        PicoDevice(classifying: device(0x2e8a, 0x0003, [massStorage, picoboot], serial: "E0C912D24340", port: port, address: address))!
    }
    static func rp2350Bootsel(serial: String = "A1B2C3D4E5F60718", port: String = "1-4") -> PicoDevice {
        PicoDevice(classifying: device(0x2e8a, 0x000f, [massStorage, picoboot], serial: serial, port: port))!
    }
    static func rp2040App(serial: String = "E6605481DB484636", port: String = "1-3") -> PicoDevice {
        PicoDevice(classifying: device(0x2e8a, 0x000a, cdc + [reset], serial: serial, port: port))!
    }
}

@Suite struct ClassificationTests {
    @Test(arguments: [
        (UInt16(0x2e8a), UInt16(0x0003), PicoMode.bootsel, "rp2040"),
        (0x2e8a, 0x000f, .bootsel, "rp2350"),
        (0x2e8a, 0x000a, .app, "rp2040"),
        (0x2e8a, 0x0009, .app, "rp2350"),
        (0x1209, 0xc0de, .app, nil),
        (0x2e8a, 0x0005, .micropython, nil),
        (0x2e8a, 0x0004, .debugprobe, nil),
        (0x2e8a, 0x000c, .debugprobe, nil),
        (0x2e8a, 0x7777, .unknown, nil),
    ] as [(UInt16, UInt16, PicoMode, String?)])
    func modeAndChip(vid: UInt16, pid: UInt16, mode: PicoMode, chip: String?) throws {
        let bootsel = pid == 0x0003 || pid == 0x000f
        let hasReset = pid == 0x000a || pid == 0x0009 || vid == 0x1209
        let interfaces = bootsel ? [Fixtures.massStorage, Fixtures.picoboot] : Fixtures.cdc + (hasReset ? [Fixtures.reset] : [])
        let device = try #require(PicoDevice(classifying: Fixtures.device(vid, pid, interfaces, serial: "0123456789ABCDEF")))
        #expect(device.mode == mode)
        #expect(device.chip?.name == chip)
    }

    @Test func foreignDevicesAreNotPicos() {
        #expect(PicoDevice(classifying: Fixtures.device(0x046d, 0xc52b, [USBInterface(number: 0, classTriple: USBClassTriple(3, 1, 1), endpoints: [])])) == nil)
        // A vendor interface 0xff/0/0 alone on a USB 2.0 device is not taken for a white-labelled bootrom.
        #expect(PicoDevice(classifying: Fixtures.device(0x1234, 0x5678, [Fixtures.picoboot])) == nil)
    }

    @Test func whiteLabelledRP2350BootromByItsInterfaces() throws {
        let device = try #require(PicoDevice(classifying: Fixtures.device(0x1234, 0x5678, [Fixtures.massStorage, Fixtures.picoboot],
                                                                         serial: "1122334455667788", usbVersion: 0x0210)))
        #expect(device.mode == .bootsel)
        #expect(device.chip == .rp2350)
    }

    @Test func rp2040BootselIsIdentifiedByPortPath() {
        let board = Fixtures.rp2040Bootsel(port: "1-3.2")
        #expect(!board.serialIsUnique)
        #expect(board.identity == .portPath(USBPortPath("1-3.2")!))
        #expect(board.identity.description == "port 1-3.2")
    }

    @Test func rp2350AndAppsAreIdentifiedBySerial() {
        #expect(Fixtures.rp2350Bootsel(serial: "a1b2c3d4e5f60718").identity == .uniqueID("A1B2C3D4E5F60718"))
        #expect(Fixtures.rp2040App().identity == .uniqueID("E6605481DB484636"))
        // A RAM-only app reports EEEE...: not unique.
        #expect(Fixtures.rp2040App(serial: "EEEEEEEEEEEEEEEE", port: "2-1").identity == .portPath(USBPortPath("2-1")!))
    }

    @Test func sameBoardAcrossModes() {
        let app = Fixtures.rp2040App(serial: "E6605481DB484636", port: "1-3.2")
        #expect(app.isSameBoard(as: Fixtures.rp2040Bootsel(port: "1-3.2")))
        #expect(!app.isSameBoard(as: Fixtures.rp2040Bootsel(port: "1-3.3")))
        let app2350 = PicoDevice(classifying: Fixtures.device(0x2e8a, 0x0009, Fixtures.cdc + [Fixtures.reset],
                                                              serial: "A1B2C3D4E5F60718", port: "1-4"))!
        #expect(app2350.isSameBoard(as: Fixtures.rp2350Bootsel(serial: "A1B2C3D4E5F60718", port: "1-9")))
        #expect(!app2350.isSameBoard(as: Fixtures.rp2350Bootsel(serial: "FFFF0000FFFF0000", port: "1-4")))
    }

    @Test func endpointsByDirection() {
        #expect(Fixtures.picoboot.bulkIn?.address == 0x84)
        #expect(Fixtures.picoboot.bulkOut?.address == 0x03)
        #expect(Fixtures.reset.bulkIn == nil)
        #expect(USBClassTriple.resetInterface.description == "ff/00/01")
    }
}

@Suite struct PortPathTests {
    @Test func parsesAndPrints() throws {
        let path = try #require(USBPortPath("1-3.2"))
        #expect(path.bus == 1 && path.ports == [3, 2])
        #expect(path.description == "1-3.2")
        #expect(USBPortPath(bus: 2, ports: []).description == "usb2")
        #expect(USBPortPath("12-1.4.4")?.ports == [1, 4, 4])
    }

    @Test(arguments: ["", "1", "1-", "x-1", "1-0", "1-3..2", "1-3.x", "300-1"])
    func rejectsMalformed(_ text: String) {
        #expect(USBPortPath(text) == nil)
    }

    @Test func ordersByBusThenPorts() {
        let sorted = ["2-1", "1-3.2", "1-10", "1-3", "1-3.1"].compactMap(USBPortPath.init).sorted().map(\.description)
        #expect(sorted == ["1-3", "1-3.1", "1-3.2", "1-10", "2-1"])
    }
}
