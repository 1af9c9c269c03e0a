#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The I/O half of `LogFollower`: one poll loop that carries out the state machine's actions, on a tty
/// or on a network console (which has no hotplug: while it is away, it is tried again at an interval).
struct FollowLoop {
    let options: FollowOptions
    let udev: UDev?
    let monitor: HotplugMonitor?
    let wake: FileDescriptor
    private var machine: FollowerStateMachine
    private var port: (any ConsoleChannel)?
    /// When a network console that went away is tried next.
    private var nextConnect: Int64?
    /// A network console connected by a reconnection attempt, handed over when the machine opens it.
    private var connected: (any ConsoleChannel)?
    private var retry: (device: SerialDevice, at: Int64)?
    private var end: FollowEnd?
    /// When `--timeout` ends the run (monotonic), so a connection attempt does not outlast it.
    private var deadline: Int64?
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// The most a tty read returns while more is pending (Linux n_tty: its 4096-byte buffer less one).
    static let lineDisciplineChunk = 4095
    /// Bytes for the board that the port has not taken yet (written when it polls writable).
    private var outgoing: [UInt8] = []
    /// DTR as last asked (`LogFollower.setDTR`): a port opened while it is false has DTR lowered at once.
    private var dtrRaised = true

    init(options: FollowOptions, udev: UDev?, monitor: HotplugMonitor?, wake: FileDescriptor) {
        self.options = options
        self.udev = udev
        self.monitor = monitor
        self.wake = wake
        self.machine = FollowerStateMachine(identity: options.identity, reconnect: options.reconnect,
                                            maxLineLength: options.maxLineLength)
        machine.assemblesLines = options.lines
    }

    mutating func run(handler: (FollowEvent) -> FollowDecision,
                      takeOutbox: () -> (bytes: [UInt8], stop: Bool, dtr: Bool?),
                      afterChunk: () -> Void = {}) -> FollowEnd {
        let started = Timestamp.monotonicNow()
        let deadline = options.timeoutNanoseconds.map { started + $0 }
        self.deadline = deadline
        perform(machine.start(present: presentDevices(), at: started), handler)
        while end == nil {
            var fds = [pollfd(fd: wake.rawValue, events: Int16(POLLIN), revents: 0)]
            if let monitor { fds.append(pollfd(fd: monitor.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)) }
            if let port {
                let events = outgoing.isEmpty && !port.hasPendingOutput ? POLLIN : POLLIN | POLLOUT
                fds.append(pollfd(fd: port.fileDescriptor.rawValue, events: Int16(events), revents: 0))
            }
            let now = Timestamp.monotonicNow()
            var wait: Int64 = -1
            if let deadline { wait = max(0, deadline - now) }
            if let retry { wait = wait < 0 ? max(0, retry.at - now) : min(wait, max(0, retry.at - now)) }
            if let at = scheduleReconnect(now: now) { wait = wait < 0 ? max(0, at - now) : min(wait, max(0, at - now)) }
            if port?.hasBufferedInput == true { wait = 0 }
            let timeoutMs = wait < 0 ? Int32(-1) : Int32(clamping: (wait + 999_999) / 1_000_000)
            let ready = poll(&fds, nfds_t(fds.count), timeoutMs)
            if ready < 0 && Errno.current != .interrupted {
                perform([.finish(.failed(.ioFailed(path: "poll", call: "poll", errno: .current)))], handler)
                break
            }
            let after = Timestamp.monotonicNow()
            if let deadline, after >= deadline {
                drainPort(handler, afterChunk)   // bytes already queued still count
                if end == nil { perform(machine.timedOut(), handler) }
                break
            }
            if fds[0].revents != 0 {
                drainWake()
                let (bytes, stop, dtr) = takeOutbox()
                if stop { perform(machine.stop(), handler); break }
                if let dtr {
                    dtrRaised = dtr
                    _ = try? port?.setDTR(dtr)
                }
                if port != nil { outgoing += bytes }   // bytes sent while no port is open are dropped
                flushOutgoing(handler)
            }
            if let monitor, fds[1].revents != 0 {
                for event in monitor.drain() where end == nil { perform(machine.hotplug(event), handler) }
            }
            if let portFD = port?.fileDescriptor.rawValue,
               let entry = fds.last, entry.fd == portFD, entry.revents != 0 || port?.hasBufferedInput == true {
                if entry.revents & Int16(POLLOUT) != 0 { flushOutgoing(handler) }
                drainPort(handler, afterChunk)
            }
            if let pending = retry, after >= pending.at, end == nil {
                retry = nil
                open(pending.device, handler)
            }
            if let at = nextConnect, after >= at, let device = options.remoteDevice, end == nil {
                nextConnect = nil
                retryRemote(device, at: after, handler)
            }
        }
        port?.close()
        port = nil
        return end ?? .stopped
    }

