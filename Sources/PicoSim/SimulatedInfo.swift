import PicoBoot
import UF2

extension SimulatedBoard {
    /// Unpartitioned space without a table: all permissions, families absolute, rp2350-arm-s and
    /// rp2350-riscv (the bootrom's own message: "With no partition table, only ABSOLUTE, ARM_S, and
    /// RISCV are accepted").
    public static let defaultUnpartitionedSpace: Partition = {
        let permissions = PartitionPermissions.mask
        let families = [Family.absolute, .rp2350ArmS, .rp2350RiscV].reduce(UInt32(0)) { bits, family in
            bits | 1 << (Partition.defaultFamiliesShift + UInt32(Partition.defaultFamilies.firstIndex(of: family)!))
        }
        return Partition(index: PartitionTable.noPartitionIndex, locationWord: permissions | 0x1fff << 13,
                         flagsWord: permissions | families)
    }()

    /// The number of OTP rows (4096, 64 a page).
    static let otpRows = 4096

    /// A GET_INFO answer (the bootrom's `_execute_task`): word 0 counts the words that follow.
    /// SYS answers the requested items (chip id split over device id, low word, and wafer id, high
    /// word); type 2 the partition table; type 3 the UF2 target partition; type 4 four zero words.
    /// An answer longer than the transfer is refused with BUFFER_TOO_SMALL; an unknown type with INVALID_ARG.
    func info(kind: UInt8, mask: UInt32, length: Int) throws(Rejection) -> [UInt8] {
        var words: [UInt32]
        switch kind {
        case GetInfo.Kind.system.rawValue:
            let supported = SystemInfo.Items(rawValue: mask).intersection([.chipInfo, .critical, .cpuInfo, .flashDeviceInfo,
                                                                           .bootRandom, .bootInfo])
            words = SystemInfo.encode(items: supported,
                                      chip: (0, UInt32(truncatingIfNeeded: uniqueID), UInt32(truncatingIfNeeded: uniqueID >> 32)),
                                      cpu: runsRiscV ? 1 : 0, flashDeviceInfo: flashDeviceInfo.rawValue)
            // Boot info is the last item in answer order: its first word says how the chip booted.
            if supported.contains(.bootInfo) { words[words.count - 4] = bootInfoWord }
        case GetInfo.Kind.partitionTable.rawValue:
            let body = PartitionTable.answer(partitionTable, unpartitioned: unpartitionedSpace, items: mask)
            words = [UInt32(body.count)] + body
        case GetInfo.Kind.uf2TargetPartition.rawValue:
            words = PartitionTable.uf2Target(partitionTable, unpartitioned: unpartitionedSpace, family: Family(rawValue: mask),
                                             riscV: runsRiscV, booted: bootedSide).words
        case GetInfo.Kind.uf2Status.rawValue:
            words = [4, 0, 0, 0, 0]
        default:
            throw Rejection(status: .invalidArgument)
        }
        guard words.count * 4 <= length else { throw Rejection(status: .bufferTooSmall) }
        let out = [UInt8](littleEndianWords: words)
        return out + [UInt8](repeating: 0, count: length - out.count)
    }

    /// Which side of the A/B pair whose A partition is at `index` boots: B (1) when A's first page
    /// is blank and B's is not, else A (0). The real bootrom compares the images' versions; this
    /// model only needs a stable, testable choice.
    func bootedSide(_ index: Int) -> Int {
        guard let table = partitionTable, index < table.partitions.count, let b = table.bPartition(of: index) else { return 0 }
        func blank(_ partition: Partition) -> Bool {
            let start = Int(partition.start) % flash.count
            return flash[start..<min(start + 256, flash.count)].allSatisfy { $0 == 0xFF }
        }
        return blank(table.partitions[index]) && !blank(b) ? 1 : 0
    }

    /// OTP_READ: `count` rows from `row`, two bytes a row with ECC (the low 16 bits) or four raw.
    /// A row past the end is INVALID_ARG; a row in a page whose lock has bit 1 set is refused with
    /// NOT_PERMITTED, as the bootrom's `otp_access` refuses it (nothing is sent).
    func otpRead(row: UInt16, count: UInt16, ecc: Bool) throws(Rejection) -> [UInt8] {
        guard Int(row) + Int(count) <= Self.otpRows else { throw Rejection(status: .invalidArgument) }
        var out: [UInt8] = []
        for current in Int(row)..<(Int(row) + Int(count)) {
            guard (otpPageLocks[current / 64] ?? 0) & 0x2 == 0 else { throw Rejection(status: .notPermitted) }
            let value = otp[UInt16(current)] ?? 0
            if ecc {
                out += [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
            } else {
                out += [UInt8](littleEndianWords: [value & 0xff_ffff])
            }
        }
        return out
    }

    /// REBOOT2's architecture bits: an architecture that OTP CRIT0 disables (bit 0 Arm, bit 1
    /// RISC-V, `hardware/regs/otp_data.h`) is refused with NOT_PERMITTED, as picotool expects;
    /// otherwise the board runs on it from the reboot on.
    func chooseArchitecture(_ flags: UInt32) throws(Rejection) {
        let crit0 = otp[0x38] ?? 0
        if flags & Reboot2.toRiscVFlag != 0 {
            guard crit0 & 0x2 == 0 else { throw Rejection(status: .notPermitted) }
            runsRiscV = true
        } else if flags & Reboot2.toArmFlag != 0 {
            guard crit0 & 0x1 == 0 else { throw Rejection(status: .notPermitted) }
            runsRiscV = false
        }
    }
}
