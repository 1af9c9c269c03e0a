#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// How a port is opened: speed and what to do with the modem lines.
public struct SerialPortOptions: Sendable, Equatable {
    /// Baud rate passed to the port (CDC-ACM ignores it except for the 1200-baud touch).
    public var baud: Int = 115_200
    /// Raise DTR (and RTS) as soon as the port is open: the pico-sdk drops output until DTR is up.
    public var assertDTR: Bool = true
    /// Be the tty's only reader: an exclusive `flock` (and `TIOCEXCL`) while open; a port another
    /// reader holds fails with `SerialError.inUse`.
    public var exclusive: Bool = false

    /// Options with the defaults a Pico console wants.
    public init(baud: Int = 115_200, assertDTR: Bool = true, exclusive: Bool = false) {
        self.baud = baud
        self.assertDTR = assertDTR
        self.exclusive = exclusive
    }
}

/// What happened to DTR when the port was opened.
public enum DTRState: Sendable, Equatable {
    /// `TIOCMBIS` raised DTR and RTS.
    case asserted
    /// The device refused the modem-control ioctl with ENOTTY (an emulated tty); the open proceeds.
    case unsupported
    /// DTR was left alone (`assertDTR == false`).
    case untouched
    /// `TIOCMBIC` lowered DTR and RTS (a follower told to keep DTR low, `LogFollower.setDTR(false)`).
    case lowered
}

/// A tty opened raw for a board's USB CDC console: non-blocking, no controlling terminal, DTR raised.
///
/// ```swift
/// let port = try SerialPort.open("/dev/ttyACM0")
/// defer { port.close() }
/// var buffer = [UInt8](repeating: 0, count: 4096)
/// let n = try port.read(into: &buffer)
/// ```
public final class SerialPort: @unchecked Sendable {
    /// The device path the port was opened from.
    public let path: String
    /// The open file descriptor (owned by the port until `close()`).
    public let fileDescriptor: FileDescriptor
    /// What happened to DTR at open time.
    public let dtr: DTRState
    private var closed = false

    private init(path: String, fileDescriptor: FileDescriptor, dtr: DTRState) {
        self.path = path
        self.fileDescriptor = fileDescriptor
        self.dtr = dtr
    }

    deinit { close() }

    /// Baud rates this layer maps to termios constants.
    public static let supportedBauds: [Int] = [300, 1200, 2400, 4800, 9600, 19200, 38400, 57600,
                                                115_200, 230_400, 460_800, 921_600, 1_000_000, 2_000_000]

