import SystemPackage

/// What went wrong in the serial layer, with the evidence and, where one exists, the fix.
public enum SerialError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `open(2)` on the tty failed.
    case openFailed(path: String, errno: Errno)
    /// A termios call (`tcgetattr`, `tcsetattr`, `cfsetspeed`) failed on an open port.
    case termiosFailed(path: String, call: String, errno: Errno)
    /// The requested baud rate has no termios constant.
    case unsupportedBaud(Int)
    /// `read(2)` or `write(2)` on the port failed for a reason other than the board leaving.
    case ioFailed(path: String, call: String, errno: Errno)
    /// libudev could not be initialised or one of its calls failed.
    case udevFailed(call: String, errno: Errno)
    /// Another process reads the tty (it holds the port's lock); `holder` when `/proc` tells who.
    case inUse(path: String, holder: PortHolder?)
    /// The host of a network console could not be resolved (`getaddrinfo`'s reason).
    case hostNotFound(host: String, reason: String)
    /// A network console's server took the connection and closed it before the console opened (ser2net
    /// does when it cannot open the device, after a line saying why); `message` is what it said.
    case consoleUnavailable(path: String, message: String)

    /// The sentence a user reads.
    public var description: String {
        switch self {
        case let .openFailed(path, errno):
            var text = "cannot open \(path): \(errno)"
            if errno == .permissionDenied {
                text += " (add yourself to the 'dialout' group or install udev/99-picoctl.rules, then replug the board)"
            } else if errno == .noSuchFileOrDirectory || errno == .noSuchAddressOrDevice {
                text += " (the board is not connected or is not running a USB stdio program)"
            } else if errno == .resourceBusy {
                text += " (another program holds the port; close it and retry)"
            }
            return text
        case let .termiosFailed(path, call, errno):
            return "\(call) on \(path) failed: \(errno)"
        case let .unsupportedBaud(baud):
            return "baud rate \(baud) is not supported (use one of \(SerialPort.supportedBauds.map(String.init).joined(separator: ", ")))"
        case let .ioFailed(path, call, errno):
            return "\(call) on \(path) failed: \(errno)"
        case let .udevFailed(call, errno):
            return "libudev \(call) failed: \(errno) (is /sys mounted and libudev installed?)"
        case let .inUse(path, holder):
            return "\(path) is already being read by \(holder?.description ?? "another program")"
                + " (one reader per tty: stop it, or pass --share to read alongside it)"
        case let .hostNotFound(host, reason):
            return "cannot resolve \(host): \(reason)"
        case let .consoleUnavailable(path, message):
            return "\(path) closed the connection before the console opened" + (message.isEmpty ? "" : " (it said: \(message))")
        }
    }

    /// True when the error means the device went away (unplug, reset, re-enumeration).
    public var isDisconnect: Bool {
        switch self {
        case let .ioFailed(_, _, errno), let .openFailed(_, errno), let .termiosFailed(_, _, errno):
            return SerialError.disconnectErrnos.contains(errno)
        case .consoleUnavailable:
            return true   // the board is away from the server's host, as a tty that is gone
        default:
            return false
        }
    }

    /// The errno values the kernel reports on a tty whose USB device was removed, and on a network console
    /// whose server went away or is not listening (yet).
    static let disconnectErrnos: Set<Errno> = [.ioError, .noSuchAddressOrDevice, .noSuchFileOrDirectory, .operationNotSupportedByDevice,
                                               .connectionRefused, .connectionReset, .connectionAbort, .brokenPipe,
                                               .timedOut, .noRouteToHost, .networkUnreachable, .networkDown]
}
