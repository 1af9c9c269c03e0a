import PicoBoot
import UF2

/// A faster way to erase and check flash than plain PICOBOOT: a routine run on the board.
///
/// The executor uses one when `FlashExecutor.helper` is set and `load` succeeds; otherwise it
/// falls back to the bootrom's sector erases and read-back checks.
public protocol FlashHelper: AnyObject {
    /// A short name for plans and summaries.
    var name: String { get }
    /// Loads the helper and checks that it answers; false means "use plain PICOBOOT".
    func load(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> Bool
    /// Erases `[address, address + size)` (sector-aligned), with block erases where it can.
    func erase(address: UInt32, size: UInt32, over connection: PicobootConnection) throws(PicobootError)
    /// The CRC-32/MPEG-2 of each sector of `[address, address + size)`, in order.
    func sectorCRCs(address: UInt32, size: UInt32, over connection: PicobootConnection) throws(PicobootError) -> [UInt32]
}

/// A RAM helper driven through a `RAMHelperABI` parameter block: WRITE the block, EXEC, READ the answer.
public final class PicobootRAMHelper: FlashHelper {
    /// The helper's machine code (position-independent, returns to the bootrom).
    public let code: [UInt8]
    /// Where code and parameters live.
    public let abi: RAMHelperABI
    /// `ram-helper`.
    public let name = "ram-helper"
    private var loaded = false

    /// A helper made of `code`, laid out by `abi`.
    public init(code: [UInt8], abi: RAMHelperABI = RAMHelperABI()) {
        self.code = code
        self.abi = abi
    }

    /// Writes the code once, then runs a one-sector CRC as a check (RP2040 only: needs EXEC).
    public func load(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> Bool {
        guard chip.hasExec, !code.isEmpty else { return false }
        if !loaded {
            try connection.write(address: abi.codeAddress, bytes: code)
            loaded = true
        }
        do {
            _ = try sectorCRCs(address: chip.flash.start, size: chip.sectorSize, over: connection)
            return true
        } catch where error.reason != .transport(.disconnected) {
            loaded = false
            return false
        }
    }

    /// Runs one call and returns the status word followed by `extra` bytes of table.
    func call(_ operation: RAMHelperABI.Operation, address: UInt32, size: UInt32, extra: UInt32,
              over connection: PicobootConnection) throws(PicobootError) -> [UInt8] {
        try connection.write(address: abi.parameterAddress, bytes: abi.header(operation, address: address, size: size))
        try connection.exec(address: abi.codeAddress | 1)
        let answer = try connection.read(address: abi.statusAddress, count: 4 + extra)
        let status = answer.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        guard status == 0 else {
            throw PicobootError(reason: .rejected(.unknownError), command: .exec, commandText: "RAM helper \(operation)",
                                address: address, token: connection.nextToken &- 1, phase: .acknowledgement)
        }
        return Array(answer.dropFirst(4))
    }

    /// Erases with the helper.
    public func erase(address: UInt32, size: UInt32, over connection: PicobootConnection) throws(PicobootError) {
        _ = try call(.erase, address: address, size: size, extra: 0, over: connection)
    }

    /// Per-sector CRCs, in calls of at most `abi.maxSectors` sectors.
    public func sectorCRCs(address: UInt32, size: UInt32, over connection: PicobootConnection) throws(PicobootError) -> [UInt32] {
        var result: [UInt32] = []
        var cursor = address
        let end = UInt64(address) + UInt64(size)
        while UInt64(cursor) < end {
            let chunk = UInt32(min(UInt64(abi.maxSectors) * 4096, end - UInt64(cursor)))
            let table = try call(.crc, address: cursor, size: chunk, extra: chunk / 4096 * 4, over: connection)
            for index in stride(from: 0, to: table.count, by: 4) {
                result.append(UInt32(table[index]) | UInt32(table[index + 1]) << 8 | UInt32(table[index + 2]) << 16 | UInt32(table[index + 3]) << 24)
            }
            cursor += chunk
        }
        return result
    }
}
