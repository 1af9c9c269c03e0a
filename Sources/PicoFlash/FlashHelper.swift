import PicoBoot
import UF2

/// What loading a flash helper found: ready (its self-check passed) or not used, and why.
public enum HelperLoad: Hashable, Sendable {
    /// Loaded; its CRC of its own code matched the host's.
    case ready
    /// Not used; `reason` is one line for `--verbose` and JSON.
    case unavailable(reason: String)

    /// True when the helper is ready.
    public var isReady: Bool { if case .ready = self { true } else { false } }
}

/// A faster way to erase and check flash than plain PICOBOOT: a routine run on the board.
///
/// The executor uses one when `FlashExecutor.helper` is set and `load` reports it ready; otherwise
/// it falls back to the bootrom's sector erases and read-back checks.
public protocol FlashHelper: AnyObject {
    /// A short name for plans and summaries.
    var name: String { get }
    /// Loads the helper and checks that it answers correctly.
    func load(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> HelperLoad
    /// Erases `[address, address + size)` (sector-aligned), with block erases where it can; the
    /// call may last as long as the datasheet allows for that many blocks and sectors.
    func erase(address: UInt32, size: UInt32, over connection: PicobootConnection) throws(PicobootError)
    /// The CRC-32/MPEG-2 of each sector of `[address, address + size)`, in order.
    func sectorCRCs(address: UInt32, size: UInt32, over connection: PicobootConnection) throws(PicobootError) -> [UInt32]
    /// The flash chip's 64-bit unique id (command 0x4B), most significant byte first as the flash sends it.
    func uniqueID(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> UInt64
    /// The flash's JEDEC id (command 0x9F): manufacturer, memory type, capacity. Needs `load` first.
    func jedecID(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> [UInt8]
}

/// A RAM helper driven through a `RAMHelperABI` parameter block: WRITE the block, EXEC, READ the answer.
public final class PicobootRAMHelper: FlashHelper {
    /// The helper's machine code (position-independent, returns to the bootrom).
    public let code: [UInt8]
    /// Where code and parameters live.
    public let abi: RAMHelperABI
    /// `ram-helper`.
    public let name = "ram-helper"

    /// A helper made of `code`, laid out by `abi`.
    public init(code: [UInt8], abi: RAMHelperABI = RAMHelperABI()) {
        self.code = code
        self.abi = abi
    }

    /// picoctl's own RP2040 helper (Firmware/ram-helper), at the default layout.
    public static func rp2040() -> PicobootRAMHelper { PicobootRAMHelper(code: RP2040RAMHelperCode.bytes) }

    /// Writes the code when the chip can run it, as many bytes as it has (no padding). Every load
    /// writes it again: one instance may serve several boards or a board that rebooted, and EXEC of
    /// stale RAM must never happen.
    func upload(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> String? {
        guard chip.hasExec else { return "the \(chip.name) bootrom has no EXEC" }
        guard !code.isEmpty, code.count <= 4096 else { return "no helper code, or more than 4 KiB" }
        try connection.write(address: abi.codeAddress, bytes: code)
        return nil
    }

    /// Writes the code once, then checks it: its CRC of its own bytes in SRAM must equal the host's.
    /// Costs one small call and no flash READ.
    public func load(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> HelperLoad {
        if let reason = try upload(over: connection, chip: chip) { return .unavailable(reason: reason) }
        let expected = CRC32MPEG2.checksum(code)
        do {
            let table = try call(.ramCRC, address: abi.codeAddress, size: UInt32(code.count), extra: 4, over: connection)
            let crc = table.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            guard crc == expected else {
                return .unavailable(reason: "self-check failed: the helper's CRC of its code is \(hex(crc)), expected \(hex(expected))")
            }
            return .ready
        } catch where error.reason != .transport(.disconnected) {
            return .unavailable(reason: "self-check failed: \(error)")
        }
    }

    /// Runs one call and returns `extra` bytes of table after checking the status word.
    /// `work` is the worst-case device time of the call (erases), added to the EXEC's allowance.
    func call(_ operation: RAMHelperABI.Operation, address: UInt32, size: UInt32, extra: UInt32, work: Duration = .zero,
              over connection: PicobootConnection) throws(PicobootError) -> [UInt8] {
        try connection.write(address: abi.parameterAddress, bytes: abi.header(operation, address: address, size: size))
        try connection.exec(address: abi.codeAddress | 1, work: work)
        let answer = try connection.read(address: abi.statusAddress, count: 4 + extra)
        let status = answer.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        guard status == 0 else {
            let why = [1: "range or alignment refused", 2: "too many sectors", 3: "unknown operation"][status] ?? "no answer"
            throw PicobootError(reason: .rejected(.unknownError), command: .exec,
                                commandText: "RAM helper \(operation) \(hex(address))+\(size): status \(hex(status)) (\(why))",
                                address: address, token: connection.nextToken &- 1, phase: .acknowledgement)
        }
        return Array(answer.dropFirst(4))
    }

    /// Erases with the helper; an unaligned range is refused before anything is sent.
    public func erase(address: UInt32, size: UInt32, over connection: PicobootConnection) throws(PicobootError) {
        guard address % 4096 == 0, size % 4096 == 0 else {
            throw PicobootError(reason: .rejected(.badAlignment), command: .exec,
                                commandText: "RAM helper erase \(hex(address))+\(size) (not 4096-aligned; not sent)",
                                address: address, token: connection.nextToken, phase: .command)
        }
        let units = RAMHelperABI.eraseUnits(address: address, size: size)
        _ = try call(.erase, address: address, size: size, extra: 0,
                     work: connection.timeouts.eraseWork(blocks: units.blocks, sectors: units.sectors), over: connection)
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

    /// Writes the code and reads the flash unique id (leaves the flash in XIP mode).
    public func uniqueID(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> UInt64 {
        if let reason = try upload(over: connection, chip: chip) {
            throw PicobootError(reason: .rejected(.unknownCommand), command: .exec, commandText: "RAM helper unique id: \(reason)",
                                address: nil, token: connection.nextToken, phase: .command)
        }
        let bytes = try call(.uniqueID, address: chip.flash.start, size: 0, extra: 8, over: connection)
        return bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Reads the flash's JEDEC id (leaves the flash in XIP mode); the helper must be loaded.
    public func jedecID(over connection: PicobootConnection, chip: Chip) throws(PicobootError) -> [UInt8] {
        try call(.jedecID, address: chip.flash.start, size: 0, extra: 3, over: connection)
    }
}
