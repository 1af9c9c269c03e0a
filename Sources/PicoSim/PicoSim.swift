/// Simulated boards: a deterministic model of the RP2040 and RP2350 bootroms and of a running app.
///
/// A `SimulatedBoard` implements `PicobootTransport` the way a USB device behaves, so the flash
/// executor runs against it unchanged:
///
/// ```swift
/// let board = SimulatedBoard(chip: .rp2040)
/// let connection = PicobootConnection(transport: board)
/// try connection.reset()
/// let bytes = try connection.read(address: 0x1000_0000, count: 256)
/// print(board.modelledTime)     // what a real board would have taken
/// ```
///
/// An RP2350 board answers GET_INFO (system, partition table, UF2 target partition) and OTP_READ
/// from what the test gives it: `partitionTable` (laid out from picotool's JSON by
/// `PartitionTableLayout`), `otp` rows and `otpPageLocks` (a locked page is refused as the bootrom
/// refuses it).
public enum PicoSim {}
