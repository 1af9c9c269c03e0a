#if canImport(Glibc)
import Glibc
#endif
import PicoSerial
import Synchronization
import SystemPackage
import UF2

/// One `monitor` (or `flash --monitor`) run: follows a board, renders its output, applies
/// `--expect`/`--fail-on`/`--lines`, writes the log, and answers with an exit status.
///
/// `monitor` and `flash --monitor` (which embeds `@OptionGroup var console: MonitorOptions` and follows
/// the rebooted board by its USB port path) go through `follow(_:options:inventory:json:remote:image:)`:
/// the session is made (the udev monitor listens from then on), and `run(forwardInput: true)` opens the
/// tty, raises DTR within milliseconds of its appearance (`--verbose` reports the delay) and returns the
/// exit status.
final class MonitorSession: Sendable {
    let options: MonitorOptions
    let identity: BoardIdentity
    let label: String?
    /// JSON lines on stdout instead of the board's text (`--json` of the command).
    let json: Bool
    let console = ConsoleOutput()
    let follower: LogFollower
    private let log: LogFile?
    let state: Mutex<State>
    let start: Int64
    /// The image the `f` command key flashes (`monitor --image`, `flash --monitor`'s file).
    let image: String?
    /// Annotates code addresses in lines (`--elf`, or an ELF image); nil with `--no-symbolize`.
    let symbols: SymbolSource?
    /// The symbolizer (read in the background since the session was made; the first use waits for it).
    var symbolizer: AddressSymbolizer? { symbols?.symbolizer }
    /// Whether `--expect`, `--fail-on` or `--lines` looks at lines.
    private let watching: Bool

    struct State {
        var formatter: ConsoleFormatter
        var logFormatter: ConsoleFormatter
        var watch: LineWatch
        var verdict: WatchVerdict = .keepGoing
        var stopCause: StopCause?
        var stdoutClosed = false
        var input: TerminalInput?
        var board: String?
        var endReason = ""
        /// Set at the first failed log write: nothing more is logged and the run exits 3.
        var logFailed = false
        /// The last open error shown on stderr: the run's end does not repeat it.
        var shownOpenError: SerialError?
        /// The tty followed now (its USB port for the `r`, `b` and `f` keys).
        var device: SerialDevice?
        /// `d` lowered DTR.
        var dtrLowered = false
        /// `l` paused the log.
        var logPaused = false
        /// The kind of timestamps the log's lines have so far (`t` changes `logFormatter`'s; a line says where).
        var loggedTimestamps: TimestampMode?
        /// The log's lines of the chunk being handled, written together once the chunk is done.
        var pendingLog: [UInt8] = []
        /// With `--elf` in chunked output: where the stream's addresses are annotated.
        var annotator = AddressAnnotator()
    }

    /// Prepares the follower and opens the log; throws a `MonitorError` with the exit status to use.
    /// `label` prefixes every line (`monitor --all`), in `labelColor` (SGR parameters) on a colour terminal.
    /// With `remote`, the network console is followed instead of a tty.
    init(options: MonitorOptions, identity: BoardIdentity, json: Bool = false, label: String? = nil,
         labelColor: String? = nil, remote: RemoteConsole? = nil, image: String? = nil) throws(MonitorError) {
        self.options = options
        self.image = image
        let console = self.console
        symbols = try Self.symbolSource(options: options, image: image) { console.error($0) }
        watching = (try? options.watchOptions()).map { LineWatch(options: $0).isActive } ?? false
        self.json = json
        self.identity = identity
        self.label = label
        do {
            var follow = options.followOptions(identity: identity, remote: remote)
            // Lines only for what reads them: line-by-line output, the log, a watch.
            follow.lines = json || label != nil || options.log != nil || watching
            follower = try LogFollower(options: follow)
        } catch {
            throw MonitorError(status: .deviceError, message: error.description)
        }
        do {
            log = try options.log.map { try LogFile(path: $0) }
        } catch {
            throw MonitorError(status: .unreadable, message: "cannot open log file \(options.log ?? ""): \(error)")
        }
        let start = Timestamp.monotonicNow()
        self.start = start
        let style = Colour.span(sgr: labelColor ?? Colour.Style.dim.rawValue, on: .stdout)
        let lineMode = label != nil || watching
        let shown = ConsoleFormatOptions(timestamps: options.timestamps, hex: options.hex, label: label,
                                         normalizeLineEndings: options.showEOL == .lf || lineMode, prefixStyle: style,
                                         safety: options.raw ? nil : .terminal)
        let logged = ConsoleFormatOptions(timestamps: options.timestamps, label: label, normalizeLineEndings: true,
                                          safety: options.logRaw ? nil : .plain)
        state = Mutex(State(formatter: ConsoleFormatter(options: shown, start: start),
                            logFormatter: ConsoleFormatter(options: logged, start: start),
                            watch: LineWatch(options: (try? options.watchOptions()) ?? WatchOptions()),
                            loggedTimestamps: options.timestamps))
    }

