import Testing
@testable import PicoBoot

/// The generated OTP map (rows and bits of the SDK's `hardware/regs/otp_data.h`) and boot info decoding.
@Suite struct OTPMapTests {
    @Test func registersAndFieldsByName() throws {
        let flags = try #require(OTPMap.register(named: "otp_data_boot_flags0"))
        #expect(flags.row == 0x48 && !flags.ecc)
        #expect(OTPMap.register(named: "CHIPID0")?.ecc == true)
        #expect(OTPMap.register(named: "FLASH_DEVINFO")?.row == 0x54)
        #expect(OTPMap.register(named: "USB_WHITE_LABEL_ADDR")?.row == 0x5c)
        let (register, led) = try #require(OTPMap.field(named: "BOOT_FLAGS0.ENABLE_BOOTSEL_LED"))
        #expect(register.name == "BOOT_FLAGS0" && led.mask == 0x2 && led.value(in: 0x22) == 1)
        #expect(OTPMap.field(named: "CRIT1_BOOT_ARCH")?.1.mask == 0x8)
        #expect(OTPMap.field(named: "FLASH_DEVINFO.CS0_SIZE")?.1.value(in: 0x0a00) == 0xa)
        #expect(OTPMap.field(named: "BOOT_FLAGS0.NOPE") == nil)
    }

    @Test func keysSpanRowsAndPageLocksExistForEveryPage() throws {
        let key = try #require(OTPMap.register(named: "KEY1"))
        #expect(key.row == 0xf48 && key.rows == 8)
        #expect(OTPMap.register(at: 0xf4f)?.name == "KEY1")
        #expect(OTPMap.register(named: "KEY6_VALID")?.row == 0xf7e)
        let lock = try #require(OTPMap.register(named: "PAGE61_LOCK1"))
        #expect(lock.row == 0xf80 + 2 * 61 + 1 && lock.fields.map(\.name).contains("LOCK_BL"))
        #expect(lock.summary == "Lock configuration MSBs for page 61 (rows 0xf40 through 0xf7f).")
        #expect(OTPMap.register(at: 0xf82)?.name == "PAGE1_LOCK0")
        #expect(OTPMap.register(named: "PAGE64_LOCK0") == nil)
        #expect(OTPMap.register(at: 0x300) == nil)
    }

    @Test func bootInfoWords() throws {
        let bootsel = try #require(BootInfo(words: [0x00ff_02ff, 0, 0, 0]))
        #expect(bootsel.typeName == "bootsel" && bootsel.partition == -1 && BootInfo.partitionName(bootsel.partition) == "none")
        let chained = try #require(BootInfo(words: [0x0101_80ff, 0x40, 1, 2]))
        #expect(chained.typeName == "normal (chained)" && chained.partition == 1 && chained.tbybAndUpdate == 1)
        #expect(BootInfo.partitionName(-3) == "slot 1")
        #expect(BootInfo(words: [1, 2, 3]) == nil)
    }
}

/// The USB white-label table (`otp_data.h`, USB_WHITE_LABEL_ADDR), laid out as picotool writes it.
@Suite struct USBWhiteLabelTests {
    @Test func valuesAndStringsMarkedValid() throws {
        // VID (index 0) and product string (index 5, 5 characters 16 rows after the table) valid.
        let flags = USBWhiteLabel.majority(0x40_0021, 0x40_0021, 0x00_0000)
        let table: [UInt16] = [0x2e8b, 0xffff, 0, 0, 0, 0x1005] + [UInt16](repeating: 0, count: 10)
        let label = USBWhiteLabel(flags: flags, address: 0x100, table: table)
        #expect(label.tableRow == 0x100 && label.entries.count == 2)
        #expect(label.entries[0] == .value(0x2e8b))
        let product = try #require(label.entries[5])
        #expect(USBWhiteLabel.stringRows(tableRow: 0x100, product) == [0x110, 0x111, 0x112])
        #expect(USBWhiteLabel.string(product, rows: [0x6548, 0x6c6c, 0x006f]) == "Hello")
        #expect(USBWhiteLabel.string(.string(row: 0, length: 2, unicode: true), rows: [0x00e9, 0x4e2d]) == "é中")
        #expect(USBWhiteLabel(flags: 0x21, address: 0x100, table: table).tableRow == nil, "address not marked valid")
    }
}
