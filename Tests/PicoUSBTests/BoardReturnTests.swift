import Testing
import UF2
@testable import PicoUSB

/// After a reboot into the program: has the old enumeration left, and what came back at its port.
@Suite struct BoardReturnTests {
    static let old = Fixtures.rp2040Bootsel(port: "1-3", address: 5)

    @Test func theBoardBackRunningAtItsPortIsRunning() {
        var tracker = BoardReturnTracker(old: Self.old)
        tracker.handle(.present(Self.old))
        tracker.initialScanDone(sawOld: true)
        #expect(!tracker.oldLeft && tracker.outcome == nil)
        tracker.handle(.arrived(Fixtures.rp2040App(port: "1-4")))         // another board: not ours
        #expect(tracker.outcome == nil)
        tracker.handle(.left(Self.old))
        #expect(tracker.oldLeft && tracker.timedOut() == .noUSB)
        let app = Fixtures.rp2040App(port: "1-3")
        tracker.handle(.arrived(app))
        #expect(tracker.outcome == .running(app))
    }

    @Test func aNewBootselEnumerationIsStillBootselAndLeavingIsImplied() {
        var tracker = BoardReturnTracker(old: Self.old)
        tracker.initialScanDone(sawOld: true)
        let again = Fixtures.rp2040Bootsel(port: "1-3", address: 6)
        tracker.handle(.arrived(again))
        #expect(tracker.oldLeft && tracker.outcome == .bootsel(again, left: true))
    }

    @Test func anOldDeviceThatNeverLeftIsStillInBootsel() {
        var tracker = BoardReturnTracker(old: Self.old)
        tracker.handle(.present(Self.old))
        tracker.initialScanDone(sawOld: true)
        #expect(tracker.timedOut() == .bootsel(Self.old, left: false))
        #expect(!tracker.timedOut().leftBootsel)
    }

    @Test func anOldDeviceAlreadyGoneHasLeft() {
        var tracker = BoardReturnTracker(old: Self.old)
        tracker.initialScanDone(sawOld: false)
        #expect(tracker.oldLeft && tracker.timedOut() == .noUSB)
    }
}
