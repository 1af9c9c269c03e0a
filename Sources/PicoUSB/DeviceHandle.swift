import CLibUSB

/// An open device (`libusb_device_handle`); keeps its device (and so its context) alive until closed.
public final class USBDeviceHandle: @unchecked Sendable {
    /// The device this handle was opened on.
    public let device: USBDevice
    /// The `libusb_device_handle *`, nil once closed.
    private var pointer: OpaquePointer?
    /// Interfaces claimed through this handle, released on close.
    private var claimed: Set<UInt8> = []

    init(device: USBDevice, pointer: OpaquePointer) {
        self.device = device
        self.pointer = pointer
    }

    deinit { close() }

    /// True until `close()`.
    public var isOpen: Bool { pointer != nil }

    /// Releases every claimed interface and closes the handle (`libusb_release_interface`, `libusb_close`); idempotent.
    public func close() {
        guard let pointer else { return }
        for number in claimed.sorted() { libusb_release_interface(pointer, Int32(number)) }
        claimed.removeAll()
        libusb_close(pointer)
        self.pointer = nil
    }

    private func handle(_ operation: USBOperation) throws(PicoUSBError) -> OpaquePointer {
        guard let pointer else { throw PicoUSBError(operation, device: device.location, code: .noDevice, detail: "handle closed") }
        return pointer
    }

    private func fail(_ operation: USBOperation, _ result: Int32, _ detail: String? = nil) -> PicoUSBError {
        PicoUSBError(operation, device: device.location, code: LibUSBError(rawValue: result), detail: detail)
    }

    /// Detaches a kernel driver bound to the interface, if any (`libusb_kernel_driver_active`,
    /// `libusb_detach_kernel_driver`); true when one was detached.
    @discardableResult
    public func detachKernelDriverIfActive(interface number: UInt8) throws(PicoUSBError) -> Bool {
        let h = try handle(.detachKernelDriver)
        let active = libusb_kernel_driver_active(h, Int32(number))
        guard active == 1 else { return false }
        let result = libusb_detach_kernel_driver(h, Int32(number))
        if result < 0 && result != LibUSBError.notFound.rawValue {
            throw fail(.detachKernelDriver, result, "interface \(number)")
        }
        return result == 0
    }

    /// Claims the interface (`libusb_claim_interface`); released by `release` or `close`.
    public func claim(interface number: UInt8) throws(PicoUSBError) {
        let result = libusb_claim_interface(try handle(.claimInterface), Int32(number))
        if result < 0 { throw fail(.claimInterface, result, "interface \(number)") }
        claimed.insert(number)
    }

    /// Releases a claimed interface (`libusb_release_interface`).
    public func release(interface number: UInt8) throws(PicoUSBError) {
        guard claimed.remove(number) != nil else { return }
        let result = libusb_release_interface(try handle(.releaseInterface), Int32(number))
        if result < 0 && result != LibUSBError.noDevice.rawValue { throw fail(.releaseInterface, result, "interface \(number)") }
    }

    /// Releases an interface from another thread while a transfer may be pending, leaving the
    /// bookkeeping alone (`libusb_release_interface`); only for a process about to exit.
    public func releaseForExit(interface number: UInt8) {
        guard let pointer else { return }
        libusb_release_interface(pointer, Int32(number))
    }

    /// One bulk transfer (`libusb_bulk_transfer`); returns the bytes moved. `endpoint` bit 7 chooses the direction.
    public func bulkTransfer(endpoint: UInt8, buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(PicoUSBError) -> Int {
        let h = try handle(.bulkTransfer)
        var transferred: Int32 = 0
        let result = libusb_bulk_transfer(h, endpoint, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                          Int32(buffer.count), &transferred, Self.milliseconds(timeout))
        if result < 0 { throw fail(.bulkTransfer, result, "endpoint 0x\(String(endpoint, radix: 16)), \(buffer.count) bytes") }
        return Int(transferred)
    }

    /// One control transfer (`libusb_control_transfer`); returns the bytes moved in the data stage.
    public func controlTransfer(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16,
                                buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(PicoUSBError) -> Int {
        let h = try handle(.controlTransfer)
        let result = libusb_control_transfer(h, requestType, request, value, index,
                                             buffer.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                             UInt16(buffer.count), UInt32(Self.milliseconds(timeout)))
        if result < 0 {
            throw fail(.controlTransfer, result, "bmRequestType 0x\(String(requestType, radix: 16)) bRequest 0x\(String(request, radix: 16)) wIndex \(index)")
        }
        return Int(result)
    }

    /// Clears a halt (stall) on an endpoint (`libusb_clear_halt`).
    public func clearHalt(endpoint: UInt8) throws(PicoUSBError) {
        let result = libusb_clear_halt(try handle(.clearHalt), endpoint)
        if result < 0 { throw fail(.clearHalt, result, "endpoint 0x\(String(endpoint, radix: 16))") }
    }

    /// A string descriptor in ASCII (`libusb_get_string_descriptor_ascii`).
    public func asciiString(index: UInt8) throws(PicoUSBError) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let result = libusb_get_string_descriptor_ascii(try handle(.readString), index, &buffer, Int32(buffer.count))
        if result < 0 { throw fail(.readString, result, "string \(index)") }
        return String(decoding: buffer.prefix(Int(result)), as: UTF8.self)
    }

    /// A libusb timeout in milliseconds; 0 would mean "forever", so at least 1.
    static func milliseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return UInt32(clamping: max(1, ms))
    }
}
