#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import PicoBoot
import UF2

/// One board's part in a parallel flash: a label for reports and the work that flashes it.
///
/// `work` runs on its own thread and receives the board's `FlashEvent`s sink; it returns the summary
/// or throws. `FleetFlash.job(label:chip:open:image:options:)` builds one from any `PicobootTransport`.
public struct FleetJob: @unchecked Sendable {
    /// The board's label in events and outcomes (a port path, a name).
    public var label: String
    /// Flashes the board, reporting progress to the sink.
    public var work: (_ onEvent: @escaping (FlashEvent) -> Void) throws -> FlashSummary

    /// A job from its label and work.
    public init(label: String, work: @escaping (_ onEvent: @escaping (FlashEvent) -> Void) throws -> FlashSummary) {
        self.label = label
        self.work = work
    }
}

/// How one board's part of a parallel flash ended.
public struct FleetOutcome: @unchecked Sendable {
    /// The job's position in the list given to `FleetFlash.run`.
    public var index: Int
    /// The job's label.
    public var label: String
    /// The summary, or the error the work threw.
    public var result: Result<FlashSummary, any Error>
    /// Wall time from the job's start to its end.
    public var wallTime: Duration

    /// True when the board already held the image: nothing was erased or written.
    public var isUpToDate: Bool {
        if case .success(let summary) = result { return summary.plan.kind == .flash && summary.plan.bytesToWrite == 0 }
        return false
    }

    /// True when the work threw.
    public var failed: Bool {
        if case .failure = result { return true }
        return false
    }
}

/// Flashes many boards at once: one thread per board (the work is blocking USB I/O, so the core
/// count is no limit), events tagged with the job's index, outcomes in job order.
///
/// The same code path serves `picoctl flash --all` (libusb transports) and in-process simulated
/// boards (benchmarks, tests):
///
/// ```swift
/// let jobs = boards.enumerated().map { i, board in
///     FleetFlash.job(label: "sim-\(i)", chip: .rp2040, open: { board }, image: image, options: options)
/// }
/// let outcomes = FleetFlash.run(jobs) { index, event in render(index, event) }
/// ```
public enum FleetFlash {
    /// Runs every job concurrently and waits for all; `onEvent` and `onFinish` may be called from
    /// any worker thread (callers serialise their own output).
    public static func run(_ jobs: [FleetJob],
                           onEvent: @escaping (_ index: Int, _ event: FlashEvent) -> Void = { _, _ in },
                           onFinish: @escaping (FleetOutcome) -> Void = { _ in }) -> [FleetOutcome] {
        let results = OutcomeBox(count: jobs.count)
        let sinks = Sinks(onEvent: onEvent, onFinish: onFinish)
        let workers = jobs.enumerated().map { index, job in
            WorkerThread.start(stackSize: 1 << 20) {
                let clock = ContinuousClock()
                let start = clock.now
                let result = Result { try job.work { event in sinks.onEvent(index, event) } }
                let outcome = FleetOutcome(index: index, label: job.label, result: result, wallTime: clock.now - start)
                results.set(index, outcome)
                sinks.onFinish(outcome)
            }
        }
        for worker in workers { worker.join() }
        return results.all
    }

    /// A job that opens a transport, connects, and flashes `image` with a fresh executor.
    /// `helper` (if any) is given to the executor, e.g. the RP2040 RAM helper.
    public static func job(label: String, chip: Chip, timing: BoardTiming = .typical,
                           open: @escaping () throws -> any PicobootTransport,
                           image: MemoryImage, options: FlashOptions, helper: (any FlashHelper)? = nil) -> FleetJob {
        FleetJob(label: label) { onEvent in
            let transport = try open()
            let executor = FlashExecutor(connection: PicobootConnection(transport: transport), chip: chip, timing: timing,
                                         onEvent: onEvent)
            executor.helper = helper
            return try executor.flash(image, options: options)
        }
    }
}

/// The callbacks, shared with worker threads.
private final class Sinks: @unchecked Sendable {
    let onEvent: (Int, FlashEvent) -> Void
    let onFinish: (FleetOutcome) -> Void
    init(onEvent: @escaping (Int, FlashEvent) -> Void, onFinish: @escaping (FleetOutcome) -> Void) {
        self.onEvent = onEvent
        self.onFinish = onFinish
    }
}

/// Outcomes written by worker threads, one slot per job.
private final class OutcomeBox: @unchecked Sendable {
    private let slots: Mutex<[FleetOutcome?]>
    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
    func set(_ index: Int, _ outcome: FleetOutcome) { slots.withLock { $0[index] = outcome } }
    var all: [FleetOutcome] { slots.withLock { $0.compactMap { $0 } } }
}

/// A joinable POSIX thread with a chosen stack size.
private struct WorkerThread {
    private final class Body { let run: () -> Void; init(_ run: @escaping () -> Void) { self.run = run } }
    private let thread: pthread_t?
    private let inline: Body?

    /// Starts `body` on a new thread; if no thread can be created, `body` runs in `join()` instead.
    static func start(stackSize: Int, _ body: @escaping () -> Void) -> WorkerThread {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, &attributes, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        if status == 0 { return WorkerThread(thread: thread, inline: nil) }
        return WorkerThread(thread: nil, inline: Unmanaged<Body>.fromOpaque(context).takeRetainedValue())
    }

    /// Waits for the thread to finish.
    func join() {
        if let thread { pthread_join(thread, nil) } else { inline?.run() }
    }
}