    /// Whether stdout is written line by line: a watch is active (output stops exactly at the deciding
    /// line) or several boards share stdout (a line is one write, never mixed with another board's).
    private var lineMode: Bool { json || !options.hex && (label != nil || state.withLock { $0.watch.isActive }) }

    /// `[label] ` before status lines when several boards share the terminal.
    private var who: String { label.map { "[\($0)] " } ?? "" }

    /// Why a run was stopped from outside its own events.
    enum StopCause: String, Sendable {
        /// Ctrl-] on the terminal.
        case exitKey = "exit key"
        /// Ctrl-C or SIGTERM.
        case interrupted
        /// `monitor --all`: another board's line decided the run, or its timeout passed.
        case otherBoard = "other board"
    }

    /// Stops the run from another thread.
    func stop(_ cause: StopCause) {
        state.withLock { $0.stopCause = $0.stopCause ?? cause }
        follower.stop()
    }

    /// Puts the terminal back at once: Ctrl-C or SIGTERM (`Interruption`) exits right after its clean-ups.
    func interrupt() {
        state.withLock { $0.input }?.restore()
        stop(.interrupted)
    }

    /// Why the run ended, one word (the `reason` of the JSON end event); empty while running.
    var endReason: String { state.withLock { $0.endReason } }

    /// True when the run ended because stdout was closed: the command then ends by SIGPIPE
    /// (`Interruption.dieOfSIGPIPE()`), once the terminal and the tty are given back.
    var outputClosed: Bool { state.withLock { $0.stdoutClosed } }

    /// Follows until something ends the run; returns the exit status. SIGINT, SIGTERM and SIGHUP go through
    /// `Interruption` (terminal restored, exit 130); a closed stdout ends the run (see `outputClosed`).
    func run(forwardInput: Bool) -> ExitStatus {
        signal(SIGPIPE, SIG_IGN)
        // Unwound, not cut short: the run ends through `finish`, so the JSON end event and the log's last
        // line are written before the exit with 130 (`Interruption` exits anyway after its grace period).
        let key = Interruption.shared.register(self as any Interruptible)
        defer { Interruption.shared.remove(key) }
        var input: TerminalInput?
        if forwardInput && !options.noInput, let terminal = TerminalInput() {
            input = terminal
            state.withLock { $0.input = terminal }
            terminal.forward(CommandKeys(menuKey: options.menuKey, lineEnding: options.sendEOL.bytes)) { [self] key in
                handleKey(key, terminal: terminal)
            }
        }
        let lineMode = self.lineMode
        let end = follower.run({ event in handle(event, lineMode: lineMode, forwarding: input != nil) },
                               afterChunk: { writeLog([]) })
        input?.restore()
        return finish(end)
    }

    private func handle(_ event: FollowEvent, lineMode: Bool, forwarding: Bool) -> FollowDecision {
        switch event {
        case .waiting(let identity):
            if !options.quiet { console.status(who + "waiting for \(identity)…", color: "2") }
        case .matched(let device):
            if options.verbose { console.status(who + "found \(device)", color: "2") }
        case .connected(let device, let dtr, let latency):
            state.withLock { $0.board = label ?? device.name; $0.device = device }
            writeLog(LogHeader.line(board: label ?? device.name, device: device, at: .now()))
            if json { console.out(MonitorJSON.bytes(MonitorJSON.connection(device, dtr: dtr, latency: latency, again: false))) }
            if !options.quiet {
                console.status(who + "connected to \(device)" + (forwarding ? "; exit with \(TerminalInput.exitKeyName), keys with \(options.menuKey.name) ?" : "")
                               + keptLow(dtr), color: "32")
            }
            reportDTR(dtr, latency)
        case .reconnected(let device, let dtr, let latency, let count):
            state.withLock { $0.board = label ?? device.name; $0.device = device }
            if json { console.out(MonitorJSON.bytes(MonitorJSON.connection(device, dtr: dtr, latency: latency, again: true))) }
            if !options.quiet { console.status(who + "reconnected to \(device.devnode) (reconnection \(count))" + keptLow(dtr), color: "32") }
            reportDTR(dtr, latency)
        case .data(let bytes, let time):
            guard !lineMode else { break }
            let shown = state.withLock { state in
                guard let symbolizer, !options.hex else { return state.formatter.format(bytes, at: time) }
                return state.formatter.format(state.annotator.annotate(bytes, with: symbolizer), at: time)
            }
            if !console.out(shown) { return stdoutGone() }
        case .line(let line, let time):
            return handleLine(line, at: time, lineMode: lineMode)
        case .disconnected(let device, let reason):
            let tail = state.withLock { state in
                let unfinished = symbolizer.map { state.annotator.finish(with: $0) } ?? []
                return (unfinished.isEmpty ? [] : state.formatter.format(unfinished, at: .now())) + state.formatter.endOfStream()
            }
            console.out(json ? MonitorJSON.bytes(MonitorJSON.disconnected(device, reason: reason)) : tail)
            if !options.quiet && reason != "closed" {
                console.status(who + "disconnected from \(device.devnode) (\(reason))", color: "33")
            }
        case .openFailed(let device, let error, let willRetry):
            if !willRetry {
                state.withLock { $0.shownOpenError = error }
                console.error(who + (error.description.contains(device.devnode) ? "\(error)" : "\(device.devnode): \(error)"))
            } else if options.verbose {
                console.status("\(error); retrying", color: "2")
            }
        }
        return .continue
    }

