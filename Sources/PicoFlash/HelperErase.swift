import PicoBoot
import UF2

extension FlashExecutor {
    /// The calls a RAM-helper erase of `[address, address + size)` is split into: each 64 KiB block
    /// on its own, and the sectors between block boundaries together (at most 15). One EXEC then
    /// carries at most one block (2 s at the datasheet maximum) or 15 sectors (6 s), and progress
    /// comes after each block however slow the chip.
    static func helperErasePieces(address: UInt32, size: UInt32) -> [(address: UInt32, size: UInt32)] {
        let block: UInt64 = 64 * 1024
        var pieces: [(address: UInt32, size: UInt32)] = []
        var cursor = UInt64(address)
        let end = UInt64(address) + UInt64(size)
        while cursor < end {
            let next = cursor % block == 0 && cursor + block <= end ? cursor + block : min(end, (cursor / block + 1) * block)
            pieces.append((UInt32(cursor), UInt32(next - cursor)))
            cursor = next
        }
        return pieces
    }

    /// Erases `[address, address + size)` with `helper` piece by piece (see `helperErasePieces`),
    /// adding each piece to `done` and reporting `.erase` progress out of `total`.
    func eraseWithHelper(_ helper: any FlashHelper, address: UInt32, size: UInt32,
                         done: inout UInt64, total: UInt64) throws(FlashError) {
        for piece in Self.helperErasePieces(address: address, size: size) {
            try device { () throws(PicobootError) in try helper.erase(address: piece.address, size: piece.size, over: connection) }
            done += UInt64(piece.size)
            onEvent(.progress(.erase, done: done, total: total))
        }
    }
}
