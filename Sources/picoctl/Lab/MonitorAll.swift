#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import PicoSerial
import Synchronization
import SystemPackage

/// `monitor --all`: one session per Raspberry Pi board tty, present at start or plugged in later,
/// each line prefixed with the board's name (its serial, else `usb:PORT`) and coloured per board.
///
/// The run ends when a board's line decides it (`--expect`, `--fail-on`, `--lines`), on `--timeout`,
/// on Ctrl-C, or, with `--no-reconnect`, once every board has gone.
final class MonitorAll: Sendable {
    let options: MonitorOptions
    /// JSON lines on stdout (`--json`).
    let json: Bool
    /// Board names from the inventory, used as line labels where known.
    let names: Inventory
    private let console = ConsoleOutput()
    private let udev: UDev
    private let hotplug: HotplugMonitor
    private let wake: (read: FileDescriptor, write: FileDescriptor)
    private let state = Mutex(State())
    private let ended = DispatchSemaphore(value: 0)
    /// Label colours, one per board in turn: cyan, magenta, yellow, green, blue, red.
    static let palette = ["36", "35", "33", "32", "34", "31"]

    private struct State {
        var sessions: [String: MonitorSession] = [:]
        var running = 0
        var decided: ExitStatus?
        var stopping = false
        var interrupted = false
        var lastStatus: ExitStatus = .success
        var reason = "stopped"
        var outputClosed = false
    }

    /// True when stdout was closed: every board's session was stopped and the command ends by SIGPIPE.
    var outputClosed: Bool { state.withLock { $0.outputClosed } }

    /// Starts the hotplug monitor first, so no board plugged in from now on is missed.
    init(options: MonitorOptions, json: Bool, names: Inventory = Inventory()) throws(MonitorError) {
        self.options = options
        self.json = json
        self.names = names
        do {
            udev = try UDev()
            hotplug = try HotplugMonitor(udev: udev)
            let pipe = try FileDescriptor.pipe()
            wake = (pipe.readEnd, pipe.writeEnd)
        } catch let error as SerialError {
            throw MonitorError(status: .deviceError, message: error.description)
        } catch {
            throw MonitorError(status: .deviceError, message: "\(error)")
        }
    }

    /// Stops every session (Ctrl-C, SIGTERM).
    func stop(interrupted: Bool) {
        let sessions = state.withLock { state -> [MonitorSession] in
            state.stopping = true
            state.interrupted = state.interrupted || interrupted
            return Array(state.sessions.values)
        }
        for session in sessions { session.stop(interrupted ? .interrupted : .otherBoard) }
        _ = try? [UInt8(1)].withUnsafeBytes { try wake.write.write($0) }
    }

    /// Follows every board until the run ends; returns the exit status.
    func run() -> ExitStatus {
        let present = ((try? udev.serialDevices()) ?? []).filter(BoardIdentity().matches)
        if present.isEmpty && !options.quiet { console.status("waiting for boards…", color: "2") }
        for device in present { start(device) }
        let deadline = options.timeout.map { Timestamp.monotonicNow() + Int64($0 * 1e9) }
        while !state.withLock({ $0.stopping }) {
            var fds = [pollfd(fd: hotplug.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wake.read.rawValue, events: Int16(POLLIN), revents: 0)]
            let wait = deadline.map { Int32(clamping: max(0, ($0 - Timestamp.monotonicNow()) / 1_000_000)) } ?? -1
            _ = poll(&fds, 2, wait)
            if let deadline, Timestamp.monotonicNow() >= deadline { break }   // sessions time out on their own
            if fds[0].revents != 0 {
                for event in hotplug.drain() where event.action == .add && BoardIdentity().matches(event.device) {
                    start(event.device)
                }
            }
            if fds[1].revents != 0 { break }
        }
        if let deadline, Timestamp.monotonicNow() >= deadline {
            // Boards plugged in late started their own clocks: the run's timeout ends them too.
            let late = state.withLock { state -> [MonitorSession] in
                state.decided = state.decided ?? .timedOut
                state.stopping = true
                return Array(state.sessions.values)
            }
            for session in late { session.stop(.otherBoard) }
        }
        // Wait for every session to end (a decision, the timeout or a signal stops them).
        while state.withLock({ $0.running > 0 }) { ended.wait() }
        let (decided, interrupted, last, reason) = state.withLock { ($0.decided, $0.interrupted, $0.lastStatus, $0.reason) }
        if interrupted { return .interrupted }
        let status = decided ?? last
        if status == .timedOut { console.error("timed out after \(options.timeout ?? 0) s") }
        if json {
            console.out(MonitorJSON.bytes(MonitorJSON.end(status, reason: status == .timedOut ? "timeout" : reason)))
        }
        return status
    }

    private func start(_ device: SerialDevice) {
        let identity = BoardIdentity().pinned(to: device)
        let key = identity.description
        let session: MonitorSession
        do {
            let color = state.withLock { Self.palette[$0.sessions.count % Self.palette.count] }
            let label = names.name(serial: device.serial, port: device.portPath) ?? device.name
            session = try MonitorSession(options: options.configured(for: identity, label: label, json: json), identity: identity,
                                         json: json, label: label, labelColor: color)
        } catch {
            console.error("\(device.devnode): \(error.message)")
            return
        }
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping, state.sessions[key] == nil else { return false }
            state.sessions[key] = session
            state.running += 1
            return true
        }
        guard accepted else { return }
        DetachedThread.detach { [self] in
            let status = session.run(forwardInput: false)
            finished(key, status, session)
        }
    }

    private func finished(_ key: String, _ status: ExitStatus, _ session: MonitorSession) {
        let others = state.withLock { state -> [MonitorSession] in
            state.running -= 1
            state.sessions[key] = nil
            state.lastStatus = status
            if state.decided == nil { state.reason = session.endReason }
            state.outputClosed = state.outputClosed || session.outputClosed
            // A line that decided the run (expect, fail-on, lines) or a closed stdout ends every other board's session.
            guard ["expected", "failed", "lines"].contains(session.endReason) || session.outputClosed,
                  !state.stopping else { return [] }
            state.decided = status
            state.stopping = true
            return Array(state.sessions.values)
        }
        for session in others { session.stop(.otherBoard) }
        if !others.isEmpty || state.withLock({ $0.running == 0 && options.noReconnect }) {
            _ = try? [UInt8(1)].withUnsafeBytes { try wake.write.write($0) }
        }
        ended.signal()
    }
}
