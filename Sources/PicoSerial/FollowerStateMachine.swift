/// The follower's logic without I/O: fed hotplug events, open results and bytes, it returns what the
/// I/O layer must do. `LogFollower` drives it with the real udev monitor and termios port.
///
/// ```swift
/// var machine = FollowerStateMachine(identity: BoardIdentity(serial: "E66118604B2C3A2F"), reconnect: true)
/// for action in machine.start(present: try udev.serialDevices(), at: Timestamp.monotonicNow()) { … }
/// ```
public struct FollowerStateMachine: Sendable {
    /// Something the I/O layer must do, in the order returned.
    public enum Action: Sendable, Equatable {
        /// Open this tty (raw, DTR raised) and report `opened` or `openFailed`.
        case open(SerialDevice)
        /// Open this tty again after the delay (a node whose permissions udev has not applied yet).
        case retryOpen(SerialDevice, afterNanoseconds: Int64)
        /// Close the open port.
        case close
        /// Hand this event to the caller.
        case emit(FollowEvent)
        /// Stop following and return this.
        case finish(FollowEnd)
    }

    private enum State: Sendable {
        case idle
        case searching
        case opening(SerialDevice, appearedAt: Int64?, attempt: Int)
        case connected(SerialDevice)
        case finished
    }

    /// The board followed; pinned to the first match's serial or port path when it started unspecific.
    public private(set) var identity: BoardIdentity
    /// Whether the follower waits for the board to come back after it leaves.
    public let reconnect: Bool
    /// How many times a connection was opened.
    public private(set) var connections = 0
    /// Open attempts per appearance before giving up on it (permission races after hotplug).
    public var maxOpenAttempts = 5
    /// Delay between open attempts.
    public var retryDelayNanoseconds: Int64 = 20_000_000
    private var state: State = .idle
    private var assembler: LineAssembler
    private var lineStart: Timestamp?
    /// Whether `received` assembles lines (`line` events); `data` events come either way.
    public var assemblesLines = true

    /// A machine following `identity`; lines are cut at `maxLineLength` bytes.
    public init(identity: BoardIdentity, reconnect: Bool, maxLineLength: Int = 16 * 1024) {
        self.identity = identity
        self.reconnect = reconnect
        self.assembler = LineAssembler(maxLength: maxLineLength)
    }

    /// True once a `finish` action was returned.
    public var isFinished: Bool { if case .finished = state { true } else { false } }

    /// The tty currently open, if any.
    public var connectedDevice: SerialDevice? { if case .connected(let d) = state { d } else { nil } }

    /// Starts with the ttys present now (enumerated after the hotplug monitor was enabled).
    public mutating func start(present: [SerialDevice], at now: Int64) -> [Action] {
        guard case .idle = state else { preconditionFailure("start() called twice") }
        let matches = present.filter(identity.matches)
        if identity.isAny && matches.count > 1 {
            state = .finished
            return [.finish(.ambiguous(matches))]
        }
        guard let device = matches.first else {
            if let node = identity.devnode, !reconnect {
                // A tty named by path that is not there, and no waiting for it: fail at once.
                state = .finished
                return [.finish(.failed(.openFailed(path: node, errno: .noSuchFileOrDirectory)))]
            }
            state = .searching
            return [.emit(.waiting(identity))]
        }
        return match(device, appearedAt: nil)
    }

    /// A udev event for any tty.
    public mutating func hotplug(_ event: HotplugEvent) -> [Action] {
        switch (state, event.action) {
        case (.searching, .add), (.searching, .change):
            guard identity.matches(event.device) else { return [] }
            return match(event.device, appearedAt: event.receivedAt)
        case (.opening(let device, _, _), .remove) where device.devnode == event.device.devnode:
            state = .searching
            return [.emit(.openFailed(device, .openFailed(path: device.devnode, errno: .noSuchFileOrDirectory), willRetry: false))]
        case (.connected(let device), .remove) where device.devnode == event.device.devnode:
            return disconnect(device, reason: "removed")
        case (.connected(let device), .add) where device.devnode != event.device.devnode && identity.matches(event.device):
            // The board re-enumerated on another node before its old node reported an error.
            var actions = disconnect(device, reason: "re-enumerated as \(event.device.devnode)")
            if !isFinished { actions += match(event.device, appearedAt: event.receivedAt) }
            return actions
        default:
            return []
        }
    }

