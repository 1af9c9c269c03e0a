#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation

/// Ctrl-C and SIGTERM during a device command: run the registered clean-ups (reset the PICOBOOT
/// interface, release it), say so on stderr, and exit with status 130, so no board stays locked.
final class Interruption: @unchecked Sendable {
    /// The process-wide instance; signal handling is process-wide.
    static let shared = Interruption()

    private let lock = NSLock()
    private var cleanups: [Int: () -> Void] = [:]
    private var nextKey = 0
    private var sources: [DispatchSourceSignal] = []

    /// Starts catching SIGINT and SIGTERM (idempotent). Handlers run on a dispatch queue, not in signal context.
    func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInitiated))
            source.setEventHandler { [unowned self] in self.fire(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Registers a clean-up to run if the process is interrupted; returns the key to remove it.
    @discardableResult
    func register(_ cleanup: @escaping () -> Void) -> Int {
        install()
        lock.lock()
        defer { lock.unlock() }
        nextKey += 1
        cleanups[nextKey] = cleanup
        return nextKey
    }

    /// Removes a clean-up once its resource was released normally.
    func remove(_ key: Int) {
        lock.lock()
        cleanups[key] = nil
        lock.unlock()
    }

    private func fire(_ number: Int32) {
        lock.lock()
        let pending = cleanups.values
        cleanups.removeAll()
        lock.unlock()
        for cleanup in pending { cleanup() }
        Terminal.error("\npicoctl: interrupted by \(number == SIGINT ? "Ctrl-C" : "SIGTERM")"
                       + (pending.isEmpty ? "" : "; the board's PICOBOOT interface was reset and released"))
        _exit(ExitStatus.interrupted.rawValue)
    }
}
