#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import ArgumentParser
import Synchronization
import PicoUSB

/// Something a device command holds that Ctrl-C must leave clean.
protocol Interruptible: AnyObject {
    /// Stop: make transfers fail so the command unwinds, and reset the device side.
    func interrupt()
    /// Last resort before exiting without unwinding: release what is held.
    func releaseForExit()
}

extension PicobootUSBTransport: Interruptible {}

/// A clean-up closure: run on the signal, then the process exits at once (no unwinding).
private final class ImmediateCleanup: Interruptible {
    let cleanup: () -> Void
    init(_ cleanup: @escaping () -> Void) { self.cleanup = cleanup }
    func interrupt() { cleanup() }
    func releaseForExit() {}
}

/// Ctrl-C, SIGTERM and SIGHUP (a closed terminal or ssh connection). Held transports are interrupted (INTERFACE_RESET, transfers fail at once),
/// the command unwinds and closes them normally, and `DeviceFailure.reporting` turns the outcome
/// into exit status 130; if it does not unwind within `grace`, the transports are released and the
/// process exits with 130 anyway, so no board stays locked. Clean-up closures (`register { }`)
/// run on the signal and the process exits at once.
final class Interruption: @unchecked Sendable {
    /// The process-wide instance; signal handling is process-wide.
    static let shared = Interruption()
    /// How long the command may take to unwind after a signal.
    static let grace: Duration = .seconds(3)

    private let lock = Mutex(())
    private var held: [Int: any Interruptible] = [:]
    private var nextKey = 0
    private var sources: [DispatchSourceSignal] = []
    private var signalNumber: Int32?

    /// The signals that stop a command cleanly: Ctrl-C, `kill`, a closed terminal or ssh connection.
    static let signals = [SIGINT, SIGTERM, SIGHUP]

    /// Starts catching `signals` (idempotent). Handlers run on a dispatch queue, not in signal context.
    /// From now on a write to a closed stdout fails with EPIPE instead of killing the process, so the
    /// writer can call `outputClosed()` and the board is released first.
    func install() {
        lock.withLock { _ in
            guard sources.isEmpty else { return }
            signal(SIGPIPE, SIG_IGN)
            for number in Self.signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInitiated))
                source.setEventHandler { [unowned self] in self.fire(number) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Registers something to interrupt on a signal; returns the key to remove it.
    @discardableResult
    func register(_ resource: any Interruptible) -> Int {
        install()
        return lock.withLock { _ in
            nextKey += 1
            held[nextKey] = resource
            return nextKey
        }
    }

    /// Registers a clean-up closure: on a signal it runs, then the process exits with 130 at once.
    @discardableResult
    func register(_ cleanup: @escaping () -> Void) -> Int {
        register(ImmediateCleanup(cleanup))
    }

    /// Removes a resource once it was released normally.
    func remove(_ key: Int) {
        lock.withLock { _ in held[key] = nil }
    }

    /// The message for an interruption, if one happened.
    var message: String? {
        lock.withLock { _ in signalNumber }.map { Diagnostics.text(.error, "interrupted by \(Self.name($0)); the board was reset and released") }
    }

    /// How a person names the signal: `Ctrl-C`, `SIGTERM`, `SIGHUP`, `a closed stdout`.
    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: "Ctrl-C"
        case SIGHUP: "SIGHUP"
        case SIGPIPE: "a closed stdout"
        default: "SIGTERM"
        }
    }

    /// Ends the process at once with `status` after `message` (a line for stderr), running the
    /// clean-ups and releases a signal would: for a failure that cannot unwind (an input file that
    /// fails under a read deep in the image code).
    func abort(_ message: String, status: Int32) -> Never {
        let resources = lock.withLock { _ in Array(held.values) }
        for resource in resources { resource.interrupt() }
        for resource in resources { resource.releaseForExit() }
        Terminal.error(message)
        _exit(status)
    }

    /// Stdout was closed (the reader of a pipe went away): stop as on a signal, then end by SIGPIPE.
    func outputClosed() { fire(SIGPIPE) }

    /// The exit code for a command that unwound after an interruption; after a closed stdout the
    /// process ends here by SIGPIPE instead (status 141 in a shell), as `yes | head` does.
    func interruptedExitCode() -> ExitCode {
        let number = lock.withLock { _ in signalNumber }
        if number == SIGPIPE { Self.dieOfSIGPIPE() }
        return ExitStatus.interrupted.exitCode
    }

    /// Ends the process by SIGPIPE, the status a shell reports for a command whose output closed.
    static func dieOfSIGPIPE() -> Never {
        signal(SIGPIPE, SIG_DFL)
        raise(SIGPIPE)
        _exit(128 + SIGPIPE)
    }

    /// Ends the process after an interruption: by SIGPIPE after a closed stdout, else with 130.
    private static func exit(after number: Int32) -> Never {
        if number == SIGPIPE { dieOfSIGPIPE() }
        _exit(ExitStatus.interrupted.rawValue)
    }

    private func fire(_ number: Int32) {
        let (first, resources) = lock.withLock { _ in
            let first = signalNumber == nil
            signalNumber = number
            return (first, Array(held.values))
        }
        if number == SIGPIPE && resources.isEmpty { Self.dieOfSIGPIPE() }   // nothing to release: as `yes | head`
        let immediate = resources.contains { $0 is ImmediateCleanup }
        guard first, !resources.isEmpty, !immediate else {
            for resource in resources { resource.interrupt() }
            for resource in resources { resource.releaseForExit() }
            Terminal.error("\n" + Diagnostics.text(.error, "interrupted by \(Self.name(number))"))
            Self.exit(after: number)
        }
        for resource in resources { resource.interrupt() }
        let (seconds, _) = Self.grace.components
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(seconds))) { [self] in
            let left = lock.withLock { _ in Array(held.values) }
            for resource in left { resource.releaseForExit() }
            Terminal.error("\n" + (message ?? Diagnostics.text(.error, "interrupted")))
            Self.exit(after: number)
        }
    }
}
