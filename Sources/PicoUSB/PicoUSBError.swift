import PicoBoot

/// The USB operation that failed, named for the user and for the log.
public enum USBOperation: String, Hashable, Sendable {
    /// `libusb_init`.
    case initialise = "initialise libusb"
    /// `libusb_get_device_list` and descriptor reads.
    case enumerate = "list USB devices"
    /// `libusb_open`.
    case open = "open the device"
    /// `libusb_detach_kernel_driver`.
    case detachKernelDriver = "detach the kernel driver"
    /// `libusb_claim_interface`.
    case claimInterface = "claim the interface"
    /// `libusb_release_interface`.
    case releaseInterface = "release the interface"
    /// A bulk transfer.
    case bulkTransfer = "complete a bulk transfer"
    /// A control transfer.
    case controlTransfer = "complete a control transfer"
    /// `libusb_clear_halt`.
    case clearHalt = "clear the endpoint halt"
    /// Reading a string descriptor.
    case readString = "read a string descriptor"
    /// Registering or running hotplug callbacks.
    case hotplug = "watch for USB hotplug events"
    /// Looking for the PICOBOOT or reset interface among the descriptors.
    case findInterface = "find the interface"
}

/// A failed USB operation on one device: what was attempted, where, libusb's answer, and what to do.
public struct PicoUSBError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was attempted.
    public var operation: USBOperation
    /// The device, as `bus 1 address 4 (port 1-3.2)`, when one was involved.
    public var device: String?
    /// libusb's status code.
    public var code: LibUSBError
    /// Extra evidence, such as the endpoint or interface number.
    public var detail: String?

    /// Records a failure; no side effects.
    public init(_ operation: USBOperation, device: String? = nil, code: LibUSBError, detail: String? = nil) {
        self.operation = operation
        self.device = device
        self.code = code
        self.detail = detail
    }

    /// The same failure in the protocol layer's terms.
    public var transportError: USBTransportError { code.transportError }

    /// What the user can do about it, when there is something.
    public var fix: String? { Self.fix(for: code) }

    /// The advice for a libusb status code: the udev rule for access, the other holder for busy.
    public static func fix(for code: LibUSBError) -> String? {
        switch code {
        case .access:
            "install picoctl's udev rules (udev/60-picoctl.rules into /etc/udev/rules.d/, or Scripts/install.sh), run `sudo udevadm control --reload && sudo udevadm trigger` and replug the board; `picoctl doctor` checks the setup"
        case .busy:
            "another process holds the interface (picotool, a second picoctl, a serial monitor?): close it and retry"
        case .noDevice:
            "the board was unplugged or rebooted: check the cable and run `picoctl list`"
        case .timeout:
            "the board did not answer in time: replug it, or put it in BOOTSEL again (hold BOOTSEL while plugging in)"
        case .pipe:
            "the device rejected the request; the interface will be reset"
        default:
            nil
        }
    }

    /// `open the device bus 1 address 4 (port 1-3.2): LIBUSB_ERROR_ACCESS (-3); fix: ...`.
    public var description: String {
        var text = "cannot \(operation.rawValue)"
        if let device { text += " on \(device)" }
        if let detail { text += " (\(detail))" }
        text += ": \(code)"
        if let fix { text += "; fix: \(fix)" }
        return text
    }
}
