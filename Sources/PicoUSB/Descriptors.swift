/// A USB port path: the bus and the hub port numbers from the root, as Linux names it (`1-3.2`).
///
/// Stable across re-enumeration on the same physical port, so it identifies an RP2040 in BOOTSEL
/// (whose serial is not unique). Built from `libusb_get_port_numbers`.
public struct USBPortPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The bus number.
    public var bus: UInt8
    /// Port numbers from the root hub down; empty for a root hub.
    public var ports: [UInt8]

    /// A path from its parts.
    public init(bus: UInt8, ports: [UInt8]) {
        self.bus = bus
        self.ports = ports
    }

    /// Parses `1-3.2` (bus 1, port 3, then port 2); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let bus = UInt8(parts[0]) else { return nil }
        var ports: [UInt8] = []
        for item in parts[1].split(separator: ".", omittingEmptySubsequences: false) {
            guard let port = UInt8(item), port > 0 else { return nil }
            ports.append(port)
        }
        self.init(bus: bus, ports: ports)
    }

    /// `1-3.2`, or `usb1` for a root hub (the sysfs name).
    public var description: String {
        ports.isEmpty ? "usb\(bus)" : "\(bus)-" + ports.map(String.init).joined(separator: ".")
    }

    /// Orders by bus, then port numbers.
    public static func < (lhs: USBPortPath, rhs: USBPortPath) -> Bool {
        lhs.bus != rhs.bus ? lhs.bus < rhs.bus : lhs.ports.lexicographicallyPrecedes(rhs.ports)
    }
}

/// A class, subclass and protocol triple of a device or interface.
public struct USBClassTriple: Hashable, Sendable, CustomStringConvertible {
    /// `bInterfaceClass` / `bDeviceClass`.
    public var classCode: UInt8
    /// `bInterfaceSubClass` / `bDeviceSubClass`.
    public var subclass: UInt8
    /// `bInterfaceProtocol` / `bDeviceProtocol`.
    public var `protocol`: UInt8

    /// A triple from its parts.
    public init(_ classCode: UInt8, _ subclass: UInt8, _ protocol: UInt8) {
        self.classCode = classCode
        self.subclass = subclass
        self.protocol = `protocol`
    }

    /// PICOBOOT: vendor class 0xff/0x00/0x00.
    public static let picoboot = USBClassTriple(0xff, 0, 0)
    /// The pico-sdk reset interface: vendor class 0xff/0x00/0x01, no endpoints.
    public static let resetInterface = USBClassTriple(0xff, 0, 1)
    /// USB mass storage, SCSI, bulk-only.
    public static let massStorage = USBClassTriple(0x08, 0x06, 0x50)
    /// CDC ACM control interface (class 2, subclass 2).
    public static let cdcControl = USBClassTriple(0x02, 0x02, 0)

    /// `ff/00/01`.
    public var description: String {
        [classCode, subclass, `protocol`].map { String($0, radix: 16).leftPadded(2) }.joined(separator: "/")
    }
}

/// One endpoint of an interface (`struct libusb_endpoint_descriptor`).
public struct USBEndpoint: Hashable, Sendable {
    /// `bEndpointAddress`: bit 7 set for IN.
    public var address: UInt8
    /// `bmAttributes`: transfer type in bits 0–1.
    public var attributes: UInt8
    /// `wMaxPacketSize`.
    public var maxPacketSize: UInt16

    /// An endpoint from its descriptor fields.
    public init(address: UInt8, attributes: UInt8, maxPacketSize: UInt16) {
        self.address = address
        self.attributes = attributes
        self.maxPacketSize = maxPacketSize
    }

    /// True for device-to-host endpoints.
    public var isIn: Bool { address & 0x80 != 0 }
    /// True for bulk endpoints.
    public var isBulk: Bool { attributes & 0x3 == 2 }
}

/// One interface (its first alternate setting) of the active configuration.
public struct USBInterface: Hashable, Sendable {
    /// `bInterfaceNumber`.
    public var number: UInt8
    /// Class, subclass and protocol.
    public var classTriple: USBClassTriple
    /// The endpoints, in descriptor order.
    public var endpoints: [USBEndpoint]

    /// An interface from its descriptor fields.
    public init(number: UInt8, classTriple: USBClassTriple, endpoints: [USBEndpoint]) {
        self.number = number
        self.classTriple = classTriple
        self.endpoints = endpoints
    }

    /// The first bulk IN endpoint.
    public var bulkIn: USBEndpoint? { endpoints.first { $0.isBulk && $0.isIn } }
    /// The first bulk OUT endpoint.
    public var bulkOut: USBEndpoint? { endpoints.first { $0.isBulk && !$0.isIn } }
}

/// What the descriptors and the bus say about one USB device; a value, no libusb handle inside.
public struct USBDeviceDescription: Hashable, Sendable {
    /// `idVendor`.
    public var vendorID: UInt16
    /// `idProduct`.
    public var productID: UInt16
    /// `bcdDevice`.
    public var deviceVersion: UInt16
    /// `bcdUSB`.
    public var usbVersion: UInt16
    /// Device class triple (0/0/0 when defined per interface).
    public var deviceClass: USBClassTriple
    /// Bus number (`libusb_get_bus_number`).
    public var bus: UInt8
    /// Address on the bus (`libusb_get_device_address`).
    public var address: UInt8
    /// Port path (`libusb_get_port_numbers`).
    public var portPath: USBPortPath
    /// Interfaces of the active (or first) configuration.
    public var interfaces: [USBInterface]
    /// Manufacturer string, when it could be read.
    public var manufacturer: String?
    /// Product string, when it could be read.
    public var product: String?
    /// Serial number string, when it could be read.
    public var serialNumber: String?

    /// A description from its parts.
    public init(vendorID: UInt16, productID: UInt16, deviceVersion: UInt16 = 0x0100, usbVersion: UInt16 = 0x0200,
                deviceClass: USBClassTriple = USBClassTriple(0, 0, 0), bus: UInt8, address: UInt8,
                portPath: USBPortPath, interfaces: [USBInterface],
                manufacturer: String? = nil, product: String? = nil, serialNumber: String? = nil) {
        self.vendorID = vendorID
        self.productID = productID
        self.deviceVersion = deviceVersion
        self.usbVersion = usbVersion
        self.deviceClass = deviceClass
        self.bus = bus
        self.address = address
        self.portPath = portPath
        self.interfaces = interfaces
        self.manufacturer = manufacturer
        self.product = product
        self.serialNumber = serialNumber
    }

    /// The first interface with this class triple.
    public func interface(_ triple: USBClassTriple) -> USBInterface? {
        interfaces.first { $0.classTriple == triple }
    }

    /// `bus 1 address 4 (port 1-3.2)`: where the device is, for messages.
    public var location: String { "bus \(bus) address \(address) (port \(portPath))" }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
