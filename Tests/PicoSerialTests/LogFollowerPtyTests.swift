#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import PicoSerial

/// The real follower loop (poll, termios, udev monitor) on a real pty standing in for a board's tty.
@Suite struct LogFollowerPtyTests {
    func follower(_ pty: PseudoTerminal, reconnect: Bool = false, timeoutMs: Int64? = 5000) throws -> LogFollower {
        try LogFollower(options: FollowOptions(identity: BoardIdentity(devnode: pty.slavePath), reconnect: reconnect,
                                               timeoutNanoseconds: timeoutMs.map { $0 * 1_000_000 }))
    }

    @Test func linesPrintedAfterConnectArriveInOrder() throws {
        let pty = try PseudoTerminal()
        let follower = try follower(pty)
        var lines: [String] = []
        var data: [UInt8] = []
        var connected: [FollowEvent] = []
        let end = follower.run { event in
            switch event {
            case .connected:
                connected.append(event)
                try? pty.print("boot\r\nclock 125 MHz\r\npart")
                try? pty.print("ial\r\nPASS\r\n")
            case .line(let line, _):
                lines.append(line.text)
                if line.text == "PASS" { return .stop }
            case .data(let bytes, _):
                data += bytes
            default: break
            }
            return .continue
        }
        #expect(end == .stopped)
        #expect(lines == ["boot", "clock 125 MHz", "partial", "PASS"])
        #expect(data == Array("boot\r\nclock 125 MHz\r\npartial\r\nPASS\r\n".utf8))
        #expect(connected == [.connected(SerialDevice(devnode: pty.slavePath), dtr: .unsupported, latencyNanoseconds: nil)])
    }

    @Test func afterChunkRunsOnceAfterTheEventsOfEachChunk() throws {
        let pty = try PseudoTerminal()
        let follower = try follower(pty)
        var seen: [String] = []
        let end = follower.run({ event in
            switch event {
            case .connected: try? pty.print("one\r\ntwo\r\nthr")
            case .data: seen.append("data")
            case .line(let line, _):
                seen.append(line.text)
                if line.text == "three" { return .stop }
            default: break
            }
            return .continue
        }, afterChunk: {
            seen.append("end of chunk")
            if seen.filter({ $0 == "end of chunk" }).count == 1 { try? pty.print("ee\r\n") }
        })
        #expect(end == .stopped)
        // A chunk cut short by the handler's stop has no end: its consumer finishes instead.
        #expect(seen == ["data", "one", "two", "end of chunk", "data", "three"])
    }

    @Test func hangUpWithoutReconnectEndsDisconnectedAndFlushesThePartialLine() throws {
        let pty = try PseudoTerminal()
        let follower = try follower(pty)
        var events: [String] = []
        let end = follower.run { event in
            switch event {
            case .connected:
                try? pty.print("last words")
            case .data:
                pty.close()   // hang up once the bytes were read (a hang-up discards unread ones)
            case .line(let line, _): events.append("line \(line.text) \(line.terminator)")
            case .disconnected(_, let reason): events.append("disconnected \(reason)")
            default: break
            }
            return .continue
        }
        #expect(end == .disconnected(SerialDevice(devnode: pty.slavePath)))
        #expect(events == ["line last words flushed", "disconnected disconnected"])
    }

    @Test func timeoutEndsTheFollowOnTime() throws {
        let pty = try PseudoTerminal()
        let follower = try follower(pty, timeoutMs: 300)
        let start = Timestamp.monotonicNow()
        let end = follower.run { _ in .continue }
        let elapsedMs = (Timestamp.monotonicNow() - start) / 1_000_000
        #expect(end == .timedOut)
        #expect(elapsedMs >= 300, "ended after \(elapsedMs) ms, before its timeout")
    }

    @Test func missingNodeIsWaitedForUntilTimeout() throws {
        let follower = try LogFollower(options: FollowOptions(identity: BoardIdentity(devnode: "/dev/ttyACM-absent"),
                                                              timeoutNanoseconds: 200_000_000))
        var waited = false
        let end = follower.run { event in
            if case .waiting = event { waited = true }
            return .continue
        }
        #expect(waited)
        #expect(end == .timedOut)
    }

    @Test func sentBytesReachTheBoard() throws {
        let pty = try PseudoTerminal()
        let follower = try follower(pty)
        let board = Background {
            // The board answers "pong" to "ping\r".
            var heard: [UInt8] = []
            while !heard.starts(with: Array("ping\r".utf8)) {
                guard let chunk = try? pty.read(), !chunk.isEmpty else { return }
                heard += chunk
            }
            try? pty.print("pong\n")
        }
        let end = follower.run { event in
            if case .connected = event { follower.send(Array("ping\r".utf8)) }
            if case .line(let line, _) = event, line.text == "pong" { return .stop }
            return .continue
        }
        board.join()
        #expect(end == .stopped)
    }

    @Test func stopFromAnotherThreadEndsTheRun() throws {
        let pty = try PseudoTerminal()
        let follower = try follower(pty, timeoutMs: 10_000)
        let stopper = Background {
            usleep(100_000)
            follower.stop()
        }
        let start = Timestamp.monotonicNow()
        let end = follower.run { _ in .continue }
        stopper.join()
        #expect(end == .stopped)
        #expect(Timestamp.monotonicNow() - start < 5_000_000_000)
    }

    @Test func aBoardThatDoesNotReadCannotStallTheFollower() throws {
        // 1 MB for a board that never reads its input: the port's queue fills, and the follower
        // must go on reading what the board prints instead of waiting to write.
        let pty = try PseudoTerminal()
        let follower = try follower(pty, timeoutMs: 10_000)
        let board = Locked<Background?>(nil)
        var lines = 0
        let end = follower.run { event in
            switch event {
            case .connected:
                follower.send([UInt8](repeating: 0x78, count: 1_000_000))
                board.withLock { $0 = Background { for i in 0..<200 { try? pty.print("alive \(i)\r\n"); usleep(1000) } } }
            case .line(let line, _):
                lines += 1
                if line.text == "alive 199" { return .stop }
            default:
                break
            }
            return .continue
        }
        board.current?.join()
        #expect(end == .stopped, "the follower kept reading while its writes were pending")
        #expect(lines == 200)
    }
}
