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
