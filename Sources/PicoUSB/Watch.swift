import CLibUSB

/// A change on the bus, as `USBContext.watchPicoDevices` reports it.
public enum PicoHotplugEvent: Hashable, Sendable {
    /// On the bus when watching started.
    case present(PicoDevice)
    /// Plugged in, or re-enumerated after a reboot.
    case arrived(PicoDevice)
    /// Unplugged, or gone for a reboot; the description is the one seen on arrival.
    case left(PicoDevice)

    /// The device concerned.
    public var device: PicoDevice {
        switch self {
        case .present(let d), .arrived(let d), .left(let d): d
        }
    }
}

/// Arrivals and departures collected by the callback for the watching thread. The callback may run
/// on another thread handling the context's events (several boards waited for at once), hence the lock.
private final class EventBox: @unchecked Sendable {
    private let lock = PThreadMutex()
    /// `(arrived, libusb_device *)`, each device referenced with `libusb_ref_device`.
    private var events: [(Bool, OpaquePointer)] = []

    /// Records an event.
    func append(_ event: (Bool, OpaquePointer)) { lock.withLock { events.append(event) } }

    /// Takes everything recorded so far.
    func take() -> [(Bool, OpaquePointer)] {
        lock.withLock {
            defer { events.removeAll() }
            return events
        }
    }
}

private let watchCallback: libusb_hotplug_callback_fn = { _, device, event, userData in
    guard let device, let userData else { return 0 }
    let box = Unmanaged<EventBox>.fromOpaque(userData).takeUnretainedValue()
    box.append((event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED, libusb_ref_device(device)))
    return 0
}

extension USBContext {
    /// Reports Pico-family devices present now, then each arrival and departure, until `handler`
    /// returns false or `timeout` (if any) passes. libusb hotplug callbacks; no polling.
    /// `idle` runs after every wait of at most 250 ms (events or not); returning false stops too.
    public func watchPicoDevices(timeout: Duration? = nil, _ handler: (PicoHotplugEvent) -> Bool,
                                 idle: () -> Bool = { true }) throws(PicoUSBError) {
        guard Self.supportsHotplug else { throw PicoUSBError(.hotplug, code: .notSupported) }
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        let box = EventBox()
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        var callback: libusb_hotplug_callback_handle = 0
        let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
        let result = libusb_hotplug_register_callback(
            pointer, events, Int32(LIBUSB_HOTPLUG_ENUMERATE.rawValue), LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
            LIBUSB_HOTPLUG_MATCH_ANY, watchCallback, unmanaged.toOpaque(), &callback)
        if result < 0 { throw PicoUSBError(.hotplug, code: LibUSBError(rawValue: result)) }
        var known: [OpaquePointer: (USBDevice, PicoDevice)] = [:]
        defer {
            libusb_hotplug_deregister_callback(pointer, callback)
            for (_, raw) in box.take() { libusb_unref_device(raw) }
        }
        var initial = true
        while true {
            let batch = box.take()
            for (arrived, raw) in batch {
                defer { libusb_unref_device(raw) }
                if arrived {
                    let device = USBDevice(context: self, retaining: raw)
                    guard let pico = try? PicoDevice(scanning: device) else { continue }
                    known[raw] = (device, pico)
                    if !handler(initial ? .present(pico) : .arrived(pico)) { return }
                } else if let (_, pico) = known.removeValue(forKey: raw) {
                    if !handler(.left(pico)) { return }
                }
            }
            initial = false
            var slice = Duration.milliseconds(250)
            if let deadline {
                let remaining = deadline - clock.now
                if remaining <= .zero { return }
                slice = min(slice, remaining)
            }
            do {
                try handleEvents(timeout: slice)
            } catch where error == .interrupted {
                continue
            } catch {
                throw PicoUSBError(.hotplug, code: error)
            }
            if !idle() { return }
        }
    }
}
