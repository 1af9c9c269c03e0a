/// What a log follower reports, in order, while it follows one board.
///
/// A session reads: `waiting`? → `matched` → `connected` → (`data` and `line`)* → `disconnected`
/// → `waiting` → `matched` → `reconnected` → … Every `line` is preceded by the `data` that completed it.
public enum FollowEvent: Sendable, Equatable {
    /// No tty of the board is present; the follower waits for one to appear.
    case waiting(BoardIdentity)
    /// A tty of the board was found (present at start or hotplugged) and is being opened.
    case matched(SerialDevice)
    /// The first connection is open and DTR raised; `latency` runs from the tty's appearance to DTR (nil when it was already present).
    case connected(SerialDevice, dtr: DTRState, latencyNanoseconds: Int64?)
    /// A later connection (after a reset, re-enumeration or replug) is open; `count` is 1 for the first reconnection.
    case reconnected(SerialDevice, dtr: DTRState, latencyNanoseconds: Int64?, count: Int)
    /// Bytes as received, at the time they were read.
    case data([UInt8], Timestamp)
    /// A complete line; the timestamp is when its first byte was read.
    case line(Line, Timestamp)
    /// The board's tty went away (unplug, reset, read error) or the follower closed it.
    case disconnected(SerialDevice, reason: String)
    /// Opening a matched tty failed; `willRetry` says whether the follower tries again.
    case openFailed(SerialDevice, SerialError, willRetry: Bool)
}

/// Why a follower stopped.
public enum FollowEnd: Sendable, Equatable {
    /// The handler asked to stop, or `stop()` was called.
    case stopped
    /// The timeout passed.
    case timedOut
    /// The board went away and reconnection was off.
    case disconnected(SerialDevice)
    /// Several boards matched an unspecific selection; the caller must choose one.
    case ambiguous([SerialDevice])
    /// An error that following cannot get past.
    case failed(SerialError)
}

/// What a follower's handler wants after each event.
public enum FollowDecision: Sendable {
    /// Keep following.
    case `continue`
    /// Close the port and return `.stopped`.
    case stop
}
