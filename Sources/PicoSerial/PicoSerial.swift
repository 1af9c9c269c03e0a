import CLibUDev

/// The board's USB CDC console: termios ports, libudev discovery and hotplug, line assembly, log following.
///
/// The layers, bottom up: `SerialPort` (a tty opened raw, DTR raised, optionally its only reader),
/// `SerialDevice.sysfs(syspath:)` (which board a tty belongs to, read from sysfs: the one place every
/// command learns it), `UDev` and `HotplugMonitor` (which ttys exist, which appear and go), `LineAssembler` and `ConsoleFormatter` (bytes to lines
/// and to what a console shows), `FollowerStateMachine` (the follow logic, no I/O) and `LogFollower`
/// (one poll loop that drives it). A console on another host (`RemoteConsole`: RFC 2217 through
/// `RFC2217Session`, or raw TCP) is followed by the same loop. The library never prints: it hands typed
/// `FollowEvent`s to the caller.
///
/// ```swift
/// let follower = try LogFollower(options: FollowOptions(identity: BoardIdentity(serial: "E6605481DB484600")))
/// var watch = LineWatch(options: try WatchOptions(expectPattern: "PASS", failOnPattern: "FAIL", maxLines: nil))
/// let end = follower.run { event in
///     guard case .line(let line, _) = event else { return .continue }
///     return watch.observe(line) == .keepGoing ? .continue : .stop
/// }
/// ```
public enum PicoSerial {
    /// True when libudev can be initialised on this machine.
    public static var udevAvailable: Bool {
        guard let udev = udev_new() else { return false }
        udev_unref(udev)
        return true
    }
}
