// Figures for the serial layer: a pty master plays a board printing log lines as fast as it can,
// and the real LogFollower (poll loop, termios port, line assembly) follows the slave side, each
// chunk formatted with timestamps as `picoctl monitor --timestamps` shows it. Besides the standard
// metrics each benchmark reports "MB/s" and the following thread's CPU milliseconds per MB.
// Run with `swift package --package-path Benchmarks benchmark --target SerialBenchmarks`.
// The latency from a tty's appearance to DTR needs emulated hotplug: Benchmarks/serial_bench.py.
#if canImport(Glibc)
import Glibc
#endif
import Benchmark
import PicoSerial

/// Bytes the board prints per iteration.
let streamSize = 16_000_000

/// A raw pty pair: the master fd (the board) and the slave path (what the follower opens).
func openPty() -> (master: Int32, path: String) {
    let fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
    var unlock: Int32 = 0, number: UInt32 = 0
    // TIOCSPTLCK and TIOCGPTN: what unlockpt/ptsname do (they need _XOPEN_SOURCE).
    guard fd >= 0, ioctl(fd, 0x4004_5431, &unlock) == 0, ioctl(fd, 0x8004_5430, &number) == 0 else {
        fatalError("cannot open a pty: errno \(errno)")
    }
    var tio = termios()
    tcgetattr(fd, &tio)
    cfmakeraw(&tio)
    tcsetattr(fd, TCSANOW, &tio)
    return (fd, "/dev/pts/\(number)")
}

/// CPU seconds of the calling thread (RUSAGE_THREAD, a GNU extension Glibc does not name).
func threadCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(1), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// The board: writes `total` bytes of log lines to the pty master on its own thread.
final class BoardWriter: @unchecked Sendable {
    let fd: Int32
    let total: Int
    private var thread = pthread_t()
    private let chunk: [UInt8]

    init(fd: Int32, total: Int) {
        self.fd = fd
        self.total = total
        var lines: [UInt8] = []
        var n = 0
        while lines.count < 64 * 1024 {
            lines += Array("[adc] sample \(n) value=\(n &* 2654435761 % 4096) temp=27.\(n % 10)C ok\r\n".utf8)
            n += 1
        }
        chunk = lines
    }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { context in
            Unmanaged<BoardWriter>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
    }

    func join() { pthread_join(thread, nil) }

    private func run() {
        var sent = 0
        while sent < total {
            let count = min(chunk.count, total - sent)
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, count) }
            if written > 0 { sent += written } else if errno != EINTR && errno != EAGAIN { return }
        }
    }
}

/// Follows one pty stream of `streamSize` bytes; returns (seconds, follower CPU seconds, lines).
func followOnce(timestamps: TimestampMode?) -> (seconds: Double, cpu: Double, lines: Int) {
    let pty = openPty()
    defer { close(pty.master) }
    let follower = try! LogFollower(options: FollowOptions(identity: BoardIdentity(devnode: pty.path), reconnect: false,
                                                           timeoutNanoseconds: 120_000_000_000))
    var formatter = ConsoleFormatter(options: ConsoleFormatOptions(timestamps: timestamps, normalizeLineEndings: true),
                                     start: Timestamp.monotonicNow())
    let writer = BoardWriter(fd: pty.master, total: streamSize)
    var received = 0, lines = 0, shown = 0
    var startWall: Int64 = 0, startCPU = 0.0
    _ = follower.run { event in
        switch event {
        case .connected:
            startWall = Timestamp.monotonicNow()
            startCPU = threadCPUSeconds()
            writer.start()
        case .data(let bytes, let time):
            received += bytes.count
            shown += formatter.format(bytes, at: time).count
            if received >= streamSize { return .stop }
        case .line:
            lines += 1
        default:
            break
        }
        return .continue
    }
    writer.join()
    blackHole(shown)
    return (Double(Timestamp.monotonicNow() - startWall) / 1e9, threadCPUSeconds() - startCPU, lines)
}

let mbPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
let cpuMillisecondsPerMB = BenchmarkMetric.custom("follower CPU ms/MB", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, mbPerSecond, cpuMillisecondsPerMB],
        timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: 10)

    for (name, mode) in [("raw", TimestampMode?.none), ("--timestamps=mono", .mono)] {
        Benchmark("follow 16 MB from a pty, \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                let (seconds, cpu, lines) = followOnce(timestamps: mode)
                precondition(lines >= streamSize / 60, "the follower assembled \(lines) lines")
                benchmark.measurement(mbPerSecond, Int(Double(streamSize) / 1e6 / seconds))
                benchmark.measurement(cpuMillisecondsPerMB, Int(cpu * 1000 / (Double(streamSize) / 1e6)))
            }
        }
    }
}