    /// Opens `path` with `O_RDWR|O_NOCTTY|O_NONBLOCK|O_CLOEXEC`, takes the lock when `exclusive`, sets raw
    /// mode and the baud rate, raises DTR.
    public static func open(_ path: String, options: SerialPortOptions = .init()) throws(SerialError) -> SerialPort {
        guard let speed = speedConstant(options.baud) else { throw .unsupportedBaud(options.baud) }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readWrite,
                                         options: [.nonBlocking, .closeOnExec, OpenOptionsExtra.noControllingTerminal],
                                         retryOnInterrupt: true)
        } catch {
            let errno = error as? Errno ?? .ioError
            // TIOCEXCL of another reader refuses the open itself.
            if options.exclusive && errno == .resourceBusy, let holder = PortLock.holder(path: path) {
                throw .inUse(path: path, holder: holder)
            }
            throw .openFailed(path: path, errno: errno)
        }
        if options.exclusive, case .failure(let taken) = PortLock.acquire(fd) {
            try? fd.close()
            throw .inUse(path: path, holder: taken.holder)
        }
        do {
            try configureRaw(fd, path: path, speed: speed)
            let dtr: DTRState = options.assertDTR ? try setModemLines(fd, path: path, raise: true) : .untouched
            return SerialPort(path: path, fileDescriptor: fd, dtr: dtr)
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// Reads what is available into `buffer` from `offset` on; returns 0 when nothing is pending (non-blocking).
    /// Throws a disconnect error (`isDisconnect`) when the board has gone, including end of file.
    public func read(into buffer: inout [UInt8], at offset: Int = 0) throws(SerialError) -> Int {
        let result = buffer.withUnsafeMutableBytes { raw in
            Result { try fileDescriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]), retryOnInterrupt: true) }
        }
        switch result {
        case .success(0):
            throw .ioFailed(path: path, call: "read", errno: .ioError)
        case .success(let n):
            return n
        case .failure(let error):
            let errno = error as? Errno ?? .ioError
            if errno == .resourceTemporarilyUnavailable { return 0 }
            throw .ioFailed(path: path, call: "read", errno: errno)
        }
    }

    /// Writes what the output queue takes now, without waiting; returns how many bytes were written.
    public func writeSome(_ bytes: some Collection<UInt8>) throws(SerialError) -> Int {
        let data = Array(bytes)
        let result = data.withUnsafeBytes { raw in Result { try fileDescriptor.write(raw, retryOnInterrupt: true) } }
        switch result {
        case .success(let n):
            return n
        case .failure(let error):
            let errno = error as? Errno ?? .ioError
            if errno == .resourceTemporarilyUnavailable { return 0 }
            throw .ioFailed(path: path, call: "write", errno: errno)
        }
    }

    /// Writes all of `bytes`, waiting with `poll(2)` while the output queue is full.
    public func write(_ bytes: some Collection<UInt8>) throws(SerialError) {
        let data = Array(bytes)
        var offset = 0
        while offset < data.count {
            let result = data[offset...].withUnsafeBytes { raw in
                Result { try fileDescriptor.write(raw, retryOnInterrupt: true) }
            }
            switch result {
            case .success(let n):
                offset += n
            case .failure(let error):
                let errno = error as? Errno ?? .ioError
                guard errno == .resourceTemporarilyUnavailable else {
                    throw .ioFailed(path: path, call: "write", errno: errno)
                }
                var pfd = pollfd(fd: fileDescriptor.rawValue, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 1000)
            }
        }
    }

    /// Raises or drops DTR and RTS with `TIOCMBIS`/`TIOCMBIC`.
    @discardableResult
    public func setDTR(_ raised: Bool) throws(SerialError) -> DTRState {
        try Self.setModemLines(fileDescriptor, path: path, raise: raised)
    }

    /// Closes the descriptor; later calls do nothing.
    public func close() {
        guard !closed else { return }
        closed = true
        try? fileDescriptor.close()
    }

    /// The 1200-baud touch: opening the app's tty at 1200 baud with DTR low reboots a pico-sdk app into BOOTSEL.
    public static func touch1200(_ path: String) throws(SerialError) {
        let port = try open(path, options: .init(baud: 1200, assertDTR: false))
        defer { port.close() }
        _ = try? port.setDTR(false)
    }

    // MARK: termios

    static func configureRaw(_ fd: FileDescriptor, path: String, speed: speed_t) throws(SerialError) {
        var tio = termios()
        guard tcgetattr(fd.rawValue, &tio) == 0 else {
            throw .termiosFailed(path: path, call: "tcgetattr", errno: .current)
        }
        cfmakeraw(&tio)
        tio.c_cflag |= tcflag_t(CLOCAL | CREAD)
        tio.c_cflag |= tcflag_t(HUPCL)   // drop DTR on close: the board stops sending into the void
        // VMIN 1 with O_NONBLOCK: an empty queue reads as EAGAIN, so a 0-byte read means hang-up.
        withUnsafeMutableBytes(of: &tio.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard cfsetispeed(&tio, speed) == 0, cfsetospeed(&tio, speed) == 0 else {
            throw .termiosFailed(path: path, call: "cfsetspeed", errno: .current)
        }
        guard tcsetattr(fd.rawValue, TCSANOW, &tio) == 0 else {
            throw .termiosFailed(path: path, call: "tcsetattr", errno: .current)
        }
    }

    static func setModemLines(_ fd: FileDescriptor, path: String, raise: Bool) throws(SerialError) -> DTRState {
        var bits: Int32 = TIOCM_DTR | TIOCM_RTS
        let request = raise ? UInt(TIOCMBIS) : UInt(TIOCMBIC)
        if ioctl(fd.rawValue, request, &bits) == 0 { return raise ? .asserted : .lowered }
        let errno = Errno.current
        // Ptys and emulated ttys (umockdev without a tty handler) refuse modem control.
        if errno == .inappropriateIOCTLForDevice || errno == .invalidArgument { return .unsupported }
        throw .termiosFailed(path: path, call: raise ? "ioctl(TIOCMBIS)" : "ioctl(TIOCMBIC)", errno: errno)
    }

    static func speedConstant(_ baud: Int) -> speed_t? {
        switch baud {
        case 300: speed_t(B300)
        case 1200: speed_t(B1200)
        case 2400: speed_t(B2400)
        case 4800: speed_t(B4800)
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 115_200: speed_t(B115200)
        case 230_400: speed_t(B230400)
        case 460_800: speed_t(B460800)
        case 921_600: speed_t(B921600)
        case 1_000_000: speed_t(B1000000)
        case 2_000_000: speed_t(B2000000)
        default: nil
        }
    }
}

/// Open flags swift-system does not name.
enum OpenOptionsExtra {
    /// `O_NOCTTY`: opening the tty must not make it our controlling terminal.
    static let noControllingTerminal = FileDescriptor.OpenOptions(rawValue: O_NOCTTY)
}

extension Errno {
    /// The calling thread's `errno`.
    static var current: Errno { Errno(rawValue: Glibc.errno) }
}
