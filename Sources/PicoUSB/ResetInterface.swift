/// The pico-sdk reset interface of a running app (vendor 0xff/0x00/0x01, no endpoints): reboots
/// the board into BOOTSEL or back into its program without touching it.
public enum ResetInterface {
    /// Interfaces the bootrom should leave out when it comes up in BOOTSEL (`wValue` of RESET_TO_BOOTSEL).
    public struct DisabledInterfaces: OptionSet, Hashable, Sendable {
        /// The bit mask: bit 0 mass storage, bit 1 PICOBOOT.
        public var rawValue: UInt16
        /// A mask from its bits.
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// No USB mass storage drive in BOOTSEL (PICOBOOT only).
        public static let massStorage = DisabledInterfaces(rawValue: 1 << 0)
        /// No PICOBOOT interface in BOOTSEL (drive only).
        public static let picoboot = DisabledInterfaces(rawValue: 1 << 1)
    }

    /// RESET_TO_BOOTSEL request number.
    static let resetToBootsel: UInt8 = 0x01
    /// RESET_TO_FLASH request number.
    static let resetToFlash: UInt8 = 0x02

    /// Reboots the app into BOOTSEL (request 0x01, `bmRequestType` 0x21, `wIndex` = reset interface).
    public static func rebootToBootsel(_ device: USBDevice, disabling disabled: DisabledInterfaces = []) throws(PicoUSBError) {
        try send(resetToBootsel, value: disabled.rawValue & 0x7f, to: device)
    }

    /// Reboots the app into its program in flash (request 0x02).
    public static func rebootToApp(_ device: USBDevice) throws(PicoUSBError) {
        try send(resetToFlash, value: 0, to: device)
    }

    /// Claims the reset interface and sends the request; the board may vanish before it answers,
    /// so a pipe, I/O or no-device error after the request went out counts as done.
    static func send(_ request: UInt8, value: UInt16, to device: USBDevice) throws(PicoUSBError) {
        guard let reset = try device.interfaces().first(where: { $0.classTriple == .resetInterface }) else {
            throw PicoUSBError(.findInterface, device: device.location, code: .notFound,
                               detail: "no reset interface (class ff/00/01); is the program built with stdio_usb?")
        }
        let handle = try device.open()
        defer { handle.close() }
        try handle.claim(interface: reset.number)
        do {
            _ = try handle.controlTransfer(requestType: 0x21, request: request, value: value, index: UInt16(reset.number),
                                           buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0), timeout: .seconds(2))
        } catch where [.pipe, .io, .noDevice].contains(error.code) {
            return
        }
    }
}
