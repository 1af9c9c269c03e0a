import CLibUSB
import PicoBoot

/// The PICOBOOT interface of a BOOTSEL board over libusb: the `PicobootTransport` the protocol layer drives.
///
/// Opening finds the interface by class 0xff/0x00/0x00 and its bulk endpoints by direction,
/// detaches a kernel driver if one is bound, claims it and resets it (INTERFACE_RESET), so a board
/// left locked by an interrupted run starts clean. `close()` resets and releases it again.
///
/// ```swift
/// let transport = try PicobootUSBTransport(device: device)
/// defer { transport.close() }
/// ```
public final class PicobootUSBTransport: PicobootTransport, @unchecked Sendable {
    /// The open device; kept alive by the transport.
    public let handle: USBDeviceHandle
    /// The PICOBOOT interface number (`wIndex` of its control requests).
    public let interfaceNumber: UInt8
    /// The bulk IN endpoint address.
    public let inEndpoint: UInt8
    /// The bulk OUT endpoint address.
    public let outEndpoint: UInt8
    /// The most recent failure, with the operation, device and fix; the protocol layer only sees `USBTransportError`.
    public private(set) var lastError: PicoUSBError?
    /// The failures since the last transfer that succeeded, oldest first: the first is the cause,
    /// the rest come from the recovery that followed.
    public private(set) var failuresSinceSuccess: [PicoUSBError] = []

    /// PICOBOOT's INTERFACE_RESET vendor request.
    static let interfaceResetRequest: UInt8 = 0x41
    /// How long the recovery requests may take.
    static let recoveryTimeout: Duration = .seconds(1)

    /// Opens, claims and resets the PICOBOOT interface of `device`.
    public init(device: USBDevice) throws(PicoUSBError) {
        let interfaces = try device.interfaces()
        guard let picoboot = interfaces.first(where: { $0.classTriple == .picoboot }),
              let bulkIn = picoboot.bulkIn, let bulkOut = picoboot.bulkOut else {
            throw PicoUSBError(.findInterface, device: device.location, code: .notFound,
                               detail: "no PICOBOOT interface (class ff/00/00 with bulk IN and OUT); is the board in BOOTSEL?")
        }
        let handle = try device.open()
        do {
            try handle.detachKernelDriverIfActive(interface: picoboot.number)
            try handle.claim(interface: picoboot.number)
        } catch {
            handle.close()
            throw error
        }
        self.handle = handle
        interfaceNumber = picoboot.number
        inEndpoint = bulkIn.address
        outEndpoint = bulkOut.address
        try? resetInterface()
    }

    deinit { close() }

