// Figures for the firmware-image layer: validate + info of a 16 MiB flash image (a 32 MiB UF2),
// and ELF→UF2 of a 16 MiB ELF. Run with `swift package --package-path Benchmarks benchmark`.
// Besides the standard metrics each benchmark reports "MB/s" (input megabytes per second of wall
// clock) and the resident memory it added at its peak.
import Benchmark
import UF2

/// Bytes of flash in the benchmark image.
let imageSize = 16 << 20

/// A 16 MiB flash image: an RP2040 boot2 with a valid CRC, a binary info header, then pseudo-random bytes.
func makeImage() -> MemoryImage {
    var state: UInt64 = 0x1234_5678_9abc_def0
    var bytes = [UInt8](unsafeUninitializedCapacity: imageSize) { buffer, count in
        for i in stride(from: 0, to: imageSize, by: 8) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            withUnsafeBytes(of: state.littleEndian) { word in
                for j in 0..<8 { buffer[i + j] = word[j] }
            }
        }
        count = imageSize
    }
    bytes.replaceSubrange(0..<256, with: Boot2.sealed(Array(bytes[0..<252])))
    // Binary info header at 0x100001c0 pointing at one entry: the program name.
    let words: [UInt32] = [BinaryInfo.markerStart, 0x1000_0300, 0x1000_0304, 0x1000_0400, BinaryInfo.markerEnd]
    for (i, w) in words.enumerated() { for b in 0..<4 { bytes[0x1c0 + 4 * i + b] = UInt8(truncatingIfNeeded: w >> (8 * UInt32(b))) } }
    let entry: [UInt32] = [0x1000_0304, 6 | 0x5052 << 16, 0x0203_1c86, 0x1000_0320]
    for (i, w) in entry.enumerated() { for b in 0..<4 { bytes[0x300 + 4 * i + b] = UInt8(truncatingIfNeeded: w >> (8 * UInt32(b))) } }
    bytes.replaceSubrange(0x320..<0x32a, with: Array("benchmark".utf8) + [0])
    bytes.replaceSubrange(0x400..<0x40c, with: [UInt8](repeating: 0, count: 12))
    return try! MemoryImage(segments: [.init(address: 0x1000_0000, bytes: bytes)])
}

/// A minimal ELF with the image as one PT_LOAD segment.
func makeELF(_ image: MemoryImage) -> [UInt8] {
    var out: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
    func u16(_ v: UInt16) { out += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
    func u32(_ v: UInt32) { for b in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(b)))) } }
    u16(2); u16(40); u32(1); u32(0x1000_0201); u32(52); u32(0); u32(0); u16(52); u16(32); u16(1); u16(40); u16(0); u16(0)
    u32(1); u32(84); u32(0x1000_0000); u32(0x1000_0000); u32(UInt32(imageSize)); u32(UInt32(imageSize)); u32(5); u32(4)
    out += image.segments[0].bytes
    return out
}

/// MB/s of `bytes` processed in `duration`.
func megabytesPerSecond(_ bytes: Int, _ duration: Duration) -> Int {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return seconds > 0 ? Int(Double(bytes) / 1_000_000 / seconds) : 0
}

let mbPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident, .peakMemoryResidentDelta, .mallocCountTotal, mbPerSecond],
        timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: 20)

    let image = makeImage()
    let uf2 = try! UF2Writer.write(image, options: .init(family: .rp2040))
    let elf = makeELF(image)

    Benchmark("validate 32 MiB UF2 (16 MiB image)") { benchmark in
        let clock = ContinuousClock()
        for _ in benchmark.scaledIterations {
            let start = clock.now
            let report = UF2Validator.validate(uf2)
            benchmark.measurement(mbPerSecond, megabytesPerSecond(uf2.count, clock.now - start))
            blackHole(report)
        }
    }

    Benchmark("info 32 MiB UF2 (read image, binary info, boot2)") { benchmark in
        let clock = ContinuousClock()
        for _ in benchmark.scaledIterations {
            let start = clock.now
            let file = try FirmwareFile.read(bytes: uf2)
            let info = BinaryInfo.decode(file.image, chip: .rp2040)
            precondition(info?.programName == "benchmark" && Boot2(image: file.image)?.isValid == true)
            benchmark.measurement(mbPerSecond, megabytesPerSecond(uf2.count, clock.now - start))
            blackHole(file)
        }
    }

    Benchmark("ELF→UF2 16 MiB ELF") { benchmark in
        let clock = ContinuousClock()
        for _ in benchmark.scaledIterations {
            let start = clock.now
            let out = try SDKConversion.elfToUF2(try ELFFile(bytes: elf), family: .rp2040)
            precondition(out.count == uf2.count)
            benchmark.measurement(mbPerSecond, megabytesPerSecond(elf.count, clock.now - start))
            blackHole(out)
        }
    }
}
