import Testing
import PicoBoot
@testable import PicoSim
import UF2

@Suite struct BootromModelTests {
    let base: UInt32 = 0x1000_0000

    func connect(_ chip: Chip = .rp2040, flashSize: UInt32 = 2 << 20) -> (SimulatedBoard, PicobootConnection) {
        let board = SimulatedBoard(chip: chip, flashSize: flashSize)
        return (board, PicobootConnection(transport: board))
    }

    func rejection(_ body: () throws -> Void) -> PicobootStatus? {
        do { try body() } catch let error as PicobootError {
            if case .rejected(let status) = error.reason { return status }
        } catch {}
        return nil
    }

    @Test func programmingOnlyClearsBits() throws {
        let (board, connection) = connect()
        try connection.write(address: base, bytes: [UInt8](repeating: 0xF0, count: 256))
        try connection.write(address: base, bytes: [UInt8](repeating: 0x3C, count: 256))
        #expect(try connection.read(address: base, count: 4) == [0x30, 0x30, 0x30, 0x30])
        try connection.erase(address: base, size: 4096)
        #expect(try connection.read(address: base, count: 2) == [0xFF, 0xFF])
        #expect(board.statistics.pagePrograms == 2 && board.statistics.sectorErases == 1)
    }

    @Test func alignmentAndAddressRules() {
        let (_, connection) = connect()
        #expect(rejection { try connection.erase(address: base + 256, size: 4096) } == .badAlignment)
        #expect(rejection { try connection.erase(address: base, size: 100) } == .badAlignment)
        #expect(rejection { try connection.write(address: base + 16, bytes: [UInt8](repeating: 0, count: 256)) } == .badAlignment)
        #expect(rejection { try connection.write(address: base, bytes: [1, 2, 3]) } == .badAlignment)
        #expect(rejection { try connection.write(address: 0x3000_0000, bytes: [1]) } == .invalidAddress)
        #expect(rejection { _ = try connection.read(address: 0x4000_0000, count: 4) } == .invalidAddress)
        #expect(rejection { _ = try connection.read(address: base + 4, count: 4) } == .badAlignment)
        #expect(rejection { _ = try connection.read(address: base + 256, count: 5) } == nil)
        #expect(rejection { _ = try connection.read(address: 0x2000_0003, count: 5) } == nil)
        #expect(rejection { try connection.erase(address: 0x2000_0000, size: 4096) } == .invalidAddress)
        // RAM takes any alignment.
        #expect(rejection { try connection.write(address: 0x2000_0003, bytes: [1, 2, 3]) } == nil)
    }

    @Test func malformedCommandsAreRejectedLikeTheBootrom() throws {
        let (board, connection) = connect()
        // Wrong argument count.
        var packet = ExitXIP().packet(token: 50)
        packet.arguments = [1]
        try board.bulkOut(packet.bytes, timeout: .seconds(1))
        #expect(throws: USBTransportError.stall) { _ = try board.bulkIn(length: 0, timeout: .seconds(1)) }
        #expect(try connection.readStatus().status == .invalidCommandLength)
        try connection.reset()
        // Transfer length that does not match the size argument.
        var read = Read(address: base, size: 64).packet(token: 51)
        read.transferLength = 32
        try board.bulkOut(read.bytes, timeout: .seconds(1))
        #expect(try connection.readStatus() == CommandStatus(token: 51, status: .invalidTransferLength, commandID: 0x84, inProgress: false))
        try connection.reset()
        #expect(try connection.readStatus().status == .ok)   // a reset clears the status
    }

    @Test func rp2040QuirkAcknowledgesFailedErases() throws {
        let (board, connection) = connect()
        board.silentTaskFailures = true
        board.preload(flashAt: base, [1, 2, 3, 4])
        // Sent raw: `PicobootConnection.erase` refuses an unaligned range before sending it.
        _ = try connection.execute(FlashErase(address: base + 256, size: 4096))   // no stall, nothing erased
        #expect(try connection.readStatus().status == .ok)
        #expect(board.events.contains(.silentlyIgnored(number: 1, status: .badAlignment)))
        #expect(try connection.read(address: base, count: 4) == [1, 2, 3, 4])
        // Data commands still stall on a bad address.
        #expect(rejection { _ = try connection.read(address: base + 8, count: 4) } == .badAlignment)
    }

    @Test func stallPersistsUntilClearedOrReset() throws {
        let (board, connection) = connect()
        try board.bulkOut(FlashErase(address: base + 1, size: 4096).packet(token: 1).bytes, timeout: .seconds(1))
        #expect(throws: USBTransportError.stall) { _ = try board.bulkIn(length: 0, timeout: .seconds(1)) }
        #expect(throws: USBTransportError.stall) { try board.bulkOut([], timeout: .seconds(1)) }
        try board.clearHalts()
        #expect(try connection.read(address: base, count: 1) == [0xFF])
    }

