import CLibUSB

#if canImport(Glibc)
import Glibc
#endif

/// Devices that arrived, collected by the libusb hotplug callback for the waiting thread.
private final class ArrivalBox {
    /// `libusb_device *` references taken in the callback (`libusb_ref_device`), not yet examined.
    var arrived: [OpaquePointer] = []
}

/// The C callback: records the device and keeps listening. No I/O here (libusb forbids it).
private let arrivalCallback: libusb_hotplug_callback_fn = { _, device, _, userData in
    guard let device, let userData else { return 0 }
    let box = Unmanaged<ArrivalBox>.fromOpaque(userData).takeUnretainedValue()
    box.arrived.append(libusb_ref_device(device))
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
            for device in box.arrived { libusb_unref_device(device) }
            box.arrived.removeAll()
        }
        while true {
            while !box.arrived.isEmpty {
                let raw = box.arrived.removeFirst()
                let device = USBDevice(context: self, retaining: raw)
                libusb_unref_device(raw)
                if let pico = Self.scanSettled(device, until: deadline), matches(pico) { return (device, pico) }
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

    /// Scans a device that has just arrived. Permissions are applied by udev a moment after the
    /// device appears, so a refusal is retried briefly before it is reported.
    private static func scanSettled(_ device: USBDevice, until deadline: ContinuousClock.Instant) -> PicoDevice? {
        let clock = ContinuousClock()
        let settle = min(deadline, clock.now + .seconds(1))
        while true {
            guard let pico = try? PicoDevice(scanning: device) else { return nil }
            if pico.accessProblem?.code != .access || clock.now >= settle { return pico }
            usleep(20_000)
        }
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
