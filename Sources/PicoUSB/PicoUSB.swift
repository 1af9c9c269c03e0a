import CLibUSB

/// libusb: devices, handles, the PICOBOOT transport and the reset interface of a running app.
///
/// Ownership runs one way: a `USBDeviceHandle` keeps its `USBDevice` alive, a device keeps its
/// `USBContext` alive, so nothing is closed under a user. Errors are `PicoUSBError` values naming
/// the operation, the device and the fix; the transport maps them to `USBTransportError`.
///
/// ```swift
/// let context = try USBContext()
/// let boards = try context.picoDevices()                      // classified, with access problems
/// switch BoardSelection(selecting: BoardSelector(port: USBPortPath("1-3.2")), from: boards) {
/// case .one(let board): print(board.mode, board.identity)
/// case .none, .several: break
/// }
/// ```
public enum PicoUSB {
    /// The version of the libusb library linked at run time, such as `1.0.26`.
    public static var libraryVersion: String {
        let v = libusb_get_version().pointee
        return "\(v.major).\(v.minor).\(v.micro)"
    }
}
