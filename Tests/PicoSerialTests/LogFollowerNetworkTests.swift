#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import PicoSerial

/// The real follower loop on a network console: a loopback TCP listener stands in for ser2net.
@Suite struct LogFollowerNetworkTests {
    /// A listener on 127.0.0.1 with a kernel-chosen port.
    final class Listener: @unchecked Sendable {
        let fd: Int32
        let port: UInt16

        init(backlog: Int32 = 4) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && listen(fd, backlog) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw SerialError.ioFailed(path: "listener", call: "bind", errno: .current) }
            port = UInt16(bigEndian: address.sin_port)
        }

        /// Accepts one connection (bounded by a 10 s poll), returns what the client sent first, sends `bytes`, hangs up.
        func serveOnce(_ bytes: [UInt8], readFirst: Int = 0) -> [UInt8] {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 10_000) == 1 else { return [] }
            let client = accept(fd, nil, nil)
            defer { Glibc.close(client) }
            var received = [UInt8](repeating: 0, count: readFirst)
            var got = 0
            while got < readFirst {
                var cpfd = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                guard poll(&cpfd, 1, 10_000) == 1 else { break }
                let n = received[got...].withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                got += n
            }
            _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return Array(received[0..<got])
        }

        /// Fills the accept queue (nothing is accepted) until the kernel drops the next SYN: a connection
        /// to the listener then never completes, as with a host that does not answer. Returns the
        /// connections that fill it (close them after the test).
        func fillAcceptQueue() -> [Int32] {
            var fillers: [Int32] = []
            for _ in 0..<16 {
                let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                address.sin_port = port.bigEndian
                _ = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                var pfd = pollfd(fd: client, events: Int16(POLLOUT), revents: 0)
                var error: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                // On loopback a connection the listener takes completes at once; one left waiting was dropped.
                if poll(&pfd, 1, 500) == 1, getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &size) == 0, error == 0 {
                    fillers.append(client)
                } else {
                    Glibc.close(client)
                    break
                }
            }
            return fillers
        }

        deinit { Glibc.close(fd) }
    }

    @Test func tcpLinesAcrossServerDropsAreFollowedInOrder() throws {
        let listener = try Listener()
        let server = Background {
            _ = listener.serveOnce(Array("first\nhalf".utf8))
            _ = listener.serveOnce(Array("second\n".utf8))
        }
        defer { server.join() }
        let remote = try RemoteConsole(url: "tcp://127.0.0.1:\(listener.port)")
        var options = FollowOptions(timeoutNanoseconds: 10_000_000_000, remote: remote)
        options.reconnectIntervalNanoseconds = 20_000_000
        let follower = try LogFollower(options: options)
        var events: [String] = []
        let end = follower.run { event in
            switch event {
            case .connected(let device, let dtr, _): events.append("connected \(device.devnode) \(dtr)")
            case .reconnected(_, _, _, let count): events.append("reconnected \(count)")
            case .line(let line, _):
                events.append("line \(line.text)")
                if line.text == "second" { return .stop }
            case .disconnected(_, let reason): events.append("disconnected \(reason)")
            default: break
            }
            return .continue
        }
        #expect(end == .stopped)
        #expect(events == ["connected tcp://127.0.0.1:\(listener.port) unsupported", "line first", "line half",
                           "disconnected disconnected", "reconnected 1", "line second", "disconnected closed"])
    }

    @Test func rfc2217OpensWithItsNegotiation() throws {
        let listener = try Listener()
        let sent = Locked<[UInt8]>([])
        // DO COM-PORT-OPTION, the answer to SET-BAUDRATE (101, 115200), then a line.
        let server = Background {
            let got = listener.serveOnce([255, 253, 44] + Self.baudAnswer + Array("up\n".utf8), readFirst: 15)
            sent.withLock { $0 = got }
        }
        defer { server.join() }
        let follower = try LogFollower(options: FollowOptions(reconnect: false, timeoutNanoseconds: 10_000_000_000,
                                                              remote: try RemoteConsole(url: "rfc2217://127.0.0.1:\(listener.port)")))
        var lines: [String] = []
        let end = follower.run { event in
            if case .line(let line, _) = event { lines.append(line.text) }
            return .continue
        }
        #expect(lines == ["up"])
        #expect(end == .disconnected(SerialDevice(devnode: "rfc2217://127.0.0.1:\(listener.port)")))
        server.join()   // the server stores what it read after it closes: wait for it before looking
        var expected = RFC2217Session()
        #expect(sent.current == expected.start())
    }

    /// COM-PORT-OPTION's answer to SET-BAUDRATE 115200.
    static let baudAnswer: [UInt8] = [255, 250, 44, 101, 0, 1, 194, 0, 255, 240]
    /// What ser2net 4 sends when it cannot open the device, before it closes the connection.
    static let ser2netOpenFailure: [UInt8] = [255, 251, 3, 255, 253, 3, 255, 251, 1, 255, 254, 1, 255, 253, 0, 255, 251, 0, 255, 253, 44]
        + Array("Device open failure: Value or file not found\r\n".utf8)

    @Test func aServerThatClosesBeforeItsConsoleOpensIsNoConnection() throws {
        // ser2net while the board is away from its host: the follower neither announces a connection
        // nor shows the server's words as the board's output; it tries again and finds the console.
        let listener = try Listener()
        let server = Background {
            _ = listener.serveOnce(Self.ser2netOpenFailure)
            _ = listener.serveOnce([255, 253, 44] + Self.baudAnswer + Array("up\n".utf8))
        }
        defer { server.join() }
        let url = "rfc2217://127.0.0.1:\(listener.port)"
        var options = FollowOptions(timeoutNanoseconds: 10_000_000_000, remote: try RemoteConsole(url: url))
        options.reconnectIntervalNanoseconds = 20_000_000
        let follower = try LogFollower(options: options)
        var events: [String] = []
        let end = follower.run { event in
            switch event {
            case .connected: events.append("connected")
            case .reconnected: events.append("reconnected")
            case .openFailed(_, let error, _): events.append("open failed: \(error)")
            case .line(let line, _):
                events.append("line \(line.text)")
                return .stop
            case .disconnected(_, let reason): events.append("disconnected \(reason)")
            default: break
            }
            return .continue
        }
        #expect(end == .stopped)
        let refused = SerialError.consoleUnavailable(path: url, message: "Device open failure: Value or file not found")
        #expect(events == ["open failed: \(refused)", "connected", "line up", "disconnected closed"])
    }

    @Test func dataBeforeTheServersAnswerIsKeptForTheFirstRead() throws {
        let listener = try Listener()
        let server = Background { _ = listener.serveOnce([255, 253, 44] + Array("early\n".utf8) + Self.baudAnswer + Array("late\n".utf8)) }
        defer { server.join() }
        let port = try NetworkConsolePort.connect(try RemoteConsole(url: "rfc2217://127.0.0.1:\(listener.port)"),
                                                  settings: ComPortSettings(baud: 115_200))
        defer { port.close() }
        #expect(port.hasBufferedInput)
        var buffer = [UInt8](repeating: 0, count: 64)
        var got: [UInt8] = []
        while got.count < 11 {
            var pfd = pollfd(fd: port.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
            if !port.hasBufferedInput { #expect(poll(&pfd, 1, 10_000) == 1); if pfd.revents == 0 { break } }
            let n = try port.read(into: &buffer, at: 0)
            got += buffer[0..<n]
        }
        #expect(String(decoding: got, as: UTF8.self) == "early\nlate\n")
    }

    @Test func noServerWithoutReconnectIsConnectionRefused() throws {
        let port = try Listener().port   // closed at once: nothing listens there now
        let follower = try LogFollower(options: FollowOptions(reconnect: false, timeoutNanoseconds: 5_000_000_000,
                                                              remote: try RemoteConsole(url: "tcp://127.0.0.1:\(port)")))
        let end = follower.run { _ in .continue }
        #expect(end == .failed(.openFailed(path: "tcp://127.0.0.1:\(port)", errno: .connectionRefused)))
    }

    @Test func aPeerThatNeverAnswersFailsTheConnectAfterTheConnectTimeout() throws {
        let listener = try Listener(backlog: 0)
        let fillers = listener.fillAcceptQueue()
        defer { fillers.forEach { Glibc.close($0) } }
        let url = "rfc2217://127.0.0.1:\(listener.port)"
        // The whole follow may take an hour; each connection attempt only its connect timeout.
        var options = FollowOptions(reconnect: false, timeoutNanoseconds: 3_600_000_000_000, remote: try RemoteConsole(url: url))
        options.connectTimeoutNanoseconds = 100_000_000
        let follower = try LogFollower(options: options)
        var failures: [String] = []
        let end = follower.run { event in
            if case .openFailed(_, let error, let willRetry) = event { failures.append("\(error) \(willRetry)") }
            return .continue
        }
        #expect(end == .failed(.openFailed(path: url, errno: .timedOut)))
        #expect(failures.last == "\(SerialError.openFailed(path: url, errno: .timedOut)) false")
    }

    @Test(.timeLimit(.minutes(1)))
    func theFollowersDeadlineCapsAConnectToAPeerThatNeverAnswers() throws {
        let listener = try Listener(backlog: 0)
        let fillers = listener.fillAcceptQueue()
        defer { fillers.forEach { Glibc.close($0) } }
        // A connect timeout of an hour: only the follower's own timeout can end the attempt.
        var options = FollowOptions(reconnect: true, timeoutNanoseconds: 300_000_000,
                                    remote: try RemoteConsole(url: "tcp://127.0.0.1:\(listener.port)"))
        options.connectTimeoutNanoseconds = 3_600_000_000_000
        let follower = try LogFollower(options: options)
        var connected = false
        let end = follower.run { event in
            if case .connected = event { connected = true }
            return .continue
        }
        #expect(end == .timedOut)
        #expect(!connected)
    }
}
