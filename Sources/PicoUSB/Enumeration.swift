import PicoSerial

extension USBContext {
    /// Every Pico-family device on the bus, classified, sorted by port path, with access problems recorded.
    ///
    /// Strings and ttys come from sysfs where it exists. Each device is opened once (`libusb_open`)
    /// to learn whether this user may use it; a refusal is recorded in `accessProblem`, never thrown.
    public func picoDevices() throws(PicoUSBError) -> [PicoDevice] {
        try scan().map(\.board)
    }

    /// Like `picoDevices()`, each paired with the libusb device to open it through.
    public func scan() throws(PicoUSBError) -> [(device: USBDevice, board: PicoDevice)] {
        var found: [(device: USBDevice, board: PicoDevice)] = []
        for device in try devices() {
            guard let pico = try? PicoDevice(scanning: device) else { continue }
            found.append((device, pico))
        }
        return found.sorted { $0.board.usb.portPath < $1.board.usb.portPath }
    }
}

extension PicoDevice {
    /// Describes, classifies and probes one device; nil when it is not a Pico-family device.
    init?(scanning device: USBDevice) throws(PicoUSBError) {
        let descriptor = try device.deviceDescriptor()
        var usb = try device.describe()
        guard Self.classify(usb) != nil else { return nil }
        var problem: PicoUSBError?
        do {
            let handle = try device.open()
            defer { handle.close() }
            let needsStrings = (usb.manufacturer == nil && descriptor.iManufacturer != 0)
                || (usb.product == nil && descriptor.iProduct != 0) || (usb.serialNumber == nil && descriptor.iSerialNumber != 0)
            if needsStrings { usb = try device.describe(using: handle) }
        } catch {
            problem = error
        }
        self.init(classifying: usb)
        accessProblem = problem
        if let control = usb.interface(.cdcControl) {
            ttyPath = SerialDevice.sysfsTTYs(usbPort: usb.portPath.description)
                .first { $0.interfaceNumber == Int(control.number) }?.devnode
        }
    }
}