    @Test func readsAliasPastTheFlashSize() throws {
        let (board, connection) = connect(flashSize: 256 * 1024)
        board.preload(flashAt: base, [1, 2, 3, 4])
        #expect(try connection.read(address: base + 256 * 1024, count: 4) == [1, 2, 3, 4])
        #expect(try connection.read(address: base + 3 * 256 * 1024, count: 4) == [1, 2, 3, 4])
    }

    @Test func chipSpecificCommands() {
        let (_, rp2040) = connect(.rp2040)
        #expect(rejection { try rp2040.execute(Reboot2(.normal)) } == .unknownCommand)
        #expect(rejection { _ = try rp2040.execute(GetInfo(.system)) } == .unknownCommand)
        let (_, rp2350) = connect(.rp2350)
        #expect(rejection { try rp2350.execute(Reboot()) } == .unknownCommand)
        #expect(rejection { try rp2350.exec(address: 0x2000_0001) } == .unknownCommand)
        #expect(rejection { try rp2350.execute(VectorizeFlash(address: 0x2000_0000)) } == .unknownCommand)
    }

    @Test func getInfoAndOTP() throws {
        let (board, connection) = connect(.rp2350)
        let info = try connection.execute(GetInfo(.system, params: (SystemInfo.Items.chipInfo.rawValue, 0, 0), length: 32))
        #expect(info.count == 32)
        #expect(info[0] == 4)   // word 0 counts the flags word and the three chip words
        let decoded = try #require(SystemInfo(answer: info))
        #expect(decoded.items == .chipInfo)
        #expect(decoded.chip?.device == UInt32(truncatingIfNeeded: board.uniqueID))
        #expect(decoded.chip?.wafer == UInt32(truncatingIfNeeded: board.uniqueID >> 32))
        #expect(decoded.cpu == nil)
        #expect(try connection.execute(OTPRead(row: 0, count: 4)).count == 8)
    }

    @Test func exclusiveAccessAndInterfaceReset() throws {
        let (board, connection) = connect()
        try connection.exclusiveAccess(.exclusiveAndEject)
        #expect(board.exclusiveAccess == .exclusiveAndEject)
        try connection.reset()
        #expect(board.exclusiveAccess == .shared)
        try connection.exitXIP()
        #expect(board.xipExited)
        try connection.enterCommandXIP()
        #expect(!board.xipExited)
    }

    @Test func rebootDisconnectsAndComesBack() throws {
        let (board, connection) = connect()
        try connection.execute(Reboot(pc: 0, sp: 0, delayMilliseconds: 100))
        // Blank flash: the bootrom falls back to BOOTSEL.
        #expect(board.events.last == .rebooted(target: .bootsel))
        #expect(board.productID == nil)
        #expect(throws: PicobootError.self) { try connection.exitXIP() }
        board.completeReboot()
        #expect(board.mode == .bootsel && board.productID == 0x0003)
        #expect(board.usbSerial == "E0C912D24340")
        let fresh = PicobootConnection(transport: board)
        try fresh.exitXIP()
    }

    @Test func runningAppGoesToBootselThroughItsResetInterface() throws {
        let board = SimulatedBoard(chip: .rp2350, uniqueID: 0x1122_3344_5566_7788)
        let connection = PicobootConnection(transport: board)
        try connection.write(address: base, bytes: [UInt8](repeating: 0, count: 256))
        try connection.execute(Reboot2(.normal))
        board.completeReboot()
        #expect(board.mode == .application && board.productID == 0x0009)
        #expect(board.usbSerial == "1122334455667788")
        board.resetToBootsel()
        #expect(board.mode == .bootsel)
        #expect(board.usbSerial == "1122334455667788")   // RP2350 keeps its serial across modes
        #expect(board.events.suffix(2) == [.rebooted(target: .bootsel), .attached(.bootsel)])
    }

    @Test func execRunsTheHandler() throws {
        let (board, connection) = connect()
        var called: UInt32?
        board.execHandler = { _, address in called = address; return (.ok, .milliseconds(150)) }
        let before = board.modelledTime
        try connection.exec(address: 0x2000_0001)
        #expect(called == 0x2000_0000)
        #expect(board.modelledTime - before >= .milliseconds(150))
        #expect(rejection { try connection.exec(address: 0x1000_0000) } == .invalidAddress)
    }
}
