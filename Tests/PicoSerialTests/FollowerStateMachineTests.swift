import Testing
@testable import PicoSerial

@Suite struct FollowerStateMachineTests {
    typealias Action = FollowerStateMachine.Action
    let board = picoTTY()
    let other = picoTTY("/dev/ttyACM1", serial: "AAAAAAAAAAAAAAAA", port: "1-3")
    let t0 = Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 0)

    func add(_ device: SerialDevice, at: Int64 = 1_000) -> HotplugEvent { HotplugEvent(action: .add, device: device, receivedAt: at) }
    func remove(_ device: SerialDevice) -> HotplugEvent { HotplugEvent(action: .remove, device: device, receivedAt: 0) }

    @Test func presentBoardIsOpenedAtOnce() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: true)
        #expect(machine.start(present: [other, board], at: 0) == [.emit(.matched(board)), .open(board)])
        #expect(machine.opened(board, dtr: .asserted, at: 5) == [.emit(.connected(board, dtr: .asserted, latencyNanoseconds: nil))])
        #expect(machine.connectedDevice == board)
    }

    @Test func absentBoardIsWaitedForAndLatencyMeasuredFromItsAppearance() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: true)
        #expect(machine.start(present: [other], at: 0) == [.emit(.waiting(BoardIdentity(serial: board.serial)))])
        #expect(machine.hotplug(add(other)).isEmpty)
        #expect(machine.hotplug(add(board, at: 1_000)) == [.emit(.matched(board)), .open(board)])
        #expect(machine.opened(board, dtr: .asserted, at: 1_750) == [.emit(.connected(board, dtr: .asserted, latencyNanoseconds: 750))])
    }

    @Test func severalBoardsWithoutSelectionIsAmbiguous() {
        var machine = FollowerStateMachine(identity: BoardIdentity(), reconnect: true)
        #expect(machine.start(present: [board, other], at: 0) == [.finish(.ambiguous([board, other]))])
        #expect(machine.isFinished)
    }

    @Test func unspecificSelectionIsPinnedSoOnlyThatBoardIsFollowedBack() {
        var machine = FollowerStateMachine(identity: BoardIdentity(), reconnect: true)
        _ = machine.start(present: [board], at: 0)
        _ = machine.opened(board, dtr: .asserted, at: 1)
        _ = machine.hotplug(remove(board))
        #expect(machine.identity == BoardIdentity(serial: board.serial))
        #expect(machine.hotplug(add(other)).isEmpty, "another Pico must not be picked up")
        #expect(machine.hotplug(add(board)) == [.emit(.matched(board)), .open(board)])
    }

    @Test func removalDisconnectsFlushesThePartialLineAndWaits() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: true)
        _ = machine.start(present: [board], at: 0)
        _ = machine.opened(board, dtr: .asserted, at: 1)
        let events = machine.received(Array("done\npart".utf8), at: t0)
        #expect(events == [.data(Array("done\npart".utf8), t0), .line(Line(bytes: Array("done".utf8), terminator: .lf), t0)])
        #expect(machine.hotplug(remove(board)) == [
            .close,
            .emit(.line(Line(bytes: Array("part".utf8), terminator: .flushed), t0)),
            .emit(.disconnected(board, reason: "removed")),
            .emit(.waiting(BoardIdentity(serial: board.serial))),
        ])
        #expect(machine.received([0x41], at: t0).isEmpty, "no bytes while disconnected")
    }

    @Test func reconnectionsAreCounted() {
        var machine = FollowerStateMachine(identity: BoardIdentity(portPath: "1-2"), reconnect: true)
        _ = machine.start(present: [board], at: 0)
        _ = machine.opened(board, dtr: .asserted, at: 1)
        for count in 1...3 {
            _ = machine.ioFailed(.ioFailed(path: board.devnode, call: "read", errno: .ioError))
            _ = machine.hotplug(add(board, at: 100))
            #expect(machine.opened(board, dtr: .unsupported, at: 130)
                    == [.emit(.reconnected(board, dtr: .unsupported, latencyNanoseconds: 30, count: count))])
        }
        #expect(machine.connections == 4)
    }

    @Test func withoutReconnectAnAbsentTTYPathFailsAtOnce() {
        var machine = FollowerStateMachine(identity: BoardIdentity(devnode: "/dev/ttyACM9"), reconnect: false)
        #expect(machine.start(present: [board], at: 0)
                == [.finish(.failed(.openFailed(path: "/dev/ttyACM9", errno: .noSuchFileOrDirectory)))])
        #expect(machine.isFinished)
        var waiting = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: false)
        #expect(waiting.start(present: [], at: 0) == [.emit(.waiting(BoardIdentity(serial: board.serial)))],
                "a board named by serial or port may still be on its way (flash --monitor)")
    }

    @Test func withoutReconnectARemovalEndsTheFollow() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: false)
        _ = machine.start(present: [board], at: 0)
        _ = machine.opened(board, dtr: .asserted, at: 1)
        let actions = machine.ioFailed(.ioFailed(path: board.devnode, call: "read", errno: .ioError))
        #expect(actions == [.close, .emit(.disconnected(board, reason: "disconnected")), .finish(.disconnected(board))])
        #expect(machine.hotplug(add(board)).isEmpty)
    }

    @Test func reEnumerationOnAnotherNodeMovesThere() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: true)
        _ = machine.start(present: [board], at: 0)
        _ = machine.opened(board, dtr: .asserted, at: 1)
        let moved = picoTTY("/dev/ttyACM3")
        let actions = machine.hotplug(add(moved))
        #expect(actions.first == .close)
        #expect(actions.suffix(2) == [.emit(.matched(moved)), .open(moved)])
    }

    @Test func permissionRaceIsRetriedThenGivenUp() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: true)
        machine.maxOpenAttempts = 2
        _ = machine.start(present: [], at: 0)
        _ = machine.hotplug(add(board))
        let denied = SerialError.openFailed(path: board.devnode, errno: .permissionDenied)
        #expect(machine.openFailed(board, error: denied) == [
            .emit(.openFailed(board, denied, willRetry: true)), .retryOpen(board, afterNanoseconds: 20_000_000)])
        #expect(machine.openFailed(board, error: denied) == [
            .emit(.openFailed(board, denied, willRetry: false)), .emit(.waiting(BoardIdentity(serial: board.serial)))])
        #expect(!machine.isFinished)
    }

    @Test func stopClosesAnOpenPortOnce() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: true)
        _ = machine.start(present: [board], at: 0)
        _ = machine.opened(board, dtr: .asserted, at: 1)
        #expect(machine.stop() == [.close, .emit(.disconnected(board, reason: "closed")), .finish(.stopped)])
        #expect(machine.timedOut().isEmpty)
    }

    @Test func staleOpenIsClosed() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: true)
        _ = machine.start(present: [board], at: 0)
        _ = machine.hotplug(remove(board))
        #expect(machine.opened(board, dtr: .asserted, at: 2) == [.close])
    }

    @Test func lineTimestampIsItsFirstByte() {
        var machine = FollowerStateMachine(identity: BoardIdentity(serial: board.serial), reconnect: true)
        _ = machine.start(present: [board], at: 0)
        _ = machine.opened(board, dtr: .asserted, at: 1)
        let first = Timestamp(wallNanoseconds: 10, monotonicNanoseconds: 10)
        let second = Timestamp(wallNanoseconds: 20, monotonicNanoseconds: 20)
        _ = machine.received(Array("hel".utf8), at: first)
        let events = machine.received(Array("lo\r\nx\n".utf8), at: second)
        #expect(events.dropFirst() == [.line(Line(bytes: Array("hello".utf8), terminator: .cr), first),
                                       .line(Line(bytes: [0x78], terminator: .lf), second)])
    }
}
