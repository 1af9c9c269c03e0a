#if canImport(Glibc)
import Glibc
#endif
import PicoSerial
import Synchronization

/// stdin in raw mode, read by `CommandKeys` on its own thread: bytes for the board, command keys, Ctrl-] to end.
final class TerminalInput: @unchecked Sendable {
    /// The exit key: Ctrl-] (GS, 0x1d), as in telnet and picocom-like tools.
    static let exitKey: UInt8 = CommandKeys.exitKey
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

    /// Whether typed bytes are also shown (the `e` command key).
    var echo: Bool {
        get { echoing.load(ordering: .relaxed) }
        set { echoing.store(newValue, ordering: .relaxed) }
    }
    private let echoing = Atomic(false)

    /// Starts a thread that reads stdin through `keys` and hands each input to `handle` until it returns false.
    func forward(_ keys: CommandKeys, handle: @escaping @Sendable (KeyInput) -> Bool) {
        DetachedThread.detach {
            var keys = keys
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let n = read(0, &buffer, buffer.count)
                if n <= 0 { return }
                for input in keys.feed(buffer[0..<n]) where !handle(input) { return }
            }
        }
    }

    /// Reads one line typed on the terminal (shown on stderr; Backspace edits, Enter ends, Escape or
    /// Ctrl-C cancels with nil). Called from the thread `forward` started, so no key is lost to it.
    func readLine(prompt: String) -> String? {
        var line: [UInt8] = []
        ConsoleOutput.write(Array(prompt.utf8), to: .standardError)
        defer { ConsoleOutput.write([0x0D, 0x0A], to: .standardError) }
        var byte: UInt8 = 0
        while read(0, &byte, 1) == 1 {
            switch byte {
            case 0x0D, 0x0A: return String(decoding: line, as: UTF8.self)
            case 0x1B, 0x03: return nil
            case 0x7F, 0x08:
                if !line.isEmpty { line.removeLast(); ConsoleOutput.write([0x08, 0x20, 0x08], to: .standardError) }
            default:
                if byte >= 0x20 { line.append(byte); ConsoleOutput.write([byte], to: .standardError) }
            }
        }
        return nil
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
