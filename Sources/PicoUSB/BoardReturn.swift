#if canImport(Glibc)
import Glibc
#endif

/// What a board came back as after it was told to reboot into its program.
public enum BoardReturn: Hashable, Sendable {
    /// Back on the bus running a program (a pico-sdk app, MicroPython, ...): the device it shows.
    case running(PicoDevice)
    /// In BOOTSEL: it re-enumerated into BOOTSEL (the program did not start), or never left it.
    case bootsel(PicoDevice, left: Bool)
    /// It left the bus and nothing came back in time: a program without USB (or one that is slow to start).
    case noUSB
    /// It left the bus; its return was not waited for (`--no-wait`).
    case left

    /// True when the board is known to run a program or at least left BOOTSEL.
    public var leftBootsel: Bool {
        if case .bootsel = self { return false }
        return true
    }
}

/// Follows one board from the moment it was told to reboot: has the old enumeration left, and what
/// (of the same board, at the same port) has arrived since. Pure; `USBContext.waitForReturn` feeds it.
public struct BoardReturnTracker: Sendable {
    /// The enumeration that was told to reboot.
    public let old: PicoDevice
    /// True once the old enumeration is gone.
    public private(set) var oldLeft = false
    /// What came back, once something did.
    public private(set) var outcome: BoardReturn?

    /// A tracker for `old`, the device as it was when told to reboot.
    public init(old: PicoDevice) { self.old = old }

    /// True when `device` is the old enumeration itself (same bus, address, port, ids and mode).
    func isOld(_ device: PicoDevice) -> Bool {
        device.usb.bus == old.usb.bus && device.usb.address == old.usb.address && device.usb.portPath == old.usb.portPath
            && device.usb.vendorID == old.usb.vendorID && device.usb.productID == old.usb.productID && device.mode == old.mode
    }

    /// True when `device` is the same physical board in a new enumeration.
    func isSameBoard(_ device: PicoDevice) -> Bool {
        !isOld(device) && (device.usb.portPath == old.usb.portPath || device.isSameBoard(as: old))
    }

    /// Takes one hotplug event into account.
    public mutating func handle(_ event: PicoHotplugEvent) {
        switch event {
        case .left(let device):
            if isOld(device) { oldLeft = true }
        case .present(let device), .arrived(let device):
            guard outcome == nil, isSameBoard(device) else { return }
            // A new enumeration of the board means the old one is gone, even if its removal was not seen.
            oldLeft = true
            outcome = device.mode == .bootsel ? .bootsel(device, left: true) : .running(device)
        }
    }

    /// The initial enumeration is over: an old device that was not among those present has left.
    public mutating func initialScanDone(sawOld: Bool) {
        if !sawOld { oldLeft = true }
    }

    /// The answer when time has run out.
    public func timedOut() -> BoardReturn {
        if let outcome { return outcome }
        return oldLeft ? .noUSB : .bootsel(old, left: false)
    }
}

extension USBContext {
    /// Waits until `board` (told to reboot a moment ago) has left the bus and come back, and says
    /// what it came back as. Without `waitForReturn` it returns `.left` as soon as the old
    /// enumeration is gone. `leaveTimeout` bounds the wait for the departure, `timeout` the whole wait.
    /// libusb hotplug events; where libusb has none, the bus is scanned every 50 ms.
    ///
    /// Nothing on the bus tells a program without USB from one slow to start its USB: both leave
    /// BOOTSEL and show nothing. So a program without USB is only known when `timeout` runs out;
    /// `waiting` runs once, `quietAfterLeave` after the old enumeration left with nothing back yet,
    /// so that the caller can say what it is waiting for.
    public func waitForReturn(of board: PicoDevice, leaveTimeout: Duration, timeout: Duration,
                              waitForReturn: Bool = true, quietAfterLeave: Duration = .seconds(2),
                              waiting: () -> Void = {}) throws(PicoUSBError) -> BoardReturn {
        let clock = ContinuousClock()
        let start = clock.now
        var tracker = BoardReturnTracker(old: board)
        var leftAt: ContinuousClock.Instant?, saidWaiting = false
        func done() -> Bool {
            if tracker.outcome != nil { return true }
            if tracker.oldLeft && waitForReturn && !saidWaiting {
                let now = clock.now
                if now - (leftAt ?? now) >= quietAfterLeave {
                    saidWaiting = true
                    waiting()
                }
                leftAt = leftAt ?? now
            }
            if tracker.oldLeft && !waitForReturn { return true }
            return !tracker.oldLeft && clock.now - start >= leaveTimeout
        }
        func finish() -> BoardReturn {
            if let outcome = tracker.outcome { return waitForReturn || !outcome.leftBootsel ? outcome : .left }
            if tracker.oldLeft && !waitForReturn { return .left }
            return tracker.timedOut()
        }
        guard Self.supportsHotplug else {
            repeat {
                let present = try scan().map(\.board)
                tracker.initialScanDone(sawOld: present.contains { tracker.isOld($0) })
                for device in present { tracker.handle(.present(device)) }
                if done() { break }
                usleep(50_000)
            } while clock.now - start < timeout
            return finish()
        }
        var sawOld = false, initial = true
        try watchPicoDevices(timeout: timeout, { event in
            if initial {
                if case .present(let device) = event {
                    if tracker.isOld(device) { sawOld = true }
                } else {
                    initial = false
                    tracker.initialScanDone(sawOld: sawOld)
                }
            }
            tracker.handle(event)
            return !done()
        }, idle: {
            if initial {
                initial = false
                tracker.initialScanDone(sawOld: sawOld)
            }
            return !done()
        })
        return finish()
    }
}
