import PicoBoot
import UF2

/// Walks flash plans and carries out device operations over a `PicobootConnection`.
///
/// ```swift
/// let executor = FlashExecutor(connection: PicobootConnection(transport: transport), chip: .rp2040)
/// executor.onEvent = { event in print(event) }      // the CLI renders; the library never prints
/// let summary = try executor.flash(image)
/// ```
public final class FlashExecutor {
    /// The connection commands go through.
    public let connection: PicobootConnection
    /// The board's chip.
    public let chip: Chip
    /// The timing model used for estimates.
    public var timing: BoardTiming
    /// Receives progress events, in the order `FlashEvent` documents.
    public var onEvent: (FlashEvent) -> Void

    /// An executor for a board of `chip` behind `connection`.
    public init(connection: PicobootConnection, chip: Chip, timing: BoardTiming = .typical,
                onEvent: @escaping (FlashEvent) -> Void = { _ in }) {
        self.connection = connection
        self.chip = chip
        self.timing = timing
        self.onEvent = onEvent
    }

    /// Runs a device operation, turning its error into a `FlashError`.
    func device<T>(_ body: () throws(PicobootError) -> T) throws(FlashError) -> T {
        do { return try body() } catch { throw .device(error) }
    }

    /// Takes exclusive access around `body`; on any exit resets the interface, which also releases access.
    public func withExclusiveAccess<T>(_ body: () throws(FlashError) -> T) throws(FlashError) -> T {
        try device { () throws(PicobootError) in
            try connection.reset()
            try connection.exclusiveAccess(.exclusive)
        }
        do {
            let result = try body()
            try? connection.reset()
            return result
        } catch {
            try? connection.reset()
            throw error
        }
    }

