/// Where a RAM helper (RP2040: a routine loaded over PICOBOOT and run with EXEC) lives and how
/// the host talks to it: a parameter block in SRAM, written before EXEC and read after it.
///
/// Block layout (little-endian words at `parameterAddress`): operation, address, size, status
/// (written by the helper, 0 = done), then one CRC-32/MPEG-2 word per 4 KiB sector for `.crc`
/// (or the 8 unique-id bytes for `.uniqueID`, the 3 JEDEC id bytes for `.jedecID`).
public struct RAMHelperABI: Hashable, Sendable {
    /// What the helper is asked to do.
    public enum Operation: UInt32, Sendable {
        /// Erase `[address, address + size)` with 64 KiB blocks (0xD8) where aligned, sectors elsewhere.
        case erase = 1
        /// CRC-32/MPEG-2 of each 4 KiB sector of `[address, address + size)` into the table.
        case crc = 2
        /// The flash's 64-bit unique id (command 0x4B) into the table's first 8 bytes (address = flash base, size 0).
        case uniqueID = 3
        /// CRC-32/MPEG-2 of each 4 KiB of SRAM `[address, address + size)` (4096-aligned address, any
        /// size: the last word covers what is left): the host's self-check of the helper.
        case ramCRC = 4
        /// The flash's JEDEC id (command 0x9F: manufacturer, memory type, capacity byte n for 2^n
        /// bytes) into the table's first 3 bytes (address = flash base, size 0).
        case jedecID = 5
    }

    /// Where the helper's code is written (EXEC goes to this address with the Thumb bit set).
    public var codeAddress: UInt32
    /// Where the parameter block starts.
    public var parameterAddress: UInt32
    /// The largest number of sectors one CRC call may cover (table room).
    public var maxSectors: Int

    /// A layout with the code at `codeAddress` and the parameter block at `parameterAddress`.
    public init(codeAddress: UInt32 = 0x2000_0000, parameterAddress: UInt32 = 0x2000_1000, maxSectors: Int = 1024) {
        self.codeAddress = codeAddress
        self.parameterAddress = parameterAddress
        self.maxSectors = maxSectors
    }

    /// Bytes of the header words (operation, address, size, status).
    public static let headerSize: UInt32 = 16

    /// The address of the status word.
    public var statusAddress: UInt32 { parameterAddress + 12 }

    /// The address of the CRC table.
    public var tableAddress: UInt32 { parameterAddress + Self.headerSize }

    /// The header words for a call, status preset to 0xFFFFFFFF (not done).
    public func header(_ operation: Operation, address: UInt32, size: UInt32) -> [UInt8] {
        words(operation.rawValue, address, size, 0xFFFF_FFFF)
    }

    /// How a helper erase of `[address, address + size)` divides: 64 KiB blocks (0xD8) where the
    /// range allows, 4 KiB sectors elsewhere (what the bootrom's flash_range_erase does).
    public static func eraseUnits(address: UInt32, size: UInt32) -> (blocks: Int, sectors: Int) {
        let block: UInt64 = 64 * 1024, sector: UInt64 = 4096
        var cursor = UInt64(address), blocks = 0, sectors = 0
        let end = UInt64(address) + UInt64(size)
        while cursor < end {
            if cursor % block == 0 && cursor + block <= end {
                blocks += 1
                cursor += block
            } else {
                sectors += 1
                cursor += sector
            }
        }
        return (blocks, sectors)
    }
}
