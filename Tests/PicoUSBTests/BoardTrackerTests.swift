import Testing
import UF2
@testable import PicoUSB

/// Hotplug events become board changes: a mode change of the same board is one change.
@Suite struct BoardTrackerTests {
    static let t0 = ContinuousClock.now

    @Test func rp2040AppToBootselAtTheSamePortIsOneChange() {
        var tracker = BoardTracker(grace: .seconds(2))
        let app = Fixtures.rp2040App(serial: "E6605481DB484636", port: "1-3.2")
        let bootsel = Fixtures.rp2040Bootsel(port: "1-3.2", address: 9)
        #expect(tracker.handle(.present(app), at: Self.t0) == [.present(app)])
        #expect(tracker.handle(.left(app), at: Self.t0 + .milliseconds(10)).isEmpty)
        #expect(tracker.handle(.arrived(bootsel), at: Self.t0 + .milliseconds(600)) == [.changed(from: app, to: bootsel)])
        // The RP2040 in BOOTSEL shares its serial with every RP2040; its unique id is the one its app showed.
        #expect(tracker.uniqueID(of: bootsel) == "E6605481DB484636")
        #expect(tracker.expire(at: Self.t0 + .seconds(10)).isEmpty)
    }

    @Test func rp2350IsFollowedByChipIDEvenOnAnotherPort() {
        var tracker = BoardTracker(grace: .seconds(2))
        let bootsel = Fixtures.rp2350Bootsel(serial: "A1B2C3D4E5F60718", port: "1-4")
        let app = PicoDevice(classifying: Fixtures.device(0x2e8a, 0x0009, Fixtures.cdc + [Fixtures.reset],
                                                          serial: "A1B2C3D4E5F60718", port: "1-5"))!
        _ = tracker.handle(.present(bootsel), at: Self.t0)
        _ = tracker.handle(.left(bootsel), at: Self.t0)
        #expect(tracker.handle(.arrived(app), at: Self.t0 + .seconds(1)) == [.changed(from: bootsel, to: app)])
    }

    @Test func aBoardNotBackInTimeLeftAndAnotherArrived() {
        var tracker = BoardTracker(grace: .seconds(2))
        let first = Fixtures.rp2040App(serial: "E6605481DB484636", port: "1-3")
        let second = Fixtures.rp2040App(serial: "E6605481DB480000", port: "1-4")
        _ = tracker.handle(.present(first), at: Self.t0)
        #expect(tracker.handle(.left(first), at: Self.t0).isEmpty)
        // A different board arriving meanwhile is an arrival; the held departure stays held.
        #expect(tracker.handle(.arrived(second), at: Self.t0 + .seconds(1)) == [.arrived(second)])
        #expect(tracker.expire(at: Self.t0 + .milliseconds(1900)).isEmpty)
        #expect(tracker.expire(at: Self.t0 + .seconds(2)) == [.left(first)])
        // Back after the grace time: a plain arrival.
        #expect(tracker.handle(.arrived(first), at: Self.t0 + .seconds(5)) == [.arrived(first)])
    }

    @Test func anotherChipAtTheSamePortIsNotTheSameBoard() {
        var tracker = BoardTracker(grace: .seconds(2))
        let rp2040 = Fixtures.rp2040Bootsel(port: "1-3")
        let rp2350 = Fixtures.rp2350Bootsel(port: "1-3")
        _ = tracker.handle(.left(rp2040), at: Self.t0)
        #expect(tracker.handle(.arrived(rp2350), at: Self.t0 + .milliseconds(100)) == [.arrived(rp2350)])
        #expect(tracker.flush() == [.left(rp2040)])
        #expect(tracker.flush().isEmpty)
    }
}
