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
    /// A RAM helper for block erases and CRC checks (RP2040); nil uses plain PICOBOOT.
    public var helper: (any FlashHelper)?
    /// The board's flash size in bytes when the user knows better than the board (`--flash-size`);
    /// nil learns it from the board before each operation (see `learnFlashSize`).
    public var flashSizeOverride: UInt32?
    /// Wall time of each phase of the last `flash` (check, erase, write, verify).
    public internal(set) var measured: [FlashPhase: Duration] = [:]

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
        measured = [:]
        try FlashPlanner.checkFamily(options.family, chip: chip, force: options.force)
        let kind = try FlashPlanner.kind(of: image, chip: chip)
        onEvent(.started(chip))
        var rebooted = false
        var placement: PartitionPlacement?
        let plan = try withExclusiveAccess { () throws(FlashError) -> FlashPlan in
            let plan: FlashPlan
            if kind == .ram {
                plan = try FlashPlanner.plan(image: image, chip: chip, options: options.plan) { _ in .unknown }
            } else {
                try device { () throws(PicobootError) in try connection.exitXIP() }
                // RP2350: the image moves into its partition before it is planned.
                placement = try self.placement(of: image, options: options)
                let image = placement?.apply(to: image) ?? image
                let checkStart = clock.now
                plan = try chooseStrategyAndPlan(image, options: options)
                measured[.check] = clock.now - checkStart
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
                                   wire: wire, imageBytes: image.byteCount, rebooted: rebooted, dryRun: options.dryRun,
                                   phaseTimes: measured, placement: placement)
        onEvent(.finished(summary))
        return summary
    }

    /// Reads what the plan needs to know and computes it (flash images; XIP already exited).
    ///
    /// The check adapts as it goes. While probing, only the first page of a fully covered sector is
    /// read: a page that differs from the image and is not blank settles an erase without reading
    /// the rest. A probe that cannot decide switches to bulk reads of whole sectors in contiguous
    /// runs; a bulk run in which probes would have settled sectors switches back to probing.
    /// Partially covered sectors are always read whole (their bytes outside the image are kept).
    func checkAndPlan(_ image: MemoryImage, options: PlanOptions) throws(FlashError) -> FlashPlan {
        let touched = FlashPlanner.touchedSectors(of: image, chip: chip)
        let covered = Set(touched.filter { FlashPlanner.covers(image, sector: $0, chip: chip) })
        let toCheck = options.skipUnchanged ? touched : touched.filter { !covered.contains($0) }
        let sectorSize = chip.sectorSize, pageSize = chip.pageSize
        let mayProbe = options.skipUnchanged && options.probeFirstPage
        var knowledge: [UInt32: SectorKnowledge] = [:]
        var planned: [UInt32: SectorPlan] = [:]
        var commands = 0, done: UInt64 = 0, probes = 0
        // Progress counts the flash checked (a probed sector that settles counts whole), so the total
        // is known at the start and never changes; `done` counts the bytes read over USB.
        let total = UInt64(toCheck.count) * UInt64(sectorSize)
        var checked: UInt64 = 0
        var probing = mayProbe
        /// True when the first page of `sector` (fully covered) differs from the image and is not blank.
        func settlesErase(_ page: ArraySlice<UInt8>, _ sector: UInt32) -> Bool {
            let wanted = image.segments(in: sector, length: Int(pageSize)).flatMap(\.bytes)
            return !page.elementsEqual(wanted) && page.contains { $0 != 0xFF }
        }
        var index = 0
        while index < toCheck.count {
            let sector = toCheck[index]
            if probing && covered.contains(sector) {
                let page = try device { () throws(PicobootError) in try connection.read(address: sector, count: pageSize) }
                commands += 1
                probes += 1
                done += UInt64(pageSize)
                if settlesErase(page[...], sector) {
                    knowledge[sector] = .mustErase
                    checked += UInt64(sectorSize)
                    onEvent(.progress(.check, done: checked, total: total))
                    index += 1
                    continue
                }
                probing = false
            }
            var size = sectorSize
            while index + Int(size / sectorSize) < toCheck.count, size + sectorSize <= max(options.maxTransfer, sectorSize),
                  toCheck[index + Int(size / sectorSize)] == sector + size {
                size += sectorSize
            }
            let bytes = try device { () throws(PicobootError) in try connection.read(address: sector, count: size) }
            commands += 1
            done += UInt64(size)
            var wouldSettle = false
            for offset in stride(from: 0, to: Int(size), by: Int(sectorSize)) {
                let address = sector + UInt32(offset)
                let contents = Array(bytes[offset..<(offset + Int(sectorSize))])
                if covered.contains(address) {
                    // Planned now: the plan keeps what to do, not the device's bytes.
                    planned[address] = try FlashPlanner.planSector(address, image: image, chip: chip, knowledge: .contents(contents))
                    if settlesErase(bytes[offset..<(offset + Int(pageSize))], address) { wouldSettle = true }
                } else {
                    knowledge[address] = .contents(contents)
                }
            }
            probing = mayProbe && wouldSettle
            index += Int(size / sectorSize)
            checked += UInt64(size)
            onEvent(.progress(.check, done: checked, total: total))
        }
        let check: FlashPlan.CheckStrategy = !options.skipUnchanged ? .none : probes == 0 ? .readBack : .probeThenRead
        return try FlashPlanner.plan(image: image, chip: chip, options: options, check: check,
                                     checkedBytes: done, checkCommands: commands, planned: planned) { sector in
            knowledge[sector] ?? .unknown
        }
    }

    /// Erases, writes and verifies what `plan` says (exclusive access held, XIP exited).
    public func carryOut(_ plan: FlashPlan) throws(FlashError) {
        if plan.kind == .ram {
            try writeRAM(plan)
            return
        }
        let eraseTotal = UInt64(plan.sectorsToErase.count) * UInt64(chip.sectorSize)
        let clock = ContinuousClock()
        var phaseStart = clock.now
        var done: UInt64 = 0
        for run in plan.eraseRuns {
            if plan.erase == .helperBlocks {
                guard let helper else { preconditionFailure("a helper plan needs the executor's helper") }
                try eraseWithHelper(helper, address: run.address, size: run.size, done: &done, total: eraseTotal)
                continue
            }
            try device { () throws(PicobootError) in try connection.erase(address: run.address, size: run.size) }
            done += UInt64(run.size)
            onEvent(.progress(.erase, done: done, total: eraseTotal))
        }
        measured[.erase] = clock.now - phaseStart
        phaseStart = clock.now
        done = 0
        for run in plan.writeRuns {
            var data: [UInt8] = []
            data.reserveCapacity(Int(run.size))
            var last: (index: Int, target: [UInt8])? = nil
            for page in stride(from: run.address, to: run.address + run.size, by: Int(chip.pageSize)) {
                let base = page & ~(chip.sectorSize - 1)
                guard let index = plan.sectorIndex(base),
                      let target = last?.index == index ? last?.target : plan.target(ofSector: index) else {
                    preconditionFailure("plan writes a page outside its sectors")
                }
                last = (index, target)
                let offset = Int(page - base)
                data.append(contentsOf: target[offset..<(offset + Int(chip.pageSize))])
            }
            try device { () throws(PicobootError) in try connection.write(address: run.address, bytes: data) }
            done += UInt64(run.size)
            onEvent(.progress(.write, done: done, total: plan.bytesToWrite))
        }
        measured[.write] = clock.now - phaseStart
        phaseStart = clock.now
        defer { measured[.verify] = clock.now - phaseStart }
        done = 0
        if plan.verifyByCRC {
            try verifyWithHelper(plan)
            return
        }
        for run in plan.verifyRuns {
            let bytes = try device { () throws(PicobootError) in try connection.read(address: run.address, count: run.size) }
            for offset in stride(from: 0, to: Int(run.size), by: Int(chip.sectorSize)) {
                let sector = run.address + UInt32(offset)
                guard let index = plan.sectorIndex(sector), let target = plan.target(ofSector: index) else { continue }
                let actual = bytes[offset..<(offset + Int(chip.sectorSize))]
                if !actual.elementsEqual(target), let at = target.indices.first(where: { target[$0] != actual[offset + $0] }) {
                    throw .verifyFailed(address: sector + UInt32(at), expected: target[at], actual: actual[offset + at])
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
                for offset in stride(from: 0, to: segment.count, by: chunk) {
                    let piece = segment.bytes(from: offset, count: min(chunk, segment.count - offset))
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
        if plan.kind == .ram, let entry = plan.entryPoint, let last = plan.ramSegments.last {
            // The span from the entry point to the end of the last segment (gaps included).
            let size = UInt32(last.end - UInt64(entry))
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
