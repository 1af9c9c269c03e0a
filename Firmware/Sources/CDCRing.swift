// The CDC transmit ring: log bytes wait here until the USB bulk IN endpoint takes them. Like the
// pico-sdk's stdio_usb, nothing is queued until the host has raised DTR.

/// Ring buffer of bytes bound for the CDC data IN endpoint, in `Scratch.cdcRing`.
enum CDCRing {
    nonisolated(unsafe) static var head = 0
    nonisolated(unsafe) static var tail = 0
    /// True while the host holds DTR up on a configured device.
    nonisolated(unsafe) static var accepting = false

    /// Bytes waiting.
    static var count: Int { (head &- tail) & (Scratch.cdcRingSize - 1) }

    /// Queues `byte` if the host listens; drops it when the ring is full (a slow host loses
    /// log lines, it never stalls the firmware).
    static func push(_ byte: UInt8) {
        guard accepting, count < Scratch.cdcRingSize - 1 else { return }
        Scratch.cdcRing[head] = byte
        head = (head + 1) & (Scratch.cdcRingSize - 1)
    }

    /// Removes and returns the oldest byte.
    static func pop() -> UInt8? {
        if head == tail { return nil }
        let byte = Scratch.cdcRing[tail]
        tail = (tail + 1) & (Scratch.cdcRingSize - 1)
        return byte
    }

    /// Forgets everything queued.
    static func clear() {
        head = 0
        tail = 0
    }
}
