// Flash scenarios on simulated boards: what a real board would take (modelled time), what goes
// over USB and how many commands, for 1 MiB and 2 MiB images: full flash over another program,
// full flash onto blank flash, identical re-flash, one changed sector; with and without the RP2040
// RAM helper. Wall time measures the host side (planner, executor, simulation).
import Benchmark
import PicoBoot
import PicoFlash
import PicoSim
import UF2

/// Custom metrics: modelled board time and the wire figures.
enum FlashMetric {
    /// Modelled real-board time of the flash, in milliseconds.
    static let modelledMilliseconds = BenchmarkMetric.custom("modelled board ms", polarity: .prefersSmaller, useScalingFactor: false)
    /// The least the plan can take (erase + program + transfer of what is written), in milliseconds.
    static let limitMilliseconds = BenchmarkMetric.custom("modelled limit ms", polarity: .prefersSmaller, useScalingFactor: false)
    /// Bytes over USB, data phases and overhead.
    static let usbBytes = BenchmarkMetric.custom("USB bytes", polarity: .prefersSmaller, useScalingFactor: false)
    /// PICOBOOT commands sent.
    static let commands = BenchmarkMetric.custom("commands", polarity: .prefersSmaller, useScalingFactor: false)
}

/// What the board holds before the flash.
enum Start: String, CaseIterable {
    case otherProgram = "full flash"
    case blank = "full flash, blank board"
    case identical = "identical re-flash"
    case oneSector = "one changed sector"
}

/// Deterministic pseudo-random bytes.
func pattern(_ count: Int, seed: UInt32) -> [UInt8] {
    var state = seed &* 2_654_435_761 | 1
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 17; state ^= state << 5
        return UInt8(truncatingIfNeeded: state)
    }
}

/// Runs one scenario and returns (modelled, limit, USB bytes, commands).
func runScenario(size: Int, start: Start, helper: Bool, images: (old: [UInt8], new: [UInt8], changed: [UInt8])) throws
    -> (modelled: Duration, limit: Duration, bytes: UInt64, commands: Int) {
    let board = SimulatedBoard(chip: .rp2040, flashSize: 4 << 20)
    let executor = FlashExecutor(connection: PicobootConnection(transport: board), chip: .rp2040)
    if helper {
        SimulatedHelper.install(on: board)
        executor.helper = PicobootRAMHelper(code: [UInt8](repeating: 0, count: 512))
    }
    var target = images.new
    switch start {
    case .otherProgram: board.preload(flashAt: 0x1000_0000, images.old)
    case .blank: break
    case .identical: board.preload(flashAt: 0x1000_0000, images.new)
    case .oneSector:
        board.preload(flashAt: 0x1000_0000, images.new)
        target = images.changed
    }
    var options = FlashOptions()
    options.reboot = false
    let image = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: target)])
    let summary = try executor.flash(image, options: options)
    return (board.modelledTime, summary.estimate.limit, summary.wire.totalBytes, summary.wire.commands)
}

let benchmarks: @Sendable () -> Void = {
    for size in [1 << 20, 2 << 20] {
        let old = pattern(size, seed: 1), new = pattern(size, seed: 2)
        var changed = new
        changed[size / 2] ^= 0xFF
        for helper in [false, true] {
            for start in Start.allCases {
                let name = "\(size >> 20) MiB \(start.rawValue)\(helper ? " (RAM helper)" : "")"
                Benchmark(name, configuration: .init(
                    metrics: [.wallClock, FlashMetric.modelledMilliseconds, FlashMetric.limitMilliseconds,
                              FlashMetric.usbBytes, FlashMetric.commands],
                    maxDuration: .seconds(5), maxIterations: 3)) { benchmark in
                    for _ in benchmark.scaledIterations {
                        let result = try runScenario(size: size, start: start, helper: helper, images: (old, new, changed))
                        benchmark.measurement(FlashMetric.modelledMilliseconds, Int(result.modelled.secondsValue * 1000))
                        benchmark.measurement(FlashMetric.limitMilliseconds, Int(result.limit.secondsValue * 1000))
                        benchmark.measurement(FlashMetric.usbBytes, Int(result.bytes))
                        benchmark.measurement(FlashMetric.commands, result.commands)
                    }
                }
            }
        }
    }
}
