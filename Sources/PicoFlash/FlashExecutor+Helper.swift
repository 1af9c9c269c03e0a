import PicoBoot
import UF2

extension FlashExecutor {
    /// Picks the strategy for a flash image (XIP exited) and plans with it: the RAM helper when one
    /// is set, allowed, loads and passes its self-check on the image's first sector; plain PICOBOOT
    /// otherwise. The plan's `helperNote` says which and why. The flash size is learnt first (the
    /// helper's JEDEC id on RP2040) and an image past its end is refused before anything is read.
    func chooseStrategyAndPlan(_ image: MemoryImage, options: FlashOptions) throws(FlashError) -> FlashPlan {
        var load: HelperLoad?
        if let helper, options.useHelper {
            let loaded = try device { () throws(PicobootError) in try helper.load(over: connection, chip: chip) }
            // A failed self-check may have left the flash in XIP mode; plain PICOBOOT needs it out.
            if !loaded.isReady && chip.hasExec { try device { () throws(PicobootError) in try connection.exitXIP() } }
            load = loaded
        }
        let size = try learnFlashSizeHoldingAccess(helperReady: load?.isReady == true)
        try checkInsideFlash(image, size: size)
        var planOptions = options.plan
        planOptions.flashSize = size?.bytes ?? planOptions.flashSize
        var plan: FlashPlan
        if let helper, let load, load.isReady {
            plan = try checkAndPlanWithHelper(image, helper: helper, options: planOptions)
            plan.helperNote = "used: \(helper.name) loaded and passed its self-check"
            // A helper's CRC pass leaves the flash in XIP mode; PICOBOOT writes need it out.
            if !options.dryRun && plan.pageCount > 0 {
                try device { () throws(PicobootError) in try connection.exitXIP() }
            }
        } else {
            plan = try checkAndPlan(image, options: planOptions)
            if helper != nil && !options.useHelper { plan.helperNote = "not used: turned off (--no-helper)" }
            if case .unavailable(let reason)? = load { plan.helperNote = "not used: \(reason)" }
        }
        plan.flashSize = size
        return plan
    }

    /// Plans with a loaded helper: CRCs for fully covered sectors, whole reads for partial ones,
    /// block erases, and verification by CRC.
    func checkAndPlanWithHelper(_ image: MemoryImage, helper: any FlashHelper, options: PlanOptions) throws(FlashError) -> FlashPlan {
        let touched = FlashPlanner.touchedSectors(of: image, chip: chip)
        let covered = touched.filter { FlashPlanner.covers(image, sector: $0, chip: chip) }
        let partial = touched.filter { !FlashPlanner.covers(image, sector: $0, chip: chip) }
        let sectorSize = chip.sectorSize
        var knowledge: [UInt32: SectorKnowledge] = [:]
        var bytes: UInt64 = 0, commands = 0, deviceTime: Duration = .zero
        let total = bytes + UInt64(covered.count) * 4 + UInt64(partial.count) * UInt64(sectorSize)
        if options.skipUnchanged {
            for run in runs(of: covered, unit: sectorSize, limit: 1024 * sectorSize) {
                let crcs = try device { () throws(PicobootError) in try helper.sectorCRCs(address: run.address, size: run.size, over: connection) }
                for (index, crc) in crcs.enumerated() { knowledge[run.address + UInt32(index) * sectorSize] = .crc32(crc) }
                bytes += UInt64(crcs.count) * 4
                commands += 3
                deviceTime += timing.helperCRC(bytes: UInt64(run.size))
                onEvent(.progress(.check, done: bytes, total: total))
            }
        }
        for run in runs(of: partial, unit: sectorSize, limit: options.maxTransfer) {
            let data = try device { () throws(PicobootError) in try connection.read(address: run.address, count: run.size) }
            for offset in stride(from: 0, to: Int(run.size), by: Int(sectorSize)) {
                knowledge[run.address + UInt32(offset)] = .contents(Array(data[offset..<(offset + Int(sectorSize))]))
            }
            bytes += UInt64(run.size)
            commands += 1
            onEvent(.progress(.check, done: bytes, total: total))
        }
        var helperOptions = options
        helperOptions.erase = .helperBlocks
        var plan = try FlashPlanner.plan(image: image, chip: chip, options: helperOptions,
                                         check: options.skipUnchanged ? .helperCRC : .none,
                                         checkedBytes: bytes, checkCommands: commands) { knowledge[$0] ?? .unknown }
        plan.verifyByCRC = options.verify
        plan.checkDeviceTime = deviceTime
        return plan
    }

    /// Verifies written sectors by comparing helper CRCs with the plan's targets; on a mismatch the
    /// sector is read to name the first wrong byte.
    func verifyWithHelper(_ plan: FlashPlan) throws(FlashError) {
        guard let helper else { preconditionFailure("a helper plan needs the executor's helper") }
        let sectorSize = chip.sectorSize
        var done: UInt64 = 0
        for run in plan.verifyRuns {
            let crcs = try device { () throws(PicobootError) in try helper.sectorCRCs(address: run.address, size: run.size, over: connection) }
            for (index, crc) in crcs.enumerated() {
                let sector = run.address + UInt32(index) * sectorSize
                guard let at = plan.sectorIndex(sector), let target = plan.target(ofSector: at) else { continue }
                if CRC32MPEG2.checksum(target) != crc {
                    let actual = try device { () throws(PicobootError) in try connection.read(address: sector, count: sectorSize) }
                    let offset = target.indices.first { target[$0] != actual[$0] } ?? 0
                    throw .verifyFailed(address: sector + UInt32(offset), expected: target[offset], actual: actual[offset])
                }
            }
            done += UInt64(crcs.count) * 4
            onEvent(.progress(.verify, done: done, total: plan.bytesToVerify))
        }
    }
}

extension FlashExecutor {
    /// The RP2040 flash chip's 64-bit unique id (command 0x4B), read by the RAM helper (the
    /// executor's `helper`, else picoctl's own) under exclusive access; nil on a chip without EXEC
    /// (RP2350: its BOOTSEL serial is already the chip id). Matches a pico-sdk app's USB serial as
    /// `String(id, radix: 16, uppercase: true)` padded to 16 digits.
    public func readUniqueID() throws(FlashError) -> UInt64? {
        guard chip.hasExec else { return nil }
        let helper = self.helper ?? PicobootRAMHelper.rp2040()
        return try withExclusiveAccess { () throws(FlashError) -> UInt64 in
            try device { () throws(PicobootError) in try helper.uniqueID(over: connection, chip: chip) }
        }
    }
}

extension FlashExecutor {
    /// Erases `range` (sector-aligned flash; exclusive access held, XIP exited) with the helper's
    /// block erases when a helper is set and passes its self-check, one block per call with `.erase`
    /// progress after each. False when the helper is not used: the caller erases with plain PICOBOOT.
    func eraseWithHelperIfReady(_ range: AddressRange, helperReady: Bool) throws(FlashError) -> Bool {
        guard let helper, chip.hasExec, helperReady else { return false }
        var done: UInt64 = 0
        try eraseWithHelper(helper, address: range.start, size: UInt32(range.count), done: &done, total: range.count)
        return true
    }
}
