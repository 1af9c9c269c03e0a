import CLibUSB

/// libusb: devices, handles, the PICOBOOT transport and the reset interface of a running app.
public enum PicoUSB {
    /// The version of the libusb library linked at run time, such as `1.0.26`.
    public static var libraryVersion: String {
        let v = libusb_get_version().pointee
        return "\(v.major).\(v.minor).\(v.micro)"
    }
}
