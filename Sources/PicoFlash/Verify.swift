import PicoBoot
import UF2

/// What comparing an image with a board's memory found.
public struct VerifyReport: Hashable, Sendable {
    /// One byte that differs.
    public struct Mismatch: Hashable, Sendable {
        /// Where.
        public var address: UInt32
        /// The image's byte.
        public var expected: UInt8
        /// The board's byte.
        public var actual: UInt8
    }

    /// Bytes compared (the bytes the image defines).
    public var bytesCompared: Int
    /// Bytes that differ.
    public var mismatchCount: Int
    /// The first differing bytes, in address order (at most the limit asked for).
    public var firstMismatches: [Mismatch]

    /// True when the comparison used RAM helper CRCs (see `FlashExecutor.verifyUsingHelper`).
    public var byCRC = false
    /// Why the RAM helper was or was not used; nil when none was offered.
    public var helperNote: String?
    /// Bytes read over USB by a helper verify (CRC tables, the self-check and sectors read whole).
    public var bytesReadByHelperCheck: UInt64 = 0

    /// True when every defined byte matches.
    public var matches: Bool { mismatchCount == 0 }
}

extension FlashExecutor {
    /// Reads back every byte `image` defines (flash or RAM) and compares, reporting `.verify` progress.
    public func verify(_ image: MemoryImage, limit: Int = 16, chunk: UInt32 = 16 * 1024) throws(FlashError) -> VerifyReport {
        let kind = try FlashPlanner.kind(of: image, chip: chip)
        let total = UInt64(image.byteCount)
        return try withExclusiveAccess { () throws(FlashError) -> VerifyReport in
            if kind == .flash {
                // Past the end, reads wrap to the start of the chip and would compare the wrong bytes.
                try device { () throws(PicobootError) in try connection.exitXIP() }
                try checkInsideFlash(image, size: learnFlashSizeHoldingAccess(helperReady: loadHelperIfAny()))
            }
            var report = VerifyReport(bytesCompared: 0, mismatchCount: 0, firstMismatches: [])
            for segment in image.segments {
                var offset = 0
                while offset < segment.count {
                    let size = min(Int(chunk), segment.count - offset)
                    let address = segment.address + UInt32(offset)
                    let actual = try readAligned(address: address, count: UInt32(size))
                    let expected = segment.bytes(from: offset, count: size)
                    for index in 0..<size where actual[index] != expected[index] {
                        report.mismatchCount += 1
                        if report.firstMismatches.count < limit {
                            report.firstMismatches.append(.init(address: address + UInt32(index),
                                                                expected: expected[index], actual: actual[index]))
                        }
                    }
                    offset += size
                    report.bytesCompared += size
                    onEvent(.progress(.verify, done: UInt64(report.bytesCompared), total: total))
                }
            }
            return report
        }
    }
}
