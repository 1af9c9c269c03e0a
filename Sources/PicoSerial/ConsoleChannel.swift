import SystemPackage

/// An open console the follower polls, reads and writes: a tty (`SerialPort`) or a network
/// connection (`NetworkConsolePort`).
protocol ConsoleChannel: AnyObject {
    /// The descriptor the follower polls.
    var fileDescriptor: FileDescriptor { get }
    /// What happened to DTR when the console was opened.
    var dtr: DTRState { get }
    /// Bytes the channel holds for the other end (the follower polls for writability while true).
    var hasPendingOutput: Bool { get }
    /// Data the channel already holds for `read` (the follower reads without waiting for the descriptor).
    var hasBufferedInput: Bool { get }
    /// Reads the console's data into `buffer` from `offset` on; 0 when nothing is pending. Throws a
    /// disconnect error when it is gone.
    func read(into buffer: inout [UInt8], at offset: Int) throws(SerialError) -> Int
    /// Raises or lowers DTR; says what happened.
    func setDTR(_ raised: Bool) throws(SerialError) -> DTRState
    /// Takes bytes for the console without blocking; returns how many it took.
    func writeSome(_ bytes: some Collection<UInt8>) throws(SerialError) -> Int
    /// Closes the console; later calls do nothing.
    func close()
}

extension SerialPort: ConsoleChannel {
    /// A tty writes straight to the kernel's queue: nothing is held.
    var hasPendingOutput: Bool { false }
    /// A tty's data waits in the kernel.
    var hasBufferedInput: Bool { false }
}

extension FollowOptions {
    /// The follower's one console device when it follows a network console; nil for a tty.
    var remoteDevice: SerialDevice? { remote?.device }

    /// Opens `device`: the network console when one is set (connecting until `deadline` at the latest), else the tty.
    func openChannel(_ device: SerialDevice, before deadline: Int64? = nil) throws(SerialError) -> any ConsoleChannel {
        if let remote {
            let left = deadline.map { max(1_000_000, $0 - Timestamp.monotonicNow()) } ?? connectTimeoutNanoseconds
            return try NetworkConsolePort.connect(remote, settings: remote.settings(baud: port.baud, assertDTR: port.assertDTR),
                                                  timeoutNanoseconds: min(connectTimeoutNanoseconds, left))
        }
        return try SerialPort.open(device.devnode, options: port)
    }
}
