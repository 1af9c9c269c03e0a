import Testing
import PicoBoot
@testable import PicoFlash
import PicoSim
import UF2

/// The device error inside a flash error, if any.
func deviceError(_ error: any Error) -> PicobootError? {
    if case .device(let inner) = error as? FlashError { return inner }
    return nil
}

/// Executor runs against a simulated board that misbehaves on purpose.
/// Command numbers for a 4 KiB flash over an old image, with the flash size given (no size probe):
/// 1 EXCLUSIVE_ACCESS, 2 EXIT_XIP, 3 READ (check), 4 FLASH_ERASE, 5 WRITE, 6 READ (verify), 7 REBOOT.
@Suite struct FaultTests {
    let base: UInt32 = 0x1000_0000

    func rigWithOldImage(checksTokens: Bool = false) -> Rig {
        let rig = Rig(checksTokens: checksTokens)
        rig.executor.flashSizeOverride = rig.board.flashSize
        rig.board.preload(flashAt: base, pattern(4096, seed: 1))
        return rig
    }

    var newImage: MemoryImage { image(base, pattern(4096, seed: 2)) }

    @Test func stallOnEraseIsReportedWithStatusAndTheBoardIsReleased() throws {
        let rig = rigWithOldImage()
        rig.board.inject(.stall(atCommand: 4, status: .notPermitted))
        let error = try #require(throws: FlashError.self) { try rig.executor.flash(newImage) }
        let inner = try #require(deviceError(error))
        #expect(inner.reason == .rejected(.notPermitted))
        #expect(inner.command == .flashErase)
        #expect(inner.address == base)
        #expect(inner.status?.status == .notPermitted)
        #expect(error.description.contains("NOT_PERMITTED"))
        #expect(rig.board.exclusiveAccess == .shared)
        #expect(rig.board.events.suffix(3).contains(.interfaceReset))
        // The board works again afterwards.
        try rig.executor.flash(newImage)
        #expect(rig.flashBytes(base, 4096) == pattern(4096, seed: 2))
    }

    @Test func timeoutIsRecoveredByInterfaceReset() throws {
        let rig = rigWithOldImage()
        rig.board.inject(.timeout(atCommand: 5))
        let error = try #require(throws: FlashError.self) { try rig.executor.flash(newImage) }
        let inner = try #require(deviceError(error))
        #expect(inner.reason == .transport(.timeout))
        #expect(inner.command == .write)
        #expect(inner.status?.inProgress == true)
        #expect(inner.fix != nil)
        try rig.executor.flash(newImage)
        #expect(rig.flashBytes(base, 4096) == pattern(4096, seed: 2))
    }

    @Test func disconnectMidFlash() throws {
        let rig = rigWithOldImage()
        rig.board.inject(.disconnect(atCommand: 5))
        let error = try #require(throws: FlashError.self) { try rig.executor.flash(newImage) }
        let inner = try #require(deviceError(error))
        #expect(inner.isDisconnect)
        #expect(inner.command == .write)
        #expect(rig.board.mode == .unplugged)
    }

    @Test func corruptedVerifyReadFailsWithTheAddress() throws {
        let rig = rigWithOldImage()
        rig.board.inject(.corruptRead(atCommand: 6, offset: 77))
        let error = try #require(throws: FlashError.self) { try rig.executor.flash(newImage) }
        guard case .verifyFailed(let address, let expected, let actual) = error else { Issue.record("\(error)"); return }
        #expect(address == base + 77)
        #expect(expected == pattern(4096, seed: 2)[77] && actual == expected ^ 0xFF)
        #expect(rig.board.exclusiveAccess == .shared)
    }

    @Test func corruptedCheckReadOnlyCostsARewrite() throws {
        let rig = Rig()
        rig.executor.flashSizeOverride = rig.board.flashSize
        let data = pattern(4096, seed: 2)
        rig.board.preload(flashAt: base, data)
        rig.board.inject(.corruptRead(atCommand: 3, offset: 5))
        var options = FlashOptions()
        options.reboot = false
        let summary = try rig.executor.flash(image(base, data), options: options)
        #expect(summary.plan.sectorsToErase.count == 1)
        #expect(rig.flashBytes(base, 4096) == data)
    }

    @Test func wrongTokenIsCaughtWhenTokensAreChecked() throws {
        let rig = rigWithOldImage(checksTokens: true)
        rig.board.inject(.wrongToken(atCommand: 2))
        let error = try #require(throws: FlashError.self) { try rig.executor.flash(newImage) }
        let inner = try #require(deviceError(error))
        #expect(inner.reason == .tokenMismatch(received: inner.token &+ 0x1000))
        #expect(inner.command == .exitXIP)
        #expect(error.description.contains("token"))
    }

    @Test func stallOnAReadIsReportedInTheDataPhase() throws {
        let rig = rigWithOldImage()
        rig.board.inject(.stall(atCommand: 3, status: .invalidAddress))
        let error = try #require(throws: FlashError.self) { try rig.executor.flash(newImage) }
        let inner = try #require(deviceError(error))
        #expect(inner.reason == .rejected(.invalidAddress) && inner.command == .read && inner.phase == .data)
        #expect(inner.address == base)
    }

    @Test func aBoardLeftStalledByAnEarlierProgramIsRecoveredOnStart() throws {
        let rig = rigWithOldImage()
        // Garbage instead of a command block: the board halts both endpoints and stays so.
        try rig.board.bulkOut([1, 2, 3], timeout: .seconds(1))
        #expect(throws: USBTransportError.stall) { _ = try rig.board.bulkIn(length: 0, timeout: .seconds(1)) }
        try rig.executor.flash(newImage)
        #expect(rig.flashBytes(base, 4096) == pattern(4096, seed: 2))
    }

    @Test func eraseRangesAreCheckedBeforeABoardThatIgnoresFailuresSeesThem() throws {
        let rig = rigWithOldImage()
        rig.board.silentTaskFailures = true
        #expect(throws: FlashError.invalidRange(AddressRange(start: base + 256, end: UInt64(base) + 4352),
                                                reason: "start and length must be multiples of 4096")) {
            try rig.executor.erase(AddressRange(start: base + 256, end: UInt64(base) + 4352))
        }
        #expect(rig.board.statistics.commands == 0)
        // A flash over such a board still ends verified.
        try rig.executor.flash(newImage)
        #expect(rig.flashBytes(base, 4096) == pattern(4096, seed: 2))
    }

    @Test func rp2350RefusesRP2040OnlyCommands() throws {
        let rig = Rig(chip: .rp2350)
        let connection = rig.executor.connection
        let error = try #require(throws: PicobootError.self) { try connection.execute(Reboot()) }
        #expect(error.reason == .rejected(.unknownCommand))
        #expect(error.fix?.contains("REBOOT2") == true)
        #expect(throws: PicobootError.self) { try connection.exec(address: 0x2000_0001) }
        // And the interface still works.
        #expect(try connection.read(address: base, count: 4) == [0xFF, 0xFF, 0xFF, 0xFF])
    }
}