    /// The ttys present now; a node that udev does not know (a pty, a path given by hand) counts when it exists.
    private func presentDevices() -> [SerialDevice] {
        if let remote = options.remoteDevice { return [remote] }
        var devices = (try? udev?.serialDevices()) ?? []
        if let node = options.identity.devnode, !devices.contains(where: { $0.devnode == node }),
           access(node, F_OK) == 0 {
            devices.append(SerialDevice(devnode: node))
        }
        return devices
    }

    /// Reads what the port has, up to a buffer full, and hands it on as one chunk: one `data` event and
    /// so one write downstream for many small tty reads, and no wait added (reading stops when the port is empty).
    /// `afterChunk` runs once the chunk's events are handled (a consumer writes what it gathered from them).
    private mutating func drainPort(_ handler: (FollowEvent) -> FollowDecision, _ afterChunk: () -> Void) {
        guard let port, end == nil else { return }
        var filled = 0
        var failure: SerialError?
        // Bounded so a flood of output cannot starve hotplug and stop handling.
        for _ in 0..<64 where filled < buffer.count {
            do throws(SerialError) {
                let n = try port.read(into: &buffer, at: filled)
                filled += n
                // A read that did not fill the tty's 4 KiB line-discipline buffer emptied it: back to poll,
                // which returns at once if more has come, instead of a read that fails with EAGAIN.
                if n < Self.lineDisciplineChunk { break }
            } catch {
                failure = error
                break
            }
        }
        if filled > 0 {
            for event in machine.received(Array(buffer[0..<filled]), at: Timestamp.now()) {
                if handler(event) == .stop { perform(machine.stop(), handler); return }
            }
            afterChunk()
        }
        if let failure, end == nil { perform(machine.ioFailed(failure), handler) }
    }

    /// Writes what the port takes of `outgoing` without blocking; the rest waits for POLLOUT.
    private mutating func flushOutgoing(_ handler: (FollowEvent) -> FollowDecision) {
        guard let port, !outgoing.isEmpty || port.hasPendingOutput, end == nil else { return }
        do throws(SerialError) {
            let written = try port.writeSome(outgoing)
            outgoing.removeFirst(written)
        } catch {
            perform(machine.ioFailed(error), handler)
        }
    }

    /// For a network console that is away (no connection, no open pending): when to try it again.
    private mutating func scheduleReconnect(now: Int64) -> Int64? {
        guard options.remoteDevice != nil, port == nil, retry == nil, end == nil, !machine.isFinished else {
            nextConnect = nil
            return nil
        }
        if nextConnect == nil { nextConnect = now + options.reconnectIntervalNanoseconds }
        return nextConnect
    }

    /// Tries a network console that went away; a server still away is tried again later without a word,
    /// a connection is announced to the machine as the console's appearance.
    private mutating func retryRemote(_ device: SerialDevice, at now: Int64, _ handler: (FollowEvent) -> FollowDecision) {
        do throws(SerialError) {
            connected = try options.openChannel(device, before: deadline)
        } catch where error.isDisconnect {
            return
        } catch {}   // any other failure: the machine opens again and reports it
        perform(machine.hotplug(HotplugEvent(action: .add, device: device, receivedAt: now)), handler)
        connected?.close()
        connected = nil
    }

    private func drainWake() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while let n = try? scratch.withUnsafeMutableBytes({ try wake.read(into: $0) }), n > 0 {}
    }

    private mutating func open(_ device: SerialDevice, _ handler: (FollowEvent) -> FollowDecision) {
        do throws(SerialError) {
            let opened: any ConsoleChannel
            var opening = options
            opening.port.assertDTR = options.port.assertDTR && dtrRaised
            if let handed = connected.take() { opened = handed } else { opened = try opening.openChannel(device, before: deadline) }
            port = opened
            var dtr = opened.dtr
            if !dtrRaised { dtr = (try? opened.setDTR(false)) ?? dtr }   // a tty's open raises it: lowered at once
            perform(machine.opened(device, dtr: dtr, at: Timestamp.monotonicNow()), handler)
        } catch {
            perform(machine.openFailed(device, error: error), handler)
        }
    }

    private mutating func perform(_ actions: [FollowerStateMachine.Action], _ handler: (FollowEvent) -> FollowDecision) {
        for action in actions {
            guard end == nil else { return }
            switch action {
            case .open(let device):
                retry = nil
                open(device, handler)
            case .retryOpen(let device, let delay):
                retry = (device, Timestamp.monotonicNow() + delay)
            case .close:
                port?.close()
                port = nil
                outgoing.removeAll()
            case .emit(let event):
                if handler(event) == .stop { perform(machine.stop(), handler) }
            case .finish(let result):
                end = result
            }
        }
    }
}
