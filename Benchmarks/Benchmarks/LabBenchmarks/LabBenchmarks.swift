// Many boards at once: the wall time of a parallel flash of 1, 8 and 32 paced simulated RP2040s
// through `FleetFlash` (the code path of `picoctl flash --all`), and its ratio to one board. Paced
// boards sleep their modelled device time (divided by the pacing factor), so the ratio shows what
// the host side adds when many boards work at once; the target is at most 1.25x for 8 boards.
import Benchmark
import Foundation
import PicoBoot
import PicoFlash
import PicoSim
import UF2

/// Custom metrics of a fleet flash.
enum LabMetric {
    /// Wall time of the whole fleet relative to one board, in percent (125 = 1.25x).
    static let ratioPercent = BenchmarkMetric.custom("x one board (%)", polarity: .prefersSmaller, useScalingFactor: false)
    /// Wall time of the whole fleet, in milliseconds.
    static let fleetMilliseconds = BenchmarkMetric.custom("fleet ms", polarity: .prefersSmaller, useScalingFactor: false)
    /// The longest modelled device time of one board, divided by the pacing, in milliseconds.
    static let deviceMilliseconds = BenchmarkMetric.custom("paced device ms", polarity: .prefersSmaller, useScalingFactor: false)
}

/// 256 KiB over another program: 64 sectors erased, 1,024 pages written, verified.
let imageSize = 256 * 1024
/// Modelled time runs this many times faster than a real board (~3.4 s modelled, ~0.34 s paced).
let pacing = 10.0

/// Deterministic pseudo-random bytes.
func pattern(_ count: Int, seed: UInt32) -> [UInt8] {
    var state = seed &* 2_654_435_761 | 1
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 17; state ^= state << 5
        return UInt8(truncatingIfNeeded: state)
    }
}

let old = pattern(imageSize, seed: 1)
let image = try! MemoryImage(segments: [.init(address: 0x1000_0000, bytes: pattern(imageSize, seed: 2))])

/// Flashes `count` paced boards at once; returns the wall time and the longest paced device time.
func fleet(_ count: Int) -> (wall: Duration, device: Duration) {
    let boards = (0..<count).map { _ in
        let board = SimulatedBoard(chip: .rp2040, flashSize: 2 << 20, pacing: pacing)
        board.preload(flashAt: 0x1000_0000, old)
        return board
    }
    var options = FlashOptions()
    options.reboot = false
    let jobs = boards.enumerated().map { index, board in
        FleetFlash.job(label: "sim-\(index)", chip: .rp2040, open: { board }, image: image, options: options)
    }
    let clock = ContinuousClock()
    let start = clock.now
    let outcomes = FleetFlash.run(jobs)
    let wall = clock.now - start
    precondition(outcomes.count == count && outcomes.allSatisfy { !$0.failed }, "a simulated board failed")
    let device = boards.map(\.modelledTime).max()! / pacing
    return (wall, device)
}

let benchmarks: @Sendable () -> Void = {
    let single = (0..<3).map { _ in fleet(1).wall }.min()!
    for count in [1, 8, 32] {
        Benchmark("parallel flash, \(count) board\(count == 1 ? "" : "s")", configuration: .init(
            metrics: [.wallClock, LabMetric.fleetMilliseconds, LabMetric.deviceMilliseconds, LabMetric.ratioPercent],
            maxDuration: .seconds(10), maxIterations: 5)) { benchmark in
            for _ in benchmark.scaledIterations {
                let (wall, device) = fleet(count)
                benchmark.measurement(LabMetric.fleetMilliseconds, Int(wall.secondsValue * 1000))
                benchmark.measurement(LabMetric.deviceMilliseconds, Int(device.secondsValue * 1000))
                benchmark.measurement(LabMetric.ratioPercent, Int(wall.secondsValue / single.secondsValue * 100))
            }
        }
    }
}