    /// Checks, plans and flashes `image` (flash or RAM), then verifies and reboots as `options` say.
    @discardableResult
    public func flash(_ image: MemoryImage, options: FlashOptions = FlashOptions()) throws(FlashError) -> FlashSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let wireBefore = connection.statistics
        try FlashPlanner.checkFamily(options.family, chip: chip, force: options.force)
        let kind = try FlashPlanner.kind(of: image, chip: chip)
        onEvent(.started(chip))
        var rebooted = false
        let plan = try withExclusiveAccess { () throws(FlashError) -> FlashPlan in
            let plan: FlashPlan
            if kind == .ram {
                plan = try FlashPlanner.plan(image: image, chip: chip, options: options.plan) { _ in .unknown }
            } else {
                try device { () throws(PicobootError) in try connection.exitXIP() }
                plan = try checkAndPlan(image, options: options.plan)
            }
            onEvent(.planned(plan))
            if options.dryRun { return plan }
            try carryOut(plan)
            if options.reboot {
                onEvent(.rebooting)
                try rebootAfter(plan, delay: options.rebootDelayMilliseconds)
                rebooted = true
            }
            return plan
        }
        var wire = connection.statistics
        wire.subtract(wireBefore)
        let summary = FlashSummary(plan: plan, wallTime: clock.now - start, estimate: plan.estimate(timing: timing),
                                   wire: wire, imageBytes: image.byteCount, rebooted: rebooted)
        onEvent(.finished(summary))
        return summary
    }

    /// Reads what the plan needs to know and computes it (flash images; XIP already exited).
    func checkAndPlan(_ image: MemoryImage, options: PlanOptions) throws(FlashError) -> FlashPlan {
        let touched = FlashPlanner.touchedSectors(of: image, chip: chip)
        let toRead = options.skipUnchanged ? touched : touched.filter { !FlashPlanner.covers(image, sector: $0, chip: chip) }
        let readRuns = runs(of: toRead, unit: chip.sectorSize, limit: options.maxTransfer)
        let total = UInt64(toRead.count) * UInt64(chip.sectorSize)
        var contents: [UInt32: [UInt8]] = [:]
        var done: UInt64 = 0
        for run in readRuns {
            let bytes = try device { () throws(PicobootError) in try connection.read(address: run.address, count: run.size) }
            for offset in stride(from: 0, to: Int(run.size), by: Int(chip.sectorSize)) {
                contents[run.address + UInt32(offset)] = Array(bytes[offset..<(offset + Int(chip.sectorSize))])
            }
            done += UInt64(run.size)
            onEvent(.progress(.check, done: done, total: total))
        }
        return try FlashPlanner.plan(image: image, chip: chip, options: options,
                                     check: options.skipUnchanged ? .readBack : .none,
                                     checkedBytes: total, checkCommands: readRuns.count) { sector in
            contents[sector].map(SectorKnowledge.contents) ?? .unknown
        }
    }

    /// Erases, writes and verifies what `plan` says (exclusive access held, XIP exited).
    public func carryOut(_ plan: FlashPlan) throws(FlashError) {
        if plan.kind == .ram {
            try writeRAM(plan)
            return
        }
        let eraseTotal = UInt64(plan.sectorsToErase.count) * UInt64(chip.sectorSize)
        var done: UInt64 = 0
        for run in plan.eraseRuns {
            try device { () throws(PicobootError) in try connection.erase(address: run.address, size: run.size) }
            done += UInt64(run.size)
            onEvent(.progress(.erase, done: done, total: eraseTotal))
        }
        done = 0
        for run in plan.writeRuns {
            var data: [UInt8] = []
            data.reserveCapacity(Int(run.size))
            for page in stride(from: run.address, to: run.address + run.size, by: Int(chip.pageSize)) {
                let base = page & ~(chip.sectorSize - 1)
                guard let index = plan.sectorIndex(base), let target = plan.sectors[index].target else {
                    preconditionFailure("plan writes a page outside its sectors")
                }
                let offset = Int(page - base)
                data.append(contentsOf: target[offset..<(offset + Int(chip.pageSize))])
            }
            try device { () throws(PicobootError) in try connection.write(address: run.address, bytes: data) }
            done += UInt64(run.size)
            onEvent(.progress(.write, done: done, total: plan.bytesToWrite))
        }
        done = 0
        for run in plan.verifyRuns {
            let bytes = try device { () throws(PicobootError) in try connection.read(address: run.address, count: run.size) }
            for (offset, actual) in bytes.enumerated() {
                let address = run.address + UInt32(offset)
                if let expected = plan.target(at: address), expected != actual {
                    throw .verifyFailed(address: address, expected: expected, actual: actual)
                }
            }
            done += UInt64(run.size)
            onEvent(.progress(.verify, done: done, total: plan.bytesToVerify))
        }
    }

    /// Writes (and verifies) a RAM image's segments.
    func writeRAM(_ plan: FlashPlan) throws(FlashError) {
        let chunk = Int(plan.maxTransfer)
        var done: UInt64 = 0
        for phase in plan.verify ? [FlashPhase.write, .verify] : [.write] {
            done = 0
            for segment in plan.ramSegments {
                for offset in stride(from: 0, to: segment.bytes.count, by: chunk) {
                    let piece = Array(segment.bytes[offset..<min(offset + chunk, segment.bytes.count)])
                    let address = segment.address + UInt32(offset)
                    if phase == .write {
                        try device { () throws(PicobootError) in try connection.write(address: address, bytes: piece) }
                    } else {
                        let back = try device { () throws(PicobootError) in try connection.read(address: address, count: UInt32(piece.count)) }
                        if let index = piece.indices.first(where: { back[$0] != piece[$0] }) {
                            throw .verifyFailed(address: address + UInt32(index), expected: piece[index], actual: back[index])
                        }
                    }
                    done += UInt64(piece.count)
                    onEvent(.progress(phase, done: done, total: plan.bytesToWrite))
                }
            }
        }
    }

    /// Reboots into what `plan` loaded: flash normally, or the RAM image's entry point.
    func rebootAfter(_ plan: FlashPlan, delay: UInt32) throws(FlashError) {
        if plan.kind == .ram, let entry = plan.entryPoint {
            let size = UInt32(plan.bytesToWrite)
            try reboot(.ram(entry: entry, size: size), delayMilliseconds: delay)
        } else {
            try reboot(.application, delayMilliseconds: delay)
        }
    }
}

extension WireStatistics {
    /// Removes the counts of `earlier` (for per-operation figures).
    mutating func subtract(_ earlier: WireStatistics) {
        commands -= earlier.commands
        failures -= earlier.failures
        bytesToDevice -= earlier.bytesToDevice
        bytesToHost -= earlier.bytesToHost
        overheadBytes -= earlier.overheadBytes
        for (id, count) in earlier.commandsByID { commandsByID[id, default: 0] -= count }
        commandsByID = commandsByID.filter { $0.value != 0 }
    }
}
