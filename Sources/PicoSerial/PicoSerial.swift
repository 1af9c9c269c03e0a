import CLibUDev

/// The board's USB CDC console: termios ports, libudev discovery and hotplug, line assembly, log following.
public enum PicoSerial {
    /// True when libudev can be initialised on this machine.
    public static var udevAvailable: Bool {
        guard let udev = udev_new() else { return false }
        udev_unref(udev)
        return true
    }
}
