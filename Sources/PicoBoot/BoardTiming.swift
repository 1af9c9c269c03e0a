/// How long a real board takes for the work PICOBOOT asks of it: the model behind simulated
/// boards, plan estimates and benchmarks (figures from the W25Q-class flash and full-speed USB).
public struct BoardTiming: Hashable, Sendable {
    /// Bulk payload rate of USB full speed, bytes per second.
    public var bulkBytesPerSecond: Double = 1_200_000
    /// Fixed cost of one PICOBOOT exchange (command block and acknowledgement round trips).
    public var commandOverhead: Duration = .microseconds(500)
    /// One 4 KiB sector erase.
    public var sectorErase: Duration = .milliseconds(45)
    /// One 64 KiB block erase (command 0xD8, used only by a RAM helper).
    public var blockErase: Duration = .milliseconds(150)
    /// One 256-byte page program.
    public var pageProgram: Duration = .microseconds(500)
    /// Flash read rate of the device side, bytes per second (XIP reads; small next to USB).
    public var flashReadBytesPerSecond: Double = 20_000_000
    /// CRC-32 rate of a RAM helper over XIP reads (table-driven on a 125 MHz Cortex-M0+; an estimate).
    public var helperCRCBytesPerSecond: Double = 8_000_000
    /// The flash unit sizes the figures are for.
    public var sectorSize: UInt32 = 4096
    /// The page size the figures are for.
    public var pageSize: UInt32 = 256

    /// The typical figures of a Pico board.
    public init() {}

    /// The typical figures of a Pico board.
    public static let typical = BoardTiming()

    /// Time to move `bytes` of bulk payload.
    public func transfer(bytes: UInt64) -> Duration {
        .nanoseconds(Int64((Double(bytes) / bulkBytesPerSecond * 1e9).rounded()))
    }

    /// Time for the device to read `bytes` of flash.
    public func flashRead(bytes: UInt64) -> Duration {
        .nanoseconds(Int64((Double(bytes) / flashReadBytesPerSecond * 1e9).rounded()))
    }

    /// Time for a RAM helper to CRC `bytes` of flash.
    public func helperCRC(bytes: UInt64) -> Duration {
        .nanoseconds(Int64((Double(bytes) / helperCRCBytesPerSecond * 1e9).rounded()))
    }

    /// Time for a RAM helper to erase `[address, address + size)`: 64 KiB blocks where aligned, sectors elsewhere.
    public func helperErase(address: UInt32, size: UInt32) -> Duration {
        let units = RAMHelperABI.eraseUnits(address: address, size: size)
        return blockErase * units.blocks + sectorErase * units.sectors
    }

    /// Time to erase `sectors` sectors one by one, as both bootroms do.
    public func erase(sectors: Int) -> Duration { sectorErase * sectors }

    /// Time to program `pages` pages.
    public func program(pages: Int) -> Duration { pageProgram * pages }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var secondsValue: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}