    private func handleLine(_ line: Line, at time: Timestamp, lineMode: Bool) -> FollowDecision {
        if !lineMode && log == nil && !watching { return .continue }   // the data event showed it
        let (shown, verdict) = state.withLock { state -> ([UInt8], WatchVerdict) in
            var (body, symbols) = symbolizer?.annotate(line.bytes) ?? (line.bytes, [])
            body.append(0x0A)
            let shown = json ? MonitorJSON.bytes(MonitorJSON.line(line, at: time, start: start, board: state.board, symbols: symbols))
                : lineMode ? state.formatter.format(body, at: time) : []
            if log != nil && !state.logFailed && !state.logPaused { state.pendingLog += Self.logLine(body, at: time, state: &state) }
            let verdict = watching ? state.watch.observe(line) : .keepGoing
            if verdict != .keepGoing { state.verdict = verdict }
            return (shown, verdict)
        }
        if !shown.isEmpty {
            writeLog([])   // shown line by line: the log has each line before stdout does
            if !console.out(shown) { return stdoutGone() }
        }
        return verdict == .keepGoing ? .continue : .stop
    }

    /// A line's bytes for the log, after a line saying so when `t` changed the timestamps since the last one.
    private static func logLine(_ body: [UInt8], at time: Timestamp, state: inout State) -> [UInt8] {
        let kind = state.logFormatter.options.timestamps
        guard kind != state.loggedTimestamps else { return state.logFormatter.format(body, at: time) }
        state.loggedTimestamps = kind
        return LogHeader.timestampsChange(to: kind, at: time) + state.logFormatter.format(body, at: time)
    }

    /// Appends the chunk's pending lines, then `bytes`, to the log in one write; the first failed write stops
    /// logging with one message (the run then exits 3).
    private func writeLog(_ bytes: [UInt8]) {
        guard let log else { return }
        let all = state.withLock { state -> [UInt8] in
            defer { state.pendingLog = [] }
            return state.logFailed ? [] : state.pendingLog + bytes
        }
        guard !all.isEmpty else { return }
        do throws(Errno) {
            try log.append(all)
        } catch {
            state.withLock { $0.logFailed = true }
            console.error(who + "cannot write to log file \(log.path): \(error); no more lines are logged (exit status 3)")
        }
    }

    /// `l`: pauses or resumes the log; nil without `--log`, else whether it now writes.
    func toggleLog() -> Bool? {
        guard log != nil else { return nil }
        return state.withLock { state in
            state.logPaused.toggle()
            return !state.logPaused
        }
    }

    private func stdoutGone() -> FollowDecision {
        state.withLock { $0.stdoutClosed = true }
        return .stop
    }

    private func reportDTR(_ dtr: DTRState, _ latency: Int64?) {
        guard options.verbose else { return }
        let delay = latency.map { "\(Double($0 / 1000) / 1000) ms after the tty appeared" } ?? "on a tty already present"
        switch dtr {
        case .asserted: console.status(who + "DTR raised \(delay)", color: "2")
        case .unsupported: console.status(who + "port open \(delay); this tty has no modem lines (DTR not set)", color: "2")
        case .untouched, .lowered: break
        }
    }

