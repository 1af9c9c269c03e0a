import PicoBoot
import UF2

extension VerifyReport {
    /// How the comparison was made: `read-back`, or `helper-crc` (RAM helper CRCs per sector).
    public var method: String { byCRC ? "helper-crc" : "read-back" }
}

extension FlashExecutor {
    /// Compares `image` with the board using the RAM helper's per-sector CRCs where it can: a fully
    /// covered sector costs 4 bytes over USB; partly covered sectors, and any sector whose CRC differs,
    /// are read to compare (and locate) bytes. Falls back to `verify(_:limit:)` (plain read-back) for
    /// RAM images, without a helper, or when the helper does not load; `helperNote` says why.
    public func verifyUsingHelper(_ image: MemoryImage, limit: Int = 16) throws(FlashError) -> VerifyReport {
        guard try FlashPlanner.kind(of: image, chip: chip) == .flash, let helper else {
            return try verify(image, limit: limit)
        }
        let touched = FlashPlanner.touchedSectors(of: image, chip: chip)
        let sectorSize = chip.sectorSize
        let outcome = try withExclusiveAccess { () throws(FlashError) -> Result<VerifyReport, HelperFallback> in
            try device { () throws(PicobootError) in try connection.exitXIP() }
            let load = try device { () throws(PicobootError) in try helper.load(over: connection, chip: chip) }
            guard load.isReady else {
                if case .unavailable(let reason) = load { return .failure(HelperFallback(reason: reason)) }
                preconditionFailure("a helper load is ready or unavailable")
            }
            try checkInsideFlash(image, size: learnFlashSizeHoldingAccess(helperReady: true))
            var report = VerifyReport(bytesCompared: 0, mismatchCount: 0, firstMismatches: [])
            report.byCRC = true
            report.helperNote = "used: \(helper.name)"
            report.bytesReadByHelperCheck = 8          // the self-check's status and CRC
            var matched: Set<UInt32> = []   // sectors whose CRC matched: their bytes are the image's, not kept
            let covered = touched.filter { FlashPlanner.covers(image, sector: $0, chip: chip) }
            for run in runs(of: covered, unit: sectorSize, limit: 1024 * sectorSize) {
                let crcs = try device { () throws(PicobootError) in try helper.sectorCRCs(address: run.address, size: run.size, over: connection) }
                for (index, crc) in crcs.enumerated() {
                    let sector = run.address + UInt32(index) * sectorSize
                    let wanted = image.segments(in: sector, length: Int(sectorSize)).flatMap(\.bytes)
                    if CRC32MPEG2.checksum(wanted) == crc { matched.insert(sector) }
                }
                report.bytesReadByHelperCheck += UInt64(crcs.count) * 4
            }
            for sector in touched {
                let bytes: [UInt8]
                if matched.contains(sector) {
                    bytes = image.segments(in: sector, length: Int(sectorSize)).flatMap(\.bytes)
                } else {
                    bytes = try device { () throws(PicobootError) in try connection.read(address: sector, count: sectorSize) }
                    report.bytesReadByHelperCheck += UInt64(sectorSize)
                }
                for segment in image.segments(in: sector, length: Int(sectorSize)) {
                    for (offset, byte) in segment.bytes.enumerated() {
                        let address = segment.address + UInt32(offset)
                        let found = bytes[Int(address - sector)]
                        if found != byte {
                            report.mismatchCount += 1
                            if report.firstMismatches.count < limit {
                                report.firstMismatches.append(.init(address: address, expected: byte, actual: found))
                            }
                        }
                    }
                    report.bytesCompared += segment.count
                }
                onEvent(.progress(.verify, done: UInt64(report.bytesCompared), total: UInt64(image.byteCount)))
            }
            return .success(report)
        }
        switch outcome {
        case .success(let report): return report
        case .failure(let fallback):
            var report = try verify(image, limit: limit)
            report.helperNote = "not used: \(fallback.reason)"
            return report
        }
    }
}

/// Why a helper verify fell back to read-back.
struct HelperFallback: Error {
    /// One line.
    var reason: String
}
