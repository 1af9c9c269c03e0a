#if canImport(Glibc)
import Glibc
#endif
import PicoSerial

/// stdin in raw mode, forwarded to a follower byte for byte; Ctrl-] ends the session.
final class TerminalInput: @unchecked Sendable {
    /// The exit key: Ctrl-] (GS, 0x1d), as in telnet and picocom-like tools.
    static let exitKey: UInt8 = 0x1D
    /// How the exit key is announced.
    static let exitKeyName = "Ctrl-]"

    private var saved = termios()
    private var active = false

    /// Puts the terminal on stdin in raw mode; nil when stdin is not a terminal.
    init?() {
        guard isatty(0) == 1, tcgetattr(0, &saved) == 0 else { return nil }
        var raw = saved
        cfmakeraw(&raw)
        raw.c_oflag |= tcflag_t(OPOST | ONLCR)   // keep "\n" → "\r\n" on output so lines render
        guard tcsetattr(0, TCSANOW, &raw) == 0 else { return nil }
        active = true
    }

    deinit { restore() }

    /// Puts the terminal back as it was.
    func restore() {
        guard active else { return }
        active = false
        tcsetattr(0, TCSANOW, &saved)
    }

    /// Starts a thread that forwards stdin to `follower`, mapping CR/LF to `lineEnding`; the exit key calls `onExit`.
    func forward(to follower: LogFollower, lineEnding: [UInt8], onExit: @escaping @Sendable () -> Void) {
        DetachedThread.detach {
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let n = read(0, &buffer, buffer.count)
                if n <= 0 { return }
                var outgoing: [UInt8] = []
                for byte in buffer[0..<n] {
                    if byte == Self.exitKey { follower.send(outgoing); onExit(); return }
                    if byte == 0x0D || byte == 0x0A { outgoing += lineEnding } else { outgoing.append(byte) }
                }
                follower.send(outgoing)
            }
        }
    }
}

/// A detached POSIX thread.
enum DetachedThread {
    private final class Body { let run: () -> Void; init(_ run: @escaping () -> Void) { self.run = run } }

    /// Runs `body` on a new detached thread.
    static func detach(_ body: @escaping @Sendable () -> Void) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        if status == 0 { pthread_detach(thread) } else { Unmanaged<Body>.fromOpaque(context).release() }
    }
}