    /// What a connection's status line adds when DTR stays low as the `d` key left it.
    private func keptLow(_ dtr: DTRState) -> String {
        dtr == .lowered ? "; DTR kept low (\(options.menuKey.name) d raises it)" : ""
    }

    private func finish(_ end: FollowEnd) -> ExitStatus {
        writeLog([])   // the lines of a chunk cut short by a verdict or a stop
        let (decided, reason) = outcome(end)
        // A log that could not be written fails the run (exit 3), whatever else matched.
        let status: ExitStatus = state.withLock({ $0.logFailed }) ? .unreadable : decided
        // Under `--all` the multiplexer writes the one end event of the run.
        if json && label == nil { console.out(MonitorJSON.bytes(MonitorJSON.end(status, reason: reason))) }
        state.withLock { $0.endReason = reason }
        return status
    }

    /// The exit status of a run and its one-word reason, with the matching stderr line.
    private func outcome(_ end: FollowEnd) -> (ExitStatus, String) {
        let (verdict, cause, stdoutClosed) = state.withLock { ($0.verdict, $0.stopCause, $0.stdoutClosed) }
        switch verdict {
        case .expected(let line):
            if !options.quiet { console.status(who + "matched --expect: \(TerminalSanitizer.visible(line))", color: "32") }
            return (.success, "expected")
        case .failed(let line):
            console.error(who + "matched --fail-on: \(TerminalSanitizer.visible(line))")
            return (.patternFailed, "failed")
        case .lineLimitReached:
            return (.success, "lines")
        case .keepGoing:
            break
        }
        switch end {
        case .stopped:
            if cause == .interrupted { return (.interrupted, "interrupted") }
            return (.success, cause?.rawValue ?? (stdoutClosed ? "stdout closed" : "stopped"))
        case .timedOut:
            guard label == nil else { return (.timedOut, "timeout") }   // `--all` reports the run's timeout once
            let what = options.expect.map { "--expect \($0)" } ?? (options.lines.map { "\($0) lines" } ?? "the end of the run")
            console.error("timed out after \(options.timeout ?? 0) s waiting for \(what)")
            return (.timedOut, "timeout")
        case .disconnected(let device):
            console.error(who + "\(device.devnode) went away (--no-reconnect)")
            return (.disconnected, "disconnected")
        case .ambiguous(let devices):
            console.error("several boards match; choose one with --serial or --port:\n"
                          + devices.map { "  \($0)" }.joined(separator: "\n"))
            return (.noDevice, "ambiguous")
        case .failed(let error):
            if state.withLock({ $0.shownOpenError }) != error { console.error(who + error.description) }
            return (MonitorError.status(for: error), "error")
        }
    }
}

/// A monitor that could not start, with its exit status.
struct MonitorError: Error, CustomStringConvertible {
    let status: ExitStatus
    let message: String

    /// The sentence the user reads.
    var description: String { message }

    /// The exit status for a serial error: access denied, missing node, or a device error.
    static func status(for error: SerialError) -> ExitStatus {
        switch error {
        case .openFailed(_, let errno) where errno == .permissionDenied: .accessDenied
        case .openFailed(_, let errno) where errno == .noSuchFileOrDirectory || errno == .noSuchAddressOrDevice
            || errno == .connectionRefused: .noDevice
        case .hostNotFound, .consoleUnavailable: .noDevice
        case .unsupportedBaud: .usage
        case .inUse: .deviceError
        default: error.isDisconnect ? .disconnected : .deviceError
        }
    }
}

extension MonitorSession {
    /// Follows one board with the terminal's keys (`monitor`, `flash --monitor`): `options` with the config
    /// file's settings for it filled in. A session that cannot start is reported and exits with its status;
    /// a run that does not succeed throws its exit status (a closed stdout ends the process by SIGPIPE).
    static func follow(_ identity: BoardIdentity, options: MonitorOptions, inventory: String?, json: Bool,
                       remote: RemoteConsole? = nil, image: String?) throws {
        let session: MonitorSession
        do {
            session = try MonitorSession(options: options.configured(for: identity, inventory: inventory, json: json),
                                         identity: identity, json: json, remote: remote, image: image)
        } catch {
            ConsoleOutput().error(error.message)
            throw error.status.exitCode
        }
        let status = session.run(forwardInput: true)
        if session.outputClosed { Interruption.dieOfSIGPIPE() }
        if status != .success { throw status.exitCode }
    }
}

extension MonitorSession: Interruptible {
    /// Last resort when the run did not unwind in time: give the terminal back.
    func releaseForExit() { state.withLock { $0.input }?.restore() }
}
