import Testing
import PicoBoot
@testable import PicoFlash
import PicoSim
import UF2

/// `reboot --cpu`: REBOOT2 with the architecture bits of `boot/picoboot_constants.h`.
@Suite struct ArchitectureRebootTests {
    @Test func reboot2CarriesTheArchitectureBit() {
        #expect(Reboot2(flags: Reboot2.Kind.normal.rawValue | Reboot2.toRiscVFlag, delayMilliseconds: 500).packet(token: 1).bytes
            == [UInt8](littleEndianWords: [0x431f_d10b, 1, 0x0000_100a, 0, 0x20, 500, 0, 0]))
        #expect(Reboot2.toArmFlag == 0x10)
    }

    @Test func rp2350SwitchesCoresUnlessOTPDisablesThem() throws {
        let rig = Rig(chip: .rp2350)
        try rig.executor.reboot(.application, architecture: .riscV)
        #expect(rig.board.runsRiscV)
        #expect(rig.board.events.contains { if case .rebooted = $0 { true } else { false } })

        let locked = Rig(chip: .rp2350)
        locked.board.otp[0x38] = 0x2                       // CRIT0.RISCV_DISABLE
        #expect(throws: FlashError.self) { try locked.executor.reboot(.application, architecture: .riscV) }
        #expect(locked.executor.connection.lastFailureStatus?.status == .notPermitted)
        #expect(!locked.board.runsRiscV)

        #expect(throws: FlashError.unsupported(operation: "choosing the CPU architecture", chip: .rp2040)) {
            try Rig().executor.reboot(.application, architecture: .arm)
        }
    }
}

/// OTP reads go page by page and at most 64 rows a command.
@Suite struct OTPReadTests {
    @Test func runsSplitAtPagesAndReadSize() {
        #expect(FlashExecutor.otpRuns([0x3e, 0x3f, 0x40, 0x41, 0x50]) == [0x3e...0x3f, 0x40...0x41, 0x50...0x50])
        #expect(FlashExecutor.otpRuns(Array(0..<64)) == [0...63])
        #expect(FlashExecutor.otpRuns(Array(0x80..<0x100)).count == 2)
    }

    @Test func lockedPagesAreReportedAndTheRestRead() throws {
        let rig = Rig(chip: .rp2350)
        rig.board.otp[0x48] = 0x22
        rig.board.otp[0xf48] = 0xbeef
        rig.board.otpPageLocks[61] = 3
        let rows = try rig.executor.readOTP([0x48, 0xf48, 0xf49], ecc: { $0 != 0x48 })
        #expect(rows[0x48] == .value(raw: 0x22, ecc: nil))
        #expect(rows[0xf48] == .locked && rows[0xf49] == .locked)
        #expect(throws: FlashError.unsupported(operation: "OTP_READ", chip: .rp2040)) { try Rig().executor.readOTP([0], ecc: { _ in false }) }
        #expect(throws: FlashError.self) { try rig.executor.readOTP([0x1000], ecc: { _ in false }) }
    }
}
