/// What `BoardTracker` makes of the bus's hotplug events: boards, not USB enumerations.
public enum BoardChange: Hashable, Sendable {
    /// On the bus when watching started.
    case present(PicoDevice)
    /// A board not seen leaving within the grace time: newly plugged in.
    case arrived(PicoDevice)
    /// Gone, and not back within the grace time.
    case left(PicoDevice)
    /// The same board left and came back within the grace time, possibly in another mode
    /// (app → BOOTSEL after a reset request, BOOTSEL → app after flashing).
    case changed(from: PicoDevice, to: PicoDevice)

    /// The board as it is now (or was last seen, for `left`).
    public var device: PicoDevice {
        switch self {
        case .present(let d), .arrived(let d), .left(let d), .changed(_, let d): d
        }
    }
}

/// Correlates hotplug events into board changes: a departure is held for `grace`, and an arrival of
/// the same board meanwhile (same unique id; for an RP2040 in BOOTSEL, whose serial is shared, the
/// same USB port path) becomes one `changed` instead of a departure and an arrival.
///
/// It also learns each RP2040's unique id from its app serial, by port path, so that the board is
/// still known by that id (and named) while it is in BOOTSEL. Pure: the caller supplies the time.
public struct BoardTracker: Sendable {
    /// How long a departed board may take to come back as the same board.
    public var grace: Duration
    private var pending: [(device: PicoDevice, deadline: ContinuousClock.Instant)] = []
    private var learned: [USBPortPath: String] = [:]

    /// A tracker that waits `grace` for a departed board to come back (a reset into BOOTSEL takes
    /// well under a second on a real board).
    public init(grace: Duration = .seconds(3)) { self.grace = grace }

    /// The changes one hotplug event makes, at time `now`.
    public mutating func handle(_ event: PicoHotplugEvent, at now: ContinuousClock.Instant) -> [BoardChange] {
        var changes = expire(at: now)
        switch event {
        case .present(let device):
            learn(device)
            changes.append(.present(device))
        case .arrived(let device):
            learn(device)
            if let index = pending.firstIndex(where: { Self.same($0.device, device) }) {
                changes.append(.changed(from: pending.remove(at: index).device, to: device))
            } else {
                changes.append(.arrived(device))
            }
        case .left(let device):
            pending.append((device, now + grace))
        }
        return changes
    }

    /// Departures whose grace time has passed by `now`, as `left`.
    public mutating func expire(at now: ContinuousClock.Instant) -> [BoardChange] {
        let due = pending.filter { $0.deadline <= now }
        pending.removeAll { $0.deadline <= now }
        return due.map { .left($0.device) }
    }

    /// Every departure still held, as `left` (when watching ends).
    public mutating func flush() -> [BoardChange] {
        defer { pending.removeAll() }
        return pending.map { .left($0.device) }
    }

    /// The board's unique id: its own serial when unique, else the id an RP2040 app at its port showed.
    public func uniqueID(of device: PicoDevice) -> String? {
        device.serialIsUnique ? device.usb.serialNumber?.uppercased() : learned[device.usb.portPath]
    }

    /// Remembers the unique id an RP2040 app shows at its port.
    private mutating func learn(_ device: PicoDevice) {
        if device.mode == .app, device.chip == .rp2040, device.serialIsUnique, let serial = device.usb.serialNumber {
            learned[device.usb.portPath] = serial.uppercased()
        }
    }

    /// Same board: `isSameBoard`, with chips that agree when both are known.
    static func same(_ old: PicoDevice, _ new: PicoDevice) -> Bool {
        if let a = old.chip, let b = new.chip, a != b { return false }
        return old.isSameBoard(as: new)
    }
}
