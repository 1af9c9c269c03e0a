import PicoBoot
import UF2

/// What a plan will cost on a real board, phase by phase, from a `BoardTiming` model.
public struct PlanEstimate: Hashable, Sendable {
    /// Reading the device's contents before planning.
    public var check: Duration
    /// Erasing.
    public var erase: Duration
    /// Sending and programming pages (or writing RAM).
    public var write: Duration
    /// Reading back.
    public var verify: Duration
    /// Commands the plan sends (check included).
    public var commands: Int
    /// Bytes over USB in data phases (check included).
    public var bytes: UInt64

    /// The whole flash.
    public var total: Duration { check + erase + write + verify }

    /// The least any flash of this plan can take: erase, program and the transfer of what must be written.
    public var limit: Duration { erase + write }
}

extension FlashPlan {
    /// The modelled cost of carrying out the plan on a board with `timing`.
    public func estimate(timing: BoardTiming = .typical) -> PlanEstimate {
        let check = timing.transfer(bytes: checkedBytes) + timing.flashRead(bytes: checkedBytes) + checkDeviceTime
            + timing.commandOverhead * checkCommands
        let eraseRuns = self.eraseRuns, writeRuns = self.writeRuns, verifyRuns = self.verifyRuns
        // A helper call is three commands (parameters, EXEC, status); the bootrom erases sector by sector.
        let erase = self.erase == .helperBlocks
            ? eraseRuns.reduce(Duration.zero) { $0 + timing.helperErase(address: $1.address, size: $1.size) }
                + timing.commandOverhead * (3 * eraseRuns.count)
            : timing.erase(sectors: sectorsToErase.count) + timing.commandOverhead * eraseRuns.count
        let eraseCommands = self.erase == .helperBlocks ? 3 * eraseRuns.count : eraseRuns.count
        let write: Duration, verifyTime: Duration
        let writeCommands: Int, verifyCommands: Int
        if kind == .ram {
            writeCommands = ramSegments.reduce(0) { $0 + ($1.count + Int(maxTransfer) - 1) / Int(maxTransfer) }
            write = timing.transfer(bytes: bytesToWrite) + timing.commandOverhead * writeCommands
            verifyCommands = verify ? writeCommands : 0
            verifyTime = timing.transfer(bytes: bytesToVerify) + timing.commandOverhead * verifyCommands
        } else {
            writeCommands = writeRuns.count
            write = timing.transfer(bytes: bytesToWrite) + timing.program(pages: pageCount) + timing.commandOverhead * writeCommands
            if verifyByCRC {
                verifyCommands = 3 * verifyRuns.count
                let checked = verifyRuns.reduce(UInt64(0)) { $0 + UInt64($1.size) }
                verifyTime = timing.transfer(bytes: bytesToVerify) + timing.helperCRC(bytes: checked)
                    + timing.commandOverhead * verifyCommands
            } else {
                verifyCommands = verifyRuns.count
                verifyTime = timing.transfer(bytes: bytesToVerify) + timing.flashRead(bytes: bytesToVerify)
                    + timing.commandOverhead * verifyCommands
            }
        }
        return PlanEstimate(check: check, erase: erase, write: write, verify: verifyTime,
                            commands: checkCommands + eraseCommands + writeCommands + verifyCommands,
                            bytes: checkedBytes + bytesToWrite + bytesToVerify)
    }

    /// The plan in a few lines, as `--dry-run` prints it.
    public func summary(timing: BoardTiming = .typical) -> String {
        let estimate = estimate(timing: timing)
        var lines: [String] = []
        switch kind {
        case .ram:
            lines.append("RAM image for \(chip.name): \(bytesToWrite) bytes in \(ramSegments.count) segment(s), entry \(entryPoint.map(hex) ?? "-")")
        case .flash:
            let first = sectors.first.map { hex($0.address) } ?? "-"
            lines.append("flash image for \(chip.name): \(sectors.count) sector(s) touched from \(first)")
            lines.append("  flash:   \(flashSize?.description ?? "size unknown (blank flash, nothing to tell it by; --flash-size gives it)")")
            lines.append("  erase:   \(sectorsToErase.count) sector(s) in \(eraseRuns.count) command(s) (\(erase.words))")
            lines.append("  write:   \(pageCount) page(s), \(bytesToWrite) bytes in \(writeRuns.count) command(s)")
            lines.append("  skip:    \(sectorsSkipped) sector(s) unchanged (\(Int((skippedShare * 100).rounded()))%)")
            lines.append("  check:   \(check.words), \(checkedBytes) bytes read")
            if let helperNote { lines.append("  helper:  \(helperNote)") }
        }
        lines.append("  verify:  \(verify ? verifyByCRC ? "helper CRCs, \(bytesToVerify) bytes read" : "\(bytesToVerify) bytes read back" : "off")")
        lines.append("  USB:     \(estimate.bytes) bytes in \(estimate.commands) command(s)")
        lines.append("  modelled board time: \(format(estimate.total)) (erase \(format(estimate.erase)), write \(format(estimate.write)), check \(format(estimate.check)), verify \(format(estimate.verify)))")
        return lines.joined(separator: "\n")
    }
}

/// `1.234 s`.
func format(_ duration: Duration) -> String {
    let ms = (duration.secondsValue * 1000).rounded() / 1000
    return "\(ms) s"
}
