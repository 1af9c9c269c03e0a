import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import PicoSerial

/// The real libudev and termios code against boards emulated by the shared harness through umockdev.
///
/// The code under test must run under umockdev's preload, which has to be in place when a process
/// starts; so this test starts a harness, then runs this very test binary again under the preload,
/// limited to `InsideUmockdevTests`, and expects it to pass.
@Suite struct LibUDevEmulatedTests {
    @Test(.enabled(if: Emulation.available && !Emulation.inside, "needs Scripts/setup.sh (the .venv with the harness)"))
    func realLibudevAgainstEmulatedBoards() throws {
        let harness = try HarnessProcess(boards: [["kind": "sim-rp2040", "mode": "app", "heartbeat": 0],
                                                  ["kind": "sim-rp2350", "mode": "app", "heartbeat": 0]])
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--testing-library", "swift-testing", "--filter", "InsideUmockdevTests"]
        var environment = harness.environment
        environment[Emulation.insideVariable] = "1"
        environment["NO_COLOR"] = "1"
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(child.terminationStatus == 0, "\(text)")
        #expect(text.contains("4 tests"), "all four inside tests ran: \(text)")
    }
}

/// Runs only inside the preloaded child started by `LibUDevEmulatedTests`.
@Suite(.serialized, .enabled(if: Emulation.inside)) struct InsideUmockdevTests {
    let control: HarnessControl

    init() throws { control = try HarnessControl.fromEnvironment() }

    @Test func enumerationCarriesThePropertiesOfAPicoTTY() throws {
        let board = try control.board(0), second = try control.board(1)
        let devices = try UDev().serialDevices()
        let found = try #require(devices.first { $0.devnode == board["tty"] as? String })
        #expect(found.vendorID == 0x2E8A)
        #expect(found.productID == 0x000A)
        #expect(found.serial == board["serial"] as? String)
        #expect(found.interfaceNumber == 0)
        #expect(found.portPath == board["port"] as? String)
        #expect(found.devpath.hasSuffix("/tty/\(found.devnode.split(separator: "/").last!)"))
        let rp2350 = try #require(devices.first { $0.devnode == second["tty"] as? String })
        #expect(rp2350.productID == 0x0009)
        #expect(devices.filter(BoardIdentity().matches).count == 2)
    }

    @Test func hotplugMonitorReportsRemoveAndAddWithProperties() throws {
        let monitor = try HotplugMonitor(udev: UDev())
        let before = try control.board(0)
        try control.send(["cmd": "unplug", "board": 0])
        let removed = try #require(waitForEvent(monitor, .remove))
        #expect(removed.device.devnode == before["tty"] as? String)
        #expect(removed.device.serial == before["serial"] as? String, "a remove event carries the properties")
        try control.send(["cmd": "plug", "board": 0])
        let added = try #require(waitForEvent(monitor, .add))
        #expect(added.device.serial == before["serial"] as? String)
        #expect(added.device.portPath == before["port"] as? String, "same port path after re-enumeration")
        #expect(added.receivedAt <= Timestamp.monotonicNow())
    }

    @Test func followerRaisesDTRAndFollowsTheBoardAcrossReplugs() throws {
        let board = try control.board(1)
        let serial = try #require(board["serial"] as? String)
        let follower = try LogFollower(options: FollowOptions(identity: BoardIdentity(serial: serial),
                                                              timeoutNanoseconds: 60_000_000_000))
        let replugger = Locked<[Background]>([])
        var connections: [(DTRState, Int64?)] = []
        var banners: [String] = []
        let end = follower.run { event in
            switch event {
            case .connected(_, let dtr, let latency), .reconnected(_, let dtr, let latency, _):
                connections.append((dtr, latency))
            case .line(let line, _) where line.text.hasPrefix("picoctl-sim app"):
                banners.append(line.text)
                if banners.count == 4 { return .stop }
                // Unplug and replug from another thread: the loop must keep reading events meanwhile.
                replugger.withLock { $0.append(Background { [control] in
                    _ = try? control.send(["cmd": "unplug", "board": 1])
                    _ = try? control.send(["cmd": "plug", "board": 1])
                }) }
            default:
                break
            }
            return .continue
        }
        replugger.current.forEach { $0.join() }
        #expect(end == .stopped)
        #expect(banners.map { $0.hasSuffix("boot \(banners.firstIndex(of: $0)! + 1)") } == [true, true, true, true],
                "one banner per appearance, in order: \(banners)")
        #expect(connections.count == 4)
        #expect(connections.allSatisfy { $0.0 == .asserted }, "TIOCMBIS reached the emulated CDC driver")
        #expect(connections.dropFirst().allSatisfy { ($0.1 ?? .max) < 1_000_000_000 }, "DTR within a second of the tty appearing")
    }

    @Test func openFailsCleanlyWhenTheNodeIsGone() throws {
        #expect(throws: SerialError.self) { try SerialPort.open("/dev/ttyACM999") }
    }

    private func waitForEvent(_ monitor: HotplugMonitor, _ action: HotplugAction) -> HotplugEvent? {
        let deadline = Timestamp.monotonicNow() + 5_000_000_000
        while Timestamp.monotonicNow() < deadline {
            var pfd = pollfd(fd: monitor.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, 200)
            if let event = monitor.drain().first(where: { $0.action == action }) { return event }
        }
        return nil
    }
}
