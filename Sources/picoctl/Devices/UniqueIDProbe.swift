import PicoUSB

/// Finds an RP2040 in BOOTSEL by the unique id its app shows as serial: the BOOTSEL serial is shared
/// by every RP2040, so the flash unique id is read over PICOBOOT (RAM helper) from each candidate.
enum UniqueIDProbe {
    /// The RP2040 in BOOTSEL among `scanned` whose flash unique id is `id` (16 hex digits) and that
    /// meets the rest of `selector`; nil when none does or `id` is not a unique id.
    static func find(_ id: String, selector: BoardSelector,
                     in scanned: [(device: USBDevice, board: PicoDevice)]) -> (device: USBDevice, board: PicoDevice)? {
        guard id.count == 16, UInt64(id, radix: 16) != nil else { return nil }
        var rest = selector
        rest.serial = nil
        for pair in scanned where pair.board.mode == .bootsel && pair.board.chip == .rp2040 && !pair.board.serialIsUnique
            && pair.board.accessProblem == nil && rest.matches(pair.board) {
            guard let session = try? DeviceSession(device: pair.device, board: pair.board) else { continue }
            defer { session.close() }
            if let read = try? session.run({ try $0.readUniqueID() }) ?? nil, InfoCommand.uniqueIDText(read) == id.uppercased() {
                return pair
            }
        }
        return nil
    }
}