    /// Sends INTERFACE_RESET: clears halts and the last status, aborts transfers, drops exclusive access.
    public func resetInterface() throws(PicoUSBError) {
        _ = try handle.controlTransfer(requestType: 0x41, request: Self.interfaceResetRequest, value: 0,
                                       index: UInt16(interfaceNumber), buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0),
                                       timeout: Self.recoveryTimeout)
    }

    /// Leaves the board usable by the next program: INTERFACE_RESET, release, close. Idempotent.
    public func close() {
        guard handle.isOpen else { return }
        try? resetInterface()
        try? handle.release(interface: interfaceNumber)
        handle.close()
    }

    /// Set once `interrupt()` ran: every later transfer fails at once, so the caller unwinds.
    private let interruption = InterruptFlag()

    /// True once `interrupt()` was called.
    public var isInterrupted: Bool { interruption.isSet }

    /// For Ctrl-C, from another thread while a transfer may be in flight: marks the transport
    /// interrupted (later transfers fail at once) and sends INTERFACE_RESET, which aborts the
    /// device's side and drops exclusive access. The owner then unwinds and calls `close()`.
    public func interrupt() {
        guard handle.isOpen, interruption.set() else { return }
        try? resetInterface()
    }

    /// For a process about to exit without unwinding: interrupt and release the interface.
    public func releaseForExit() {
        interrupt()
        handle.releaseForExit(interface: interfaceNumber)
    }

    private func record<T>(_ body: () throws(PicoUSBError) -> T) throws(USBTransportError) -> T {
        if interruption.isSet { throw .other(name: "interrupted", code: 4) }
        do {
            let result = try body()
            failuresSinceSuccess.removeAll()
            return result
        } catch {
            lastError = error
            if failuresSinceSuccess.count < 8 { failuresSinceSuccess.append(error) }
            throw error.transportError
        }
    }

    /// Runs `body` on the bytes of `bytes`, keeping the typed error that `withUnsafeMutableBytes` would erase.
    private func withBuffer(_ bytes: inout [UInt8],
                            _ body: (UnsafeMutableRawBufferPointer) throws(PicoUSBError) -> Int) throws(PicoUSBError) -> Int {
        let result: Result<Int, PicoUSBError> = bytes.withUnsafeMutableBytes { buffer in
            do throws(PicoUSBError) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Sends `data` on the bulk OUT endpoint; an empty array sends a zero-length packet.
    public func bulkOut(_ data: [UInt8], timeout: Duration) throws(USBTransportError) {
        var bytes = data
        let sent = try record { () throws(PicoUSBError) -> Int in
            try withBuffer(&bytes) { (buffer) throws(PicoUSBError) -> Int in
                try handle.bulkTransfer(endpoint: outEndpoint, buffer: buffer, timeout: timeout)
            }
        }
        if sent != data.count {
            lastError = PicoUSBError(.bulkTransfer, device: handle.device.location, code: .io,
                                     detail: "sent \(sent) of \(data.count) bytes")
            throw .other(name: "short write", code: Int32(sent))
        }
    }

    /// Reads up to `length` bytes from the bulk IN endpoint; `length` 0 reads a zero-length packet.
    public func bulkIn(length: Int, timeout: Duration) throws(USBTransportError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(length, 64))
        let count = try record { () throws(PicoUSBError) -> Int in
            try withBuffer(&bytes) { (buffer) throws(PicoUSBError) -> Int in
                try handle.bulkTransfer(endpoint: inEndpoint, buffer: buffer, timeout: timeout)
            }
        }
        if count > length {
            lastError = PicoUSBError(.bulkTransfer, device: handle.device.location, code: .overflow,
                                     detail: "asked for \(length) bytes, got \(count)")
            throw .overflow
        }
        return Array(bytes.prefix(count))
    }

    /// A vendor control request to the interface, device to host (`bmRequestType` 0xC1).
    public func controlIn(request: UInt8, value: UInt16, length: Int, timeout: Duration) throws(USBTransportError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        let count = try record { () throws(PicoUSBError) -> Int in
            try withBuffer(&bytes) { (buffer) throws(PicoUSBError) -> Int in
                try handle.controlTransfer(requestType: 0xC1, request: request, value: value,
                                           index: UInt16(interfaceNumber), buffer: buffer, timeout: timeout)
            }
        }
        return Array(bytes.prefix(count))
    }

    /// A vendor control request to the interface, host to device, no data (`bmRequestType` 0x41).
    public func controlOut(request: UInt8, value: UInt16, timeout: Duration) throws(USBTransportError) {
        _ = try record { () throws(PicoUSBError) -> Int in
            try handle.controlTransfer(requestType: 0x41, request: request, value: value, index: UInt16(interfaceNumber),
                                       buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0), timeout: timeout)
        }
    }

    /// Clears a halt on both bulk endpoints after a stall (`libusb_clear_halt`).
    public func clearHalts() throws(USBTransportError) {
        try record { () throws(PicoUSBError) in
            try handle.clearHalt(endpoint: inEndpoint)
            try handle.clearHalt(endpoint: outEndpoint)
        }
    }
}

/// A flag set once from any thread.
final class InterruptFlag: @unchecked Sendable {
    private var value = false
    private let lock = PThreadMutex()

    /// True once set.
    var isSet: Bool { lock.withLock { value } }

    /// Sets the flag; true when this call set it.
    func set() -> Bool {
        lock.withLock {
            defer { value = true }
            return !value
        }
    }
}
