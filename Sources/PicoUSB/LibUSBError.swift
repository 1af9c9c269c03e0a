import CLibUSB
import PicoBoot

/// A libusb status code (`enum libusb_error`), as returned by every libusb function that can fail.
public struct LibUSBError: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
    /// The negative `LIBUSB_ERROR_*` value.
    public var rawValue: Int32

    /// Wraps a libusb status code without side effects.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `LIBUSB_ERROR_IO`: input/output error.
    public static let io = LibUSBError(rawValue: LIBUSB_ERROR_IO.rawValue)
    /// `LIBUSB_ERROR_INVALID_PARAM`: invalid parameter.
    public static let invalidParameter = LibUSBError(rawValue: LIBUSB_ERROR_INVALID_PARAM.rawValue)
    /// `LIBUSB_ERROR_ACCESS`: the OS denied access (usually a missing udev rule).
    public static let access = LibUSBError(rawValue: LIBUSB_ERROR_ACCESS.rawValue)
    /// `LIBUSB_ERROR_NO_DEVICE`: the device was disconnected.
    public static let noDevice = LibUSBError(rawValue: LIBUSB_ERROR_NO_DEVICE.rawValue)
    /// `LIBUSB_ERROR_NOT_FOUND`: entity not found (e.g. no such interface, no kernel driver).
    public static let notFound = LibUSBError(rawValue: LIBUSB_ERROR_NOT_FOUND.rawValue)
    /// `LIBUSB_ERROR_BUSY`: another process or driver holds the resource.
    public static let busy = LibUSBError(rawValue: LIBUSB_ERROR_BUSY.rawValue)
    /// `LIBUSB_ERROR_TIMEOUT`: the operation timed out.
    public static let timeout = LibUSBError(rawValue: LIBUSB_ERROR_TIMEOUT.rawValue)
    /// `LIBUSB_ERROR_OVERFLOW`: the device sent more than asked for.
    public static let overflow = LibUSBError(rawValue: LIBUSB_ERROR_OVERFLOW.rawValue)
    /// `LIBUSB_ERROR_PIPE`: the endpoint stalled.
    public static let pipe = LibUSBError(rawValue: LIBUSB_ERROR_PIPE.rawValue)
    /// `LIBUSB_ERROR_INTERRUPTED`: a system call was interrupted.
    public static let interrupted = LibUSBError(rawValue: LIBUSB_ERROR_INTERRUPTED.rawValue)
    /// `LIBUSB_ERROR_NO_MEM`: out of memory.
    public static let noMemory = LibUSBError(rawValue: LIBUSB_ERROR_NO_MEM.rawValue)
    /// `LIBUSB_ERROR_NOT_SUPPORTED`: not supported on this platform.
    public static let notSupported = LibUSBError(rawValue: LIBUSB_ERROR_NOT_SUPPORTED.rawValue)
    /// `LIBUSB_ERROR_OTHER`: any other error.
    public static let other = LibUSBError(rawValue: LIBUSB_ERROR_OTHER.rawValue)

    /// The constant's name from `libusb_error_name`, such as `LIBUSB_ERROR_ACCESS`.
    public var name: String { String(cString: libusb_error_name(rawValue)) }

    /// `LIBUSB_ERROR_ACCESS (-3)`.
    public var description: String { "\(name) (\(rawValue))" }

    /// The same failure in the protocol layer's terms.
    public var transportError: USBTransportError {
        switch self {
        case .pipe: .stall
        case .timeout: .timeout
        case .noDevice: .disconnected
        case .access: .accessDenied
        case .busy: .busy
        case .overflow: .overflow
        default: .other(name: name, code: rawValue)
        }
    }

    /// Turns a libusb return value into a count (`>= 0`) or a thrown error (`< 0`).
    @inline(__always)
    static func check(_ result: Int32) throws(LibUSBError) -> Int {
        if result < 0 { throw LibUSBError(rawValue: result) }
        return Int(result)
    }
}
