import CLibUSB
import PicoSerial

/// A libusb session (`libusb_context`): devices and handles opened through it keep it alive.
///
/// ```swift
/// let context = try USBContext()
/// for device in try context.devices() { print(device.description.portPath) }
/// ```
public final class USBContext: @unchecked Sendable {
    /// The `libusb_context *`; valid for the object's lifetime.
    let pointer: OpaquePointer

    /// Starts a session with `libusb_init`.
    public init() throws(PicoUSBError) {
        var context: OpaquePointer?
        let result = libusb_init(&context)
        guard result == 0, let context else {
            throw PicoUSBError(.initialise, code: LibUSBError(rawValue: result < 0 ? result : LibUSBError.other.rawValue))
        }
        pointer = context
    }

    deinit { libusb_exit(pointer) }

    /// Every device on every bus (`libusb_get_device_list`), each holding a reference to this context.
    public func devices() throws(PicoUSBError) -> [USBDevice] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(pointer, &list)
        guard count >= 0, let list else {
            throw PicoUSBError(.enumerate, code: LibUSBError(rawValue: Int32(truncatingIfNeeded: count)))
        }
        defer { libusb_free_device_list(list, 1) }
        return (0..<Int(count)).compactMap { index in
            list[index].map { USBDevice(context: self, retaining: $0) }
        }
    }

    /// True when this libusb can deliver hotplug events (`libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)`).
    public static var supportsHotplug: Bool {
        libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0
    }

    /// Runs pending libusb events for at most `timeout` (`libusb_handle_events_timeout_completed`).
    func handleEvents(timeout: Duration) throws(LibUSBError) {
        let (seconds, attoseconds) = timeout.components
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        _ = try LibUSBError.check(libusb_handle_events_timeout_completed(pointer, &tv, nil))
    }
}

/// One device on the bus (`libusb_device`), referenced until this object goes; keeps its context alive.
public final class USBDevice: @unchecked Sendable {
    /// The session this device was found in.
    public let context: USBContext
    /// The `libusb_device *`, referenced with `libusb_ref_device`.
    let pointer: OpaquePointer

    /// Takes a new reference on `pointer` (`libusb_ref_device`).
    init(context: USBContext, retaining pointer: OpaquePointer) {
        self.context = context
        self.pointer = libusb_ref_device(pointer)
    }

    deinit { libusb_unref_device(pointer) }

    /// Bus number (`libusb_get_bus_number`).
    public var bus: UInt8 { libusb_get_bus_number(pointer) }

    /// Address on the bus (`libusb_get_device_address`).
    public var address: UInt8 { libusb_get_device_address(pointer) }

    /// Port path from the root hub (`libusb_get_port_numbers`).
    public var portPath: USBPortPath {
        var ports = [UInt8](repeating: 0, count: 8)
        let count = libusb_get_port_numbers(pointer, &ports, Int32(ports.count))
        return USBPortPath(bus: bus, ports: count > 0 ? Array(ports.prefix(Int(count))) : [])
    }

    /// `bus 1 address 4 (port 1-3.2)`.
    public var location: String { "bus \(bus) address \(address) (port \(portPath))" }

    /// The device descriptor (`libusb_get_device_descriptor`; cached by libusb, no I/O).
    public func deviceDescriptor() throws(PicoUSBError) -> libusb_device_descriptor {
        var descriptor = libusb_device_descriptor()
        let result = libusb_get_device_descriptor(pointer, &descriptor)
        if result < 0 { throw PicoUSBError(.enumerate, device: location, code: LibUSBError(rawValue: result)) }
        return descriptor
    }

    /// Interfaces of the active configuration, or of the first when none is active
    /// (`libusb_get_active_config_descriptor`, `libusb_get_config_descriptor`).
    public func interfaces() throws(PicoUSBError) -> [USBInterface] {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        var result = libusb_get_active_config_descriptor(pointer, &config)
        if result == LibUSBError.notFound.rawValue { result = libusb_get_config_descriptor(pointer, 0, &config) }
        guard result == 0, let config else {
            throw PicoUSBError(.enumerate, device: location, code: LibUSBError(rawValue: result), detail: "configuration descriptor")
        }
        defer { libusb_free_config_descriptor(config) }
        var found: [USBInterface] = []
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let interface = config.pointee.interface[i]
            guard interface.num_altsetting > 0, let setting = interface.altsetting else { continue }
            let alt = setting.pointee
            let endpoints = (0..<Int(alt.bNumEndpoints)).map { e in
                let ep = alt.endpoint[e]
                return USBEndpoint(address: ep.bEndpointAddress, attributes: ep.bmAttributes, maxPacketSize: ep.wMaxPacketSize)
            }
            found.append(USBInterface(number: alt.bInterfaceNumber,
                                      classTriple: USBClassTriple(alt.bInterfaceClass, alt.bInterfaceSubClass, alt.bInterfaceProtocol),
                                      endpoints: endpoints))
        }
        return found
    }

    /// Descriptors, bus position and strings; strings come from sysfs on Linux (no open needed)
    /// or, failing that, from the device through `handle` when one is given.
    public func describe(using handle: USBDeviceHandle? = nil) throws(PicoUSBError) -> USBDeviceDescription {
        let d = try deviceDescriptor()
        let path = portPath
        let sysfs = SysfsDirectory.usbDevice(portPath: path.description)
        func string(_ index: UInt8, _ attribute: String) -> String? {
            if let value = sysfs?.attribute(attribute) { return value }
            guard index != 0, let handle else { return nil }
            return try? handle.asciiString(index: index)
        }
        return USBDeviceDescription(
            vendorID: d.idVendor, productID: d.idProduct, deviceVersion: d.bcdDevice, usbVersion: d.bcdUSB,
            deviceClass: USBClassTriple(d.bDeviceClass, d.bDeviceSubClass, d.bDeviceProtocol),
            bus: bus, address: address, portPath: path, interfaces: try interfaces(),
            manufacturer: string(d.iManufacturer, "manufacturer"), product: string(d.iProduct, "product"),
            serialNumber: string(d.iSerialNumber, "serial"))
    }

    /// Opens the device (`libusb_open`); the handle keeps this device alive.
    public func open() throws(PicoUSBError) -> USBDeviceHandle {
        var handle: OpaquePointer?
        let result = libusb_open(pointer, &handle)
        guard result == 0, let handle else {
            throw PicoUSBError(.open, device: location, code: LibUSBError(rawValue: result < 0 ? result : LibUSBError.other.rawValue))
        }
        return USBDeviceHandle(device: self, pointer: handle)
    }

    /// Opens the device, runs `body` with the handle, and closes it whatever happens.
    public func withHandle<R>(_ body: (USBDeviceHandle) throws -> R) throws -> R {
        let handle = try open()
        defer { handle.close() }
        return try body(handle)
    }
}
