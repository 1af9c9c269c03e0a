import PicoBoot
import UF2

/// Settings of a flash: planning, reboot, family check, transfer sizes.
public struct FlashOptions: Hashable, Sendable {
    /// Planner settings (verify, skip unchanged, transfer sizes, flash size).
    public var plan = PlanOptions()
    /// Reboot into the new program afterwards.
    public var reboot = true
    /// Delay before the reboot, in milliseconds.
    public var rebootDelayMilliseconds: UInt32 = 500
    /// Flash even when the image's family does not fit the board.
    public var force = false
    /// The image's family, when the file names one (checked against the chip).
    public var family: Family?
    /// Stop after planning (`--dry-run`): nothing is erased or written.
    public var dryRun = false
    /// Use the executor's `helper` when one is set and loads (`--no-helper` turns it off).
    public var useHelper = true
    /// Which partition a flash image goes to on an RP2350 with a partition table.
    public var partition = PartitionChoice.automatic

    /// The defaults: verify, skip unchanged, reboot after 500 ms, no family check.
    public init() {}
}

/// The phases a flash reports progress for.
public enum FlashPhase: String, Hashable, Sendable {
    /// Reading current contents to plan skip-unchanged.
    case check
    /// Erasing sectors.
    case erase
    /// Programming pages or writing RAM.
    case write
    /// Reading back.
    case verify
    /// Reading a range (`save`).
    case read
}

/// Progress of a flash operation.
///
/// Order: `started`; `progress(.check, ...)` zero or more times; `planned`; then for each of
/// `.erase`, `.write`, `.verify` that has work, `progress` events with `done` rising to `total`;
/// `rebooting` when asked; `finished` last. A failure ends the stream with the thrown error instead.
public enum FlashEvent: Hashable, Sendable {
    /// The operation began on a board of this chip.
    case started(Chip)
    /// `done` of `total` bytes of `phase` are finished.
    case progress(FlashPhase, done: UInt64, total: UInt64)
    /// The plan is ready.
    case planned(FlashPlan)
    /// The board was told to reboot.
    case rebooting
    /// Everything finished.
    case finished(FlashSummary)
}

/// What a flash did and how long it took.
public struct FlashSummary: Hashable, Sendable {
    /// The plan that was carried out.
    public var plan: FlashPlan
    /// Wall-clock time of the whole operation.
    public var wallTime: Duration
    /// Modelled real-board time of the plan.
    public var estimate: PlanEstimate
    /// What went over the wire.
    public var wire: WireStatistics
    /// Bytes the image defines.
    public var imageBytes: Int
    /// Whether the board was rebooted.
    public var rebooted: Bool
    /// True when only planned (`--dry-run`): nothing was erased or written.
    public var dryRun = false
    /// Measured wall time of each phase that ran (check, erase, write, verify).
    public var phaseTimes: [FlashPhase: Duration] = [:]
    /// Where the image went on an RP2350 (a partition, or its own addresses and why); nil on RP2040 and for RAM images.
    public var placement: PartitionPlacement?

    /// `check 0.12 s, erase 0.3 s, write 1.1 s, verify 0.05 s`: the measured phases, in order.
    public var phaseDescription: String {
        [FlashPhase.check, .erase, .write, .verify].compactMap { phase in phaseTimes[phase].map { "\(phase.rawValue) \(format($0))" } }
            .joined(separator: ", ")
    }

    /// Image bytes per second of wall time.
    public var throughput: Double {
        let seconds = wallTime.secondsValue
        return seconds > 0 ? Double(imageBytes) / seconds : 0
    }

    /// Share of the touched sectors skipped as unchanged (0...1).
    public var skippedShare: Double { plan.skippedShare }

    /// `flashed 1048576 bytes in 2.1 s (499 KiB/s), 12 of 256 sectors unchanged (5%), modelled board time 14.2 s`.
    public var description: String {
        if dryRun {
            return "dry run: \(plan.pageCount) page(s) would be written and \(plan.sectorsToErase.count) sector(s) erased; "
                + "modelled board time \(format(estimate.total)); nothing was changed"
        }
        let kib = Int((throughput / 1024).rounded())
        var text = "\(plan.kind == .ram ? "loaded" : "flashed") \(imageBytes) bytes in \(format(wallTime)) (\(kib) KiB/s)"
        if plan.kind == .flash {
            text += ", \(plan.sectorsSkipped) of \(plan.sectors.count) sectors unchanged (\(Int((skippedShare * 100).rounded()))%)"
        }
        text += phaseTimes.isEmpty ? "" : " (\(phaseDescription))"
        if plan.kind == .flash { text += " with \(plan.erase == .helperBlocks ? "the RAM helper" : "plain PICOBOOT")" }
        return text + ", modelled board time \(format(estimate.total)), \(wire.totalBytes) bytes over USB in \(wire.commands) commands"
    }
}
