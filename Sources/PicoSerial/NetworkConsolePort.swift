#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A TCP connection to a network console, non-blocking: raw bytes (`tcp://`) or Telnet with
/// COM-PORT-OPTION (`rfc2217://`, through `RFC2217Session`).
///
/// ```swift
/// let port = try NetworkConsolePort.connect(try RemoteConsole(url: "rfc2217://127.0.0.1:3333"),
///                                           settings: ComPortSettings(baud: 115_200))
/// defer { port.close() }
/// ```
final class NetworkConsolePort: ConsoleChannel {
    /// The console's URL (in errors and events).
    let name: String
    let fileDescriptor: FileDescriptor
    /// `.asserted` when DTR was asked of an RFC 2217 server; a plain TCP stream has no modem lines.
    let dtr: DTRState
    private var session: RFC2217Session?
    /// Encoded bytes the socket has not taken yet.
    private var pending: [UInt8] = []
    /// Data typed while the server suspended our output (RFC 2217 FLOWCONTROL-SUSPEND).
    private var held: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)
    private var closed = false
    /// Serial data that came while the connection was being confirmed, for the first reads.
    private var early: [UInt8] = []
    /// How long an RFC 2217 server may take to answer COM-PORT-OPTION before its console counts as open anyway.
    static let confirmationNanoseconds: Int64 = 1_000_000_000

    private init(name: String, fileDescriptor: FileDescriptor, dtr: DTRState, session: RFC2217Session?) {
        self.name = name
        self.fileDescriptor = fileDescriptor
        self.dtr = dtr
        self.session = session
    }

    deinit { close() }

    /// Connects to `remote` within `timeoutNanoseconds` and, for RFC 2217, sends the opening negotiation
    /// and waits for the server to confirm its console (`awaitConsole`).
    static func connect(_ remote: RemoteConsole, settings: ComPortSettings,
                        timeoutNanoseconds: Int64 = 5_000_000_000) throws(SerialError) -> NetworkConsolePort {
        let started = Timestamp.monotonicNow()
        let fd = try TCPSocket.connect(host: remote.host, port: remote.port, name: remote.description,
                                       timeoutNanoseconds: timeoutNanoseconds)
        var session: RFC2217Session?
        var dtr = DTRState.unsupported
        if remote.transport == .rfc2217 {
            session = RFC2217Session(settings: settings)
            dtr = settings.dtr == true ? .asserted : .untouched
        }
        let port = NetworkConsolePort(name: remote.description, fileDescriptor: fd, dtr: dtr, session: session)
        if let opening = port.session?.start() {
            port.pending = opening
            try port.flush()
            let left = max(0, started + timeoutNanoseconds - Timestamp.monotonicNow())
            do throws(SerialError) {
                try port.awaitConsole(until: Timestamp.monotonicNow() + min(confirmationNanoseconds, left))
            } catch {
                port.close()
                throw error
            }
        }
        return port
    }

    /// Reads until the server answers COM-PORT-OPTION (its first COM-PORT subnegotiation, or a refusal
    /// of the option): a server whose console is open does so at once (ser2net reports its line state
    /// before anything else), and only then does the console count as open. A server that closes the
    /// connection first is not a console (ser2net does that when it cannot open the device, after one
    /// line saying why): `consoleUnavailable` with what it said. One that says nothing until `until`
    /// counts as open. Serial data that comes meanwhile is kept for the first reads.
    private func awaitConsole(until: Int64) throws(SerialError) {
        guard var session else { return }
        defer { self.session = session }
        func unavailable() -> SerialError {
            let text = String(decoding: early.prefix(200), as: UTF8.self)
            let printable = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
            return .consoleUnavailable(path: name, message: printable.split(separator: " ").joined(separator: " "))
        }
        while true {
            let left = until - Timestamp.monotonicNow()
            if left <= 0 { return }
            var pfd = pollfd(fd: fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: (left + 999_999) / 1_000_000))
            if ready < 0 {
                if Errno.current == .interrupted { continue }
                throw .ioFailed(path: name, call: "poll", errno: .current)
            }
            if ready == 0 { return }
            let received: Int
            do throws(SerialError) {
                received = try receive(upTo: scratch.count)
            } catch .ioFailed(_, _, .connectionReset) {
                throw unavailable()
            }
            if received == 0 { continue }
            let step = session.receive(scratch[0..<received])
            pending += step.reply
            early += step.data
            // The settings go out when the server agrees to COM-PORT-OPTION; a server that is closing
            // may refuse them (EPIPE): what it says before it closes is read next.
            do throws(SerialError) { try flush() } catch { pending.removeAll() }
            let answered = step.events.contains { event in
                switch event {
                case .comPort: true
                case .disabled(let option, .client): option == TelnetOption.comPort
                default: false
                }
            }
            if answered { return }
        }
    }

    /// Up to `limit` bytes from the socket into `scratch`; 0 when none is there yet. The server's
    /// close is `ioFailed(connectionReset)`, as its reset is.
    private func receive(upTo limit: Int) throws(SerialError) -> Int {
        let received = scratch.withUnsafeMutableBytes { recv(fileDescriptor.rawValue, $0.baseAddress, limit, 0) }
        if received == 0 { throw .ioFailed(path: name, call: "read", errno: .connectionReset) }   // the server closed
        if received < 0 {
            let errno = Errno.current
            if errno == .resourceTemporarilyUnavailable || errno == .interrupted { return 0 }
            throw .ioFailed(path: name, call: "read", errno: errno)
        }
        return received
    }

    var hasPendingOutput: Bool { !pending.isEmpty }

    var hasBufferedInput: Bool { !early.isEmpty }

    func read(into buffer: inout [UInt8], at offset: Int) throws(SerialError) -> Int {
        if !early.isEmpty {
            let count = min(buffer.count - offset, early.count)
            for i in 0..<count { buffer[offset + i] = early[i] }
            early.removeFirst(count)
            return count
        }
        let limit = min(buffer.count - offset, scratch.count)
        guard limit > 0 else { return 0 }
        let received = try receive(upTo: limit)
        guard received > 0 else { return 0 }
        guard var session else {
            for i in 0..<received { buffer[offset + i] = scratch[i] }
            return received
        }
        let wasSuspended = session.isSuspended
        let step = session.receive(scratch[0..<received])
        self.session = session
        pending += step.reply
        if wasSuspended && !session.isSuspended {
            pending += session.encode(held)
            held.removeAll()
        }
        try flush()
        // Telnet unescaping only shrinks the data, so it fits where the raw bytes would have.
        for (i, byte) in step.data.enumerated() { buffer[offset + i] = byte }
        return step.data.count
    }

    /// RFC 2217 SET-CONTROL DTR ON or OFF; a plain TCP stream has no modem lines.
    func setDTR(_ raised: Bool) throws(SerialError) -> DTRState {
        guard session != nil else { return .unsupported }
        pending += RFC2217Session.comPortCommand(ComPortCommand.setControl, [raised ? ComPortControl.dtrOn : ComPortControl.dtrOff])
        try flush()
        return raised ? .asserted : .lowered
    }

    func writeSome(_ bytes: some Collection<UInt8>) throws(SerialError) -> Int {
        if let session {
            if session.isSuspended { held += bytes } else { pending += session.encode(bytes) }
        } else {
            pending += bytes
        }
        try flush()
        return bytes.count
    }

    /// Sends what the socket takes of the pending bytes now.
    private func flush() throws(SerialError) {
        while !pending.isEmpty {
            let sent = pending.withUnsafeBytes {
                send(fileDescriptor.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if sent < 0 {
                let errno = Errno.current
                if errno == .interrupted { continue }
                if errno == .resourceTemporarilyUnavailable { return }
                throw .ioFailed(path: name, call: "write", errno: errno)
            }
            pending.removeFirst(sent)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        try? fileDescriptor.close()
    }
}

/// `socket(2)` and `connect(2)` for a TCP client, non-blocking, with a bounded connect.
enum TCPSocket {
    /// Resolves `host` and connects to the first address that answers; the descriptor is non-blocking.
    static func connect(host: String, port: UInt16, name: String, timeoutNanoseconds: Int64) throws(SerialError) -> FileDescriptor {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .hostNotFound(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var lastError = Errno.connectionRefused
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry?.pointee {
            entry = info.ai_next
            let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                            info.ai_protocol)
            guard fd >= 0 else { lastError = .current; continue }
            if let error = finishConnect(fd, address: info.ai_addr, length: info.ai_addrlen, timeoutNanoseconds: timeoutNanoseconds) {
                lastError = error
                Glibc.close(fd)
                continue
            }
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return FileDescriptor(rawValue: fd)
        }
        throw .openFailed(path: name, errno: lastError)
    }

    /// Connects `fd` and waits for the answer; nil on success, else the error.
    private static func finishConnect(_ fd: Int32, address: UnsafeMutablePointer<sockaddr>?, length: socklen_t,
                                      timeoutNanoseconds: Int64) -> Errno? {
        if Glibc.connect(fd, address, length) == 0 { return nil }
        guard Errno.current == .nowInProgress || Errno.current == .interrupted else { return .current }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&pfd, 1, Int32(clamping: timeoutNanoseconds / 1_000_000))
        if ready == 0 { return .timedOut }
        if ready < 0 { return .current }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 else { return .current }
        return error == 0 ? nil : Errno(rawValue: error)
    }
}
