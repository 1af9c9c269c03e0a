// Placeholder until the USB device lands: no USB.

/// The USB device (CDC-ACM + reset interface).
enum USBDevice {
    /// Starts the controller.
    static func start() {}
    /// Services the controller.
    static func poll() {}
    /// Moves queued CDC bytes to the bulk IN endpoint.
    static func flush() {}
    /// The next byte the host sent on CDC.
    static func receivedByte() -> UInt8? { nil }
    /// True when nothing is waiting to be sent.
    static var idle: Bool { true }
}