    /// The port of `device` is open (`dtr` says what happened to DTR) at monotonic time `now`.
    public mutating func opened(_ device: SerialDevice, dtr: DTRState, at now: Int64) -> [Action] {
        guard case .opening(let expected, let appearedAt, _) = state, expected.devnode == device.devnode else {
            return [.close]   // a stale open (the device left meanwhile): give the port back
        }
        state = .connected(device)
        connections += 1
        let latency = appearedAt.map { now - $0 }
        let event: FollowEvent = connections == 1
            ? .connected(device, dtr: dtr, latencyNanoseconds: latency)
            : .reconnected(device, dtr: dtr, latencyNanoseconds: latency, count: connections - 1)
        return [.emit(event)]
    }

    /// Opening `device` failed with `error`.
    public mutating func openFailed(_ device: SerialDevice, error: SerialError) -> [Action] {
        guard case .opening(let expected, let appearedAt, let attempt) = state, expected.devnode == device.devnode else {
            return []
        }
        let retryable = error.isDisconnect || error == .openFailed(path: device.devnode, errno: .permissionDenied)
            || error == .openFailed(path: device.devnode, errno: .resourceBusy)
        if retryable && attempt < maxOpenAttempts {
            state = .opening(device, appearedAt: appearedAt, attempt: attempt + 1)
            return [.emit(.openFailed(device, error, willRetry: true)),
                    .retryOpen(device, afterNanoseconds: retryDelayNanoseconds)]
        }
        if reconnect && retryable {
            state = .searching
            return [.emit(.openFailed(device, error, willRetry: false)), .emit(.waiting(identity))]
        }
        state = .finished
        return [.emit(.openFailed(device, error, willRetry: false)), .finish(.failed(error))]
    }

    /// Bytes read from the open port at `time`: a `data` event, then a `line` event per completed line.
    public mutating func received(_ bytes: [UInt8], at time: Timestamp) -> [FollowEvent] {
        guard case .connected = state, !bytes.isEmpty else { return [] }
        guard assemblesLines else { return [.data(bytes, time)] }
        var events: [FollowEvent] = [.data(bytes, time)]
        let lines = assembler.feed(bytes)
        events.reserveCapacity(lines.count + 1)
        for (index, line) in lines.enumerated() {
            // Only the first line can have begun in an earlier chunk.
            events.append(.line(line, index == 0 ? lineStart ?? time : time))
        }
        if assembler.atLineStart {
            lineStart = nil
        } else if !lines.isEmpty || lineStart == nil {
            lineStart = time
        }
        return events
    }

    /// Reading or writing the open port failed.
    public mutating func ioFailed(_ error: SerialError) -> [Action] {
        guard case .connected(let device) = state else { return [] }
        return disconnect(device, reason: error.isDisconnect ? "disconnected" : error.description)
    }

    /// The caller asked to stop.
    public mutating func stop() -> [Action] { finish(.stopped) }

    /// The timeout passed.
    public mutating func timedOut() -> [Action] { finish(.timedOut) }

    private mutating func match(_ device: SerialDevice, appearedAt: Int64?) -> [Action] {
        identity = identity.pinned(to: device)
        state = .opening(device, appearedAt: appearedAt, attempt: 1)
        return [.emit(.matched(device)), .open(device)]
    }

    private mutating func disconnect(_ device: SerialDevice, reason: String) -> [Action] {
        var actions: [Action] = [.close]
        actions += flushLine()
        actions.append(.emit(.disconnected(device, reason: reason)))
        if reconnect {
            state = .searching
            actions.append(.emit(.waiting(identity)))
        } else {
            state = .finished
            actions.append(.finish(.disconnected(device)))
        }
        return actions
    }

    private mutating func finish(_ end: FollowEnd) -> [Action] {
        guard !isFinished else { return [] }
        var actions: [Action] = []
        if case .connected(let device) = state {
            actions.append(.close)
            actions += flushLine()
            actions.append(.emit(.disconnected(device, reason: "closed")))
        }
        state = .finished
        return actions + [.finish(end)]
    }

    private mutating func flushLine() -> [Action] {
        defer { lineStart = nil }
        guard let line = assembler.flush() else { return [] }
        return [.emit(.line(line, lineStart ?? Timestamp.now()))]
    }
}
