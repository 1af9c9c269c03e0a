#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemPackage

/// How to follow a board.
public struct FollowOptions: Sendable {
    /// Which board.
    public var identity: BoardIdentity
    /// How its tty is opened (baud, DTR).
    public var port: SerialPortOptions
    /// Keep following after the board leaves (reset, re-flash, unplug) instead of ending.
    public var reconnect: Bool
    /// End with `.timedOut` after this many nanoseconds (nil: no limit).
    public var timeoutNanoseconds: Int64?
    /// Lines longer than this are cut.
    public var maxLineLength: Int
    /// A network console followed instead of a tty (its URL is the identity's node).
    public var remote: RemoteConsole?
    /// How long a connection to a network console may take.
    public var connectTimeoutNanoseconds: Int64 = 5_000_000_000
    /// How often a network console that went away is tried again (it sends no hotplug events).
    public var reconnectIntervalNanoseconds: Int64 = 250_000_000
    /// Assemble lines and report `line` events; off when only `data` is used (the cheapest follow).
    public var lines = true

    /// Options with defaults: any board, 115200 baud with DTR, reconnect on, no timeout. With `remote`,
    /// the network console is followed and `identity` is its URL.
    public init(identity: BoardIdentity = .init(), port: SerialPortOptions = .init(), reconnect: Bool = true,
                timeoutNanoseconds: Int64? = nil, maxLineLength: Int = 16 * 1024, remote: RemoteConsole? = nil) {
        self.identity = remote.map { BoardIdentity(devnode: $0.device.devnode) } ?? identity
        self.remote = remote
        self.port = port
        self.reconnect = reconnect
        self.timeoutNanoseconds = timeoutNanoseconds
        self.maxLineLength = maxLineLength
    }
}

/// Follows one board's USB CDC console across resets and replugs: a udev monitor for hotplug, the
/// termios port for bytes, one `poll(2)` loop, no sleeps. A network console (`FollowOptions.remote`) is
/// followed the same way, its connection tried again while the server is away. Events go to a handler on the calling thread.
///
/// ```swift
/// let follower = try LogFollower(options: FollowOptions(identity: BoardIdentity(serial: serial)))
/// let end = follower.run { event in
///     if case .line(let line, _) = event, line.text.contains("PASS") { return .stop }
///     return .continue
/// }
/// ```
public final class LogFollower: Sendable {
    /// The options the follower was made with.
    public let options: FollowOptions
    private let udev: UDev?
    private let monitor: HotplugMonitor?
    private let wake: (read: FileDescriptor, write: FileDescriptor)
    private let shared = Mutex(Shared())

    private struct Shared: Sendable {
        var outbox: [UInt8] = []
        var stopRequested = false
        var dtr: Bool?
    }

    /// Creates the udev context and starts the hotplug monitor (before any enumeration, so no add is missed).
    public init(options: FollowOptions) throws(SerialError) {
        self.options = options
        if options.remote == nil {
            let udev = try UDev()
            self.udev = udev
            self.monitor = try? HotplugMonitor(udev: udev)
        } else {
            self.udev = nil   // a network console needs no device discovery
            self.monitor = nil
        }
        do {
            let pipe = try FileDescriptor.pipe()
            self.wake = (pipe.readEnd, pipe.writeEnd)
            try setNonBlocking(pipe.readEnd)
            try setNonBlocking(pipe.writeEnd)
        } catch {
            throw .ioFailed(path: "pipe", call: "pipe", errno: error as? Errno ?? .ioError)
        }
    }

    deinit {
        try? wake.read.close()
        try? wake.write.close()
    }

    /// Queues bytes for the board; written from the follower's loop when a port is open (dropped otherwise).
    public func send(_ bytes: [UInt8]) {
        shared.withLock { $0.outbox += bytes }
        poke()
    }

    /// Raises or lowers DTR on the open port (from the follower's loop); a port opened later, on a
    /// reconnection, gets the same level (lowered right after the open, which raises it).
    public func setDTR(_ raised: Bool) {
        shared.withLock { $0.dtr = raised }
        poke()
    }

    /// Asks `run` to close the port and return `.stopped`; safe from any thread or a signal-handling task.
    public func stop() {
        shared.withLock { $0.stopRequested = true }
        poke()
    }

    private func poke() {
        let one: [UInt8] = [1]
        _ = try? one.withUnsafeBytes { try wake.write.write($0) }
    }

    /// Follows until the handler returns `.stop`, `stop()` is called, the timeout passes, or the board
    /// leaves with reconnection off. Blocks the calling thread. `afterChunk` runs after the events of each
    /// chunk read from the port (one poll wake), so a consumer can write what it gathered in one go.
    public func run(_ handler: (FollowEvent) -> FollowDecision, afterChunk: () -> Void = {}) -> FollowEnd {
        var loop = FollowLoop(options: options, udev: udev, monitor: monitor, wake: wake.read)
        return loop.run(handler: handler, takeOutbox: {
            self.shared.withLock { state in
                defer { state.outbox.removeAll(); state.dtr = nil }
                return (state.outbox, state.stopRequested, state.dtr)
            }
        }, afterChunk: afterChunk)
    }
}

func setNonBlocking(_ fd: FileDescriptor) throws {
    let flags = fcntl(fd.rawValue, F_GETFL)
    guard flags >= 0, fcntl(fd.rawValue, F_SETFL, flags | O_NONBLOCK) == 0 else { throw Errno.current }
}
