import PicoBoot

/// A failure a simulated board injects when it receives its `atCommand`-th command (1-based).
public enum SimulatedFault: Hashable, Sendable {
    /// Reject the command with `status` and stall both endpoints.
    case stall(atCommand: Int, status: PicobootStatus)
    /// Stop answering the command; everything times out until an interface reset.
    case timeout(atCommand: Int)
    /// Disconnect from the bus when the command arrives.
    case disconnect(atCommand: Int)
    /// Flip the bits of the byte at `offset` in the command's READ data.
    case corruptRead(atCommand: Int, offset: Int)
    /// Report a token other than the command's in the status.
    case wrongToken(atCommand: Int)

    /// The command number the fault fires on.
    public var command: Int {
        switch self {
        case .stall(let n, _), .timeout(let n), .disconnect(let n), .corruptRead(let n, _), .wrongToken(let n): n
        }
    }
}

/// Where a simulated board is: what a host would see on the bus.
public enum BoardMode: Hashable, Sendable {
    /// In BOOTSEL, serving PICOBOOT.
    case bootsel
    /// Running the program in flash.
    case application
    /// Running a RAM image from `entry`.
    case ramImage(entry: UInt32)
    /// Between a reboot's disconnect and coming back.
    case rebooting
    /// Unplugged.
    case unplugged
}

/// Something that happened on a simulated board, in order.
public enum BoardEvent: Hashable, Sendable {
    /// A command block arrived (1-based count, id, token).
    case command(number: Int, id: PicobootCommandID, token: UInt32)
    /// A command was rejected with `status`; both endpoints stalled.
    case rejected(number: Int, status: PicobootStatus)
    /// A command failed with `status` but was acknowledged as if it had worked (`silentTaskFailures`).
    case silentlyIgnored(number: Int, status: PicobootStatus)
    /// The host reset the interface.
    case interfaceReset
    /// The host cleared the endpoint halts.
    case haltsCleared
    /// The board left the bus to reboot, heading for `target`.
    case rebooted(target: BoardMode)
    /// The board is back on the bus in `mode`.
    case attached(BoardMode)
    /// An injected fault fired.
    case faultFired(SimulatedFault)
}

/// Counters of the work a simulated board did.
public struct BoardStatistics: Hashable, Sendable {
    /// Command blocks received.
    public var commands = 0
    /// 4 KiB sectors erased.
    public var sectorErases = 0
    /// 64 KiB blocks erased (by a RAM helper's model).
    public var blockErases = 0
    /// 256-byte pages programmed.
    public var pagePrograms = 0
    /// Data-phase bytes received from the host.
    public var bytesFromHost: UInt64 = 0
    /// Data-phase bytes sent to the host.
    public var bytesToHost: UInt64 = 0
    /// Commands rejected with a stall.
    public var stalls = 0
    /// Erases and programs that arrived while the flash was in XIP mode (no EXIT_XIP before them);
    /// the model carries them out, but an RP2040 host must not rely on that.
    public var flashOperationsInXIPMode = 0

    /// Zero counters.
    public init() {}
}
