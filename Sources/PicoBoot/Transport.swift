/// How a USB operation failed, in terms the protocol layer can act on.
public enum USBTransportError: Error, Hashable, Sendable {
    /// The endpoint stalled (the device rejected the command); read the status, then reset the interface.
    case stall
    /// No answer within the timeout.
    case timeout
    /// The device went away (unplugged, rebooted).
    case disconnected
    /// The operating system refused access to the device node.
    case accessDenied
    /// Another process or driver holds the interface.
    case busy
    /// The device sent more data than asked for.
    case overflow
    /// Any other failure, with the library's error name and number.
    case other(name: String, code: Int32)
}

/// The USB operations PICOBOOT needs from one BOOTSEL device's PICOBOOT interface.
///
/// `PicoUSB` implements it over libusb; `PicoSim` implements it with a model of the bootrom.
/// The protocol layer above never knows which one it talks to. Calls block until done or timed out.
public protocol PicobootTransport: AnyObject {
    /// The interface number of the PICOBOOT interface (the `wIndex` of its control requests).
    var interfaceNumber: UInt8 { get }

    /// Sends `data` on the bulk OUT endpoint; an empty array sends a zero-length packet.
    func bulkOut(_ data: [UInt8], timeout: Duration) throws(USBTransportError)

    /// Reads up to `length` bytes from the bulk IN endpoint; `length` 0 reads a zero-length packet.
    func bulkIn(length: Int, timeout: Duration) throws(USBTransportError) -> [UInt8]

    /// A vendor control request to the interface, device to host (`bmRequestType` 0xC1).
    func controlIn(request: UInt8, value: UInt16, length: Int, timeout: Duration) throws(USBTransportError) -> [UInt8]

    /// A vendor control request to the interface, host to device, no data (`bmRequestType` 0x41).
    func controlOut(request: UInt8, value: UInt16, timeout: Duration) throws(USBTransportError)

    /// Clears a halt on both bulk endpoints after a stall.
    func clearHalts() throws(USBTransportError)
}
