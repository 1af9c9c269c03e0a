import CLibUSB

#if canImport(Glibc)
import Glibc
#endif

/// Devices that arrived, collected by the libusb hotplug callback for the waiting thread. The
/// callback may run on another thread that is handling the context's events, hence the lock.
private final class ArrivalBox: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var arrived: [OpaquePointer] = []

    /// Records a referenced device.
    func append(_ device: OpaquePointer) { lock.withLock { arrived.append(device) } }

    /// Takes everything recorded so far.
    func take() -> [OpaquePointer] {
        lock.withLock {
            defer { arrived.removeAll() }
            return arrived
        }
    }
}

/// The C callback: records the device and keeps listening. No I/O here (libusb forbids it).
private let arrivalCallback: libusb_hotplug_callback_fn = { _, device, _, userData in
    guard let device, let userData else { return 0 }
    let box = Unmanaged<ArrivalBox>.fromOpaque(userData).takeUnretainedValue()
    box.append(libusb_ref_device(device))
    return 0
}

extension USBContext {
    /// Waits for a device that satisfies `matches` to be on the bus, for at most `timeout`.
    ///
    /// Uses libusb hotplug callbacks (`libusb_hotplug_register_callback` with
    /// `LIBUSB_HOTPLUG_ENUMERATE`, so devices already present count) and
    /// `libusb_handle_events_timeout_completed`; no fixed sleeps. Where libusb has no hotplug
    /// support it rescans the bus every 50 ms instead. Returns nil on timeout.
    public func waitForDevice(timeout: Duration, where matches: (PicoDevice) -> Bool) throws(PicoUSBError) -> (USBDevice, PicoDevice)? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        guard Self.supportsHotplug else {
            repeat {
                for device in try devices() {
                    if let pico = try? PicoDevice(scanning: device), matches(pico) { return (device, pico) }
                }
                usleep(50_000)
            } while clock.now < deadline
            return nil
        }
        let box = ArrivalBox()
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        var callback: libusb_hotplug_callback_handle = 0
        let result = libusb_hotplug_register_callback(
            pointer, Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue), Int32(LIBUSB_HOTPLUG_ENUMERATE.rawValue),
            LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
            arrivalCallback, unmanaged.toOpaque(), &callback)
        if result < 0 { throw PicoUSBError(.hotplug, code: LibUSBError(rawValue: result)) }
        defer {
            libusb_hotplug_deregister_callback(pointer, callback)
            for device in box.take() { libusb_unref_device(device) }
        }
        while true {
            var pending = box.take()
            while !pending.isEmpty {
                let raw = pending.removeFirst()
                let device = USBDevice(context: self, retaining: raw)
                libusb_unref_device(raw)
                guard let seen = try? PicoDevice(scanning: device), matches(seen) else { continue }
                if let pico = Self.settle(device, seen, until: deadline) {
                    for rest in pending { libusb_unref_device(rest) }
                    return (device, pico)
                }
            }
            let remaining = deadline - clock.now
            if remaining <= .zero { return nil }
            do {
                try handleEvents(timeout: min(remaining, .milliseconds(250)))
            } catch where error == .interrupted {
                continue
            } catch {
                throw PicoUSBError(.hotplug, code: error)
            }
        }
    }

    /// Permissions are applied by udev a moment after a device appears: a matching device that
    /// refuses access is scanned again for up to a second before the refusal is reported.
    private static func settle(_ device: USBDevice, _ seen: PicoDevice, until deadline: ContinuousClock.Instant) -> PicoDevice? {
        guard seen.accessProblem?.code == .access else { return seen }
        let clock = ContinuousClock()
        let settle = min(deadline, clock.now + .seconds(1))
        var pico = seen
        while pico.accessProblem?.code == .access && clock.now < settle {
            usleep(50_000)
            guard let again = try? PicoDevice(scanning: device) else { return nil }
            pico = again
        }
        return pico
    }

    /// Waits for `board` to come back, in any mode that `accept` allows, after a reboot: matched by
    /// unique id, or by port path where the id is not unique (RP2040 BOOTSEL).
    public func waitForBoard(_ board: PicoDevice, timeout: Duration,
                             accept: @escaping (PicoDevice) -> Bool) throws(PicoUSBError) -> (USBDevice, PicoDevice)? {
        try waitForDevice(timeout: timeout) { candidate in
            accept(candidate) && candidate.isSameBoard(as: board)
        }
    }
}
