// Serial throughput: a pty master writes board-like log lines as fast as it can; the real
// LogFollower (poll loop, termios port, line assembly) reads them on the slave, and each line is
// formatted with a timestamp as `picoctl monitor --timestamps` would. Prints MB/s and CPU seconds
// per MB of the following thread.
//
//     swift run -c release SerialBenchmarks [megabytes]
#if canImport(Glibc)
import Glibc
#endif
import PicoSerial

func openPty() -> (master: Int32, path: String) {
    let fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
    var unlock: Int32 = 0, number: UInt32 = 0
    guard fd >= 0, ioctl(fd, 0x4004_5431, &unlock) == 0, ioctl(fd, 0x8004_5430, &number) == 0 else {
        fatalError("cannot open a pty: errno \(errno)")
    }
    var tio = termios()
    tcgetattr(fd, &tio)
    cfmakeraw(&tio)
    tcsetattr(fd, TCSANOW, &tio)
    return (fd, "/dev/pts/\(number)")
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let fraction = String(abs(scaled) % Int(scale))
    return "\(scaled / Int(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}

func threadCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(1), &usage)   // RUSAGE_THREAD (a GNU extension Glibc does not import)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

final class Writer: @unchecked Sendable {
    let fd: Int32
    let total: Int
    var thread = pthread_t()
    init(fd: Int32, total: Int) { self.fd = fd; self.total = total }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { context in
            let writer = Unmanaged<Writer>.fromOpaque(context!).takeRetainedValue()
            writer.run()
            return nil
        }, context)
    }

    func run() {
        var chunk: [UInt8] = []
        var n = 0
        while chunk.count < 64 * 1024 {
            chunk += Array("[adc] sample \(n) value=\(n &* 2654435761 % 4096) temp=27.\(n % 10)C ok\r\n".utf8)
            n += 1
        }
        var sent = 0
        while sent < total {
            let count = min(chunk.count, total - sent)
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, count) }
            if written > 0 { sent += written } else if errno != EINTR && errno != EAGAIN { break }
        }
    }
}

let megabytes = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 64 : 64
let total = megabytes * 1_000_000
let pty = openPty()
let follower = try LogFollower(options: FollowOptions(identity: BoardIdentity(devnode: pty.path), reconnect: false,
                                                      timeoutNanoseconds: 120_000_000_000))
var formatter = ConsoleFormatter(options: ConsoleFormatOptions(timestamps: .mono, normalizeLineEndings: true),
                                 start: Timestamp.monotonicNow())
var received = 0, lines = 0, shown = 0
var startWall: Int64 = 0, startCPU = 0.0
let writer = Writer(fd: pty.master, total: total)
let end = follower.run { event in
    switch event {
    case .connected:
        startWall = Timestamp.monotonicNow()
        startCPU = threadCPUSeconds()
        writer.start()
    case .data(let bytes, let time):
        received += bytes.count
        shown += formatter.format(bytes, at: time).count
        if received >= total { return .stop }
    case .line:
        lines += 1
    default:
        break
    }
    return .continue
}
let seconds = Double(Timestamp.monotonicNow() - startWall) / 1e9
let cpu = threadCPUSeconds() - startCPU
let mb = Double(received) / 1e6
print("serial throughput: \(received) bytes, \(lines) lines in \(fixed(seconds, 3)) s "
      + "= \(fixed(mb / seconds, 1)) MB/s; follower CPU \(fixed(cpu, 3)) s "
      + "= \(fixed(cpu / mb, 4)) CPU s/MB (end: \(end))")
pthread_join(writer.thread, nil)
close(pty.master)
