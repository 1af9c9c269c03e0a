import Foundation
import PicoBoot
import Testing
@testable import PicoUSB

/// The library itself (not the binary) against emulated boards: this test bundle runs itself again
/// under umockdev's preload, filtered to `InsideEmulatedBus`, with a harness serving the boards.
@Suite(.enabled(if: EmulatedBoards.isAvailable, "needs the harness and .venv (Scripts/setup.sh)"))
struct InProcessLibUSBTests {
    @Test func libraryTestsPassInsideTheEmulatedBus() throws {
        let boards = try EmulatedBoards([["kind": "sim-rp2040", "mode": "bootsel"], ["kind": "sim-rp2350", "mode": "app"]])
        defer { boards.close() }
        let status = try boards.status()
        var environment = boards.environment
        environment[InsideEmulatedBus.marker] = String(decoding: try JSONSerialization.data(withJSONObject: status), as: UTF8.self)
        let bundle = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let result = try EmulatedBoards.run(bundle, ["--testing-library", "swift-testing", "--filter", "InsideEmulatedBus"],
                                            environment: environment, timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout.suffix(3000))\(result.stderr.suffix(2000))")
        // Swift Testing reports on stderr.
        #expect(result.stderr.contains("Test run with \(InsideEmulatedBus.testCount) tests"), "\(result.stderr.suffix(2000))")
        #expect(result.stderr.contains("passed after"))
    }
}

/// The environment variable that carries the harness's board list into the child run.
let emulatedBusMarker = "PICOCTL_EMULATED_BUS_STATUS"

/// Runs only in the child started above: the process is preloaded and the boards are on its bus.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment[emulatedBusMarker] != nil))
struct InsideEmulatedBus {
    static let marker = emulatedBusMarker
    static let testCount = 5

    /// The harness's description of each board (mode, serial, port, address, ...).
    let boards: [[String: Any]] = {
        let json = ProcessInfo.processInfo.environment[marker] ?? "[]"
        return (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]) ?? []
    }()

    func bootselDevice(_ context: USBContext) throws -> USBDevice {
        try #require(try context.devices().first { (try? $0.deviceDescriptor().idProduct) == 0x0003 })
    }

    @Test func descriptorsPortPathAndInterfacesComeFromLibUSB() throws {
        let context = try USBContext()
        let device = try bootselDevice(context)
        #expect(device.portPath.description == boards[0]["port"] as? String)
        #expect(Int(device.address) == boards[0]["address"] as? Int)
        let description = try device.describe()
        #expect(description.serialNumber == boards[0]["serial"] as? String)
        #expect(description.product == "RP2 Boot")
        let picoboot = try #require(description.interface(.picoboot))
        #expect(picoboot.bulkOut?.address == 0x03 && picoboot.bulkIn?.address == 0x84)
        let pico = try #require(PicoDevice(classifying: description))
        #expect(pico.mode == .bootsel && pico.chip?.name == "rp2040")
        let app = try #require(try context.picoDevices().first { $0.mode == .app })
        #expect(app.identity == .uniqueID((boards[1]["unique_id"] as? String ?? "").uppercased()))
        #expect(app.ttyPath == boards[1]["tty"] as? String)
    }

    @Test func handleKeepsDeviceAndDeviceKeepsContextAlive() throws {
        weak var weakContext: USBContext?
        weak var weakDevice: USBDevice?
        var handle: USBDeviceHandle?
        do {
            let context = try USBContext()
            weakContext = context
            let device = try bootselDevice(context)
            weakDevice = device
            handle = try device.open()
        }
        #expect(weakDevice != nil && weakContext != nil, "the handle holds both")
        #expect(try handle?.asciiString(index: 2) == "RP2 Boot", "still usable after its owners went out of scope")
        handle?.close()
        #expect(handle?.isOpen == false)
        handle = nil
        #expect(weakDevice == nil && weakContext == nil, "closing the last handle lets the device, then the context, go")
    }

    @Test func picobootTransportReadsFlashAndSecondClaimIsBusy() throws {
        let context = try USBContext()
        let device = try bootselDevice(context)
        let transport = try PicobootUSBTransport(device: device)
        #expect(transport.interfaceNumber == 1 && transport.outEndpoint == 0x03 && transport.inEndpoint == 0x84)
        let connection = PicobootConnection(transport: transport)
        try connection.reset()
        let bytes = try connection.read(address: 0x1000_0000, count: 256)
        #expect(bytes.count == 256)

        let busy = #expect(throws: PicoUSBError.self) { try PicobootUSBTransport(device: device) }
        #expect(busy?.code == .busy && busy?.operation == .claimInterface)
        #expect(busy?.fix?.contains("another process") == true)

        transport.close()
        let again = try PicobootUSBTransport(device: device)
        again.close()
    }

    @Test func waitingFindsABoardAlreadyPresent() throws {
        let context = try USBContext()
        let start = ContinuousClock.now
        let found = try context.waitForDevice(timeout: .seconds(5)) { $0.mode == .bootsel }
        #expect(found?.1.chip?.name == "rp2040")
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func resetInterfaceSendsTheAppToBootselAndHotplugFindsItByIdentity() throws {
        let context = try USBContext()
        let (device, app) = try #require(try context.scan().first { $0.board.mode == .app })
        try ResetInterface.rebootToBootsel(device)
        let back = try #require(try context.waitForBoard(app, timeout: .seconds(10)) { $0.mode == .bootsel })
        #expect(back.1.chip?.name == "rp2350")
        #expect(back.1.usb.serialNumber?.uppercased() == app.usb.serialNumber?.uppercased(), "RP2350: the chip id in both modes")
        #expect(back.1.usb.address != app.usb.address, "a new enumeration")
    }
}
