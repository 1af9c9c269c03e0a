import PicoBoot
import UF2

/// The effect of an RP2040 RAM helper on a simulated board: EXEC at the helper's code address
/// carries out the parameter block (block erase, per-sector CRCs, flash unique id and JEDEC id) with the helper's timing.
public enum SimulatedHelper {
    /// Makes EXEC at `abi.codeAddress` behave like the helper (RP2040 boards only).
    public static func install(on board: SimulatedBoard, abi: RAMHelperABI = RAMHelperABI()) {
        board.execHandler = { board, address in
            guard address == abi.codeAddress & ~1 else { return (.ok, .microseconds(10)) }
            return run(on: board, abi: abi)
        }
    }

    /// Carries out the parameter block; returns the EXEC status and the modelled time.
    static func run(on board: SimulatedBoard, abi: RAMHelperABI) -> (PicobootStatus, Duration) {
        let base = Int(abi.parameterAddress - board.chip.sram.start)
        func word(_ index: Int) -> UInt32 {
            let at = base + index * 4
            return UInt32(board.sram[at]) | UInt32(board.sram[at + 1]) << 8 | UInt32(board.sram[at + 2]) << 16 | UInt32(board.sram[at + 3]) << 24
        }
        func store(_ value: UInt32, at offset: Int) {
            for byte in 0..<4 { board.sram[base + offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte))) }
        }
        let operation = RAMHelperABI.Operation(rawValue: word(0)), address = word(1), size = word(2)
        let sector = board.chip.sectorSize
        if operation == .ramCRC {
            // Any size from a 4096-aligned address: the last word covers a partial 4 KiB.
            let words = Int((UInt64(size) + UInt64(sector) - 1) / UInt64(sector))
            guard board.chip.sram.contains(address, length: UInt64(size)), address % sector == 0, words <= abi.maxSectors else {
                store(1, at: 12)
                return (.ok, .microseconds(20))
            }
            let base = Int(address - board.chip.sram.start)
            for index in 0..<words {
                let start = base + index * Int(sector), end = min(start + Int(sector), base + Int(size))
                store(CRC32MPEG2.checksum(board.sram[start..<end]), at: Int(RAMHelperABI.headerSize) + index * 4)
            }
            store(0, at: 12)
            return (.ok, .microseconds(20) + board.timing.helperCRC(bytes: UInt64(size)))
        }
        guard board.chip.flash.contains(address, length: UInt64(size)), address % sector == 0, size % sector == 0 else {
            store(1, at: 12)
            return (.ok, .microseconds(20))
        }
        var spent: Duration = .microseconds(20)
        switch operation {
        case .erase?:
            spent += board.helperErase(address: address, size: size)
            board.xipExited = true      // left as after EXIT_XIP
        case .crc?:
            let count = Int(size / sector)
            guard count <= abi.maxSectors else { store(2, at: 12); return (.ok, spent) }
            for index in 0..<count {
                let offset = board.flashOffset(address + UInt32(index) * sector)
                let crc = CRC32MPEG2.checksum(board.flash[offset..<(offset + Int(sector))])
                store(crc, at: Int(RAMHelperABI.headerSize) + index * 4)
            }
            spent += board.timing.helperCRC(bytes: UInt64(size))
            board.xipExited = false     // reads go through XIP: left as after ENTER_CMD_XIP
        case .uniqueID?:
            for byte in 0..<8 {
                board.sram[base + Int(RAMHelperABI.headerSize) + byte] = UInt8(truncatingIfNeeded: board.uniqueID >> (56 - 8 * UInt64(byte)))
            }
            spent += .microseconds(50)
            board.xipExited = false     // left as after ENTER_CMD_XIP
        case .jedecID?:
            for (index, byte) in board.jedecID.prefix(3).enumerated() {
                board.sram[base + Int(RAMHelperABI.headerSize) + index] = byte
            }
            spent += .microseconds(30)
            board.xipExited = false     // left as after ENTER_CMD_XIP
        case .ramCRC?:
            preconditionFailure("handled above")
        case nil:
            store(3, at: 12)
            return (.ok, spent)
        }
        store(0, at: 12)
        return (.ok, spent)
    }
}
