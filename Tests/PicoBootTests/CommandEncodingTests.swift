import Testing
@testable import PicoBoot

/// Bytes from hex text, spaces ignored.
func bytes(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    return stride(from: 0, to: digits.count, by: 2).map { offset in
        let start = digits.index(digits.startIndex, offsetBy: offset)
        return UInt8(digits[start..<digits.index(start, offsetBy: 2)], radix: 16)!
    }
}

@Suite struct CommandEncodingTests {
    /// The 32-byte block of `command` with `token`.
    func block(_ command: some PicobootCommand, token: UInt32 = 1) -> [UInt8] { command.packet(token: token).bytes }

    @Test func exclusiveAccess() {
        #expect(block(ExclusiveAccess(.exclusive)) == bytes("0bd11f43 01000000 01 01 0000 00000000 01000000000000000000000000000000"))
        #expect(block(ExclusiveAccess(.exclusiveAndEject), token: 7)[16] == 2)
        #expect(block(ExclusiveAccess(.shared))[16] == 0)
    }

    @Test func reboot() {
        #expect(block(Reboot(pc: 0x2000_0000, sp: 0x2004_2000, delayMilliseconds: 500), token: 2)
            == bytes("0bd11f43 02000000 02 0c 0000 00000000 00000020 00200420 f4010000 00000000"))
    }

    @Test func flashErase() {
        #expect(block(FlashErase(address: 0x1000_1000, size: 0x2000), token: 3)
            == bytes("0bd11f43 03000000 03 08 0000 00000000 00100010 00200000 0000000000000000"))
    }

    @Test func read() {
        #expect(block(Read(address: 0x1000_0000, size: 256), token: 0x0102_0304)
            == bytes("0bd11f43 04030201 84 08 0000 00010000 00000010 00010000 0000000000000000"))
        #expect(Read(address: 0, size: 256).dataPhase == .toHost(length: 256))
        #expect(PicobootCommandID.read.isDeviceToHost)
    }

    @Test func write() {
        #expect(block(Write(address: 0x2000_0000, size: 0x1000), token: 5)
            == bytes("0bd11f43 05000000 05 08 0000 00100000 00000020 00100000 0000000000000000"))
        #expect(Write(address: 0, size: 16).dataPhase == .toDevice(length: 16))
        #expect(!PicobootCommandID.write.isDeviceToHost)
    }

    @Test func xipCommands() {
        #expect(block(ExitXIP(), token: 6) == bytes("0bd11f43 06000000 06 00 0000 00000000") + [UInt8](repeating: 0, count: 16))
        #expect(block(EnterCommandXIP(), token: 6) == bytes("0bd11f43 06000000 07 00 0000 00000000") + [UInt8](repeating: 0, count: 16))
    }

    @Test func execAndVectorize() {
        #expect(block(Exec(address: 0x2000_0001), token: 8)
            == bytes("0bd11f43 08000000 08 04 0000 00000000 01000020 000000000000000000000000"))
        #expect(block(VectorizeFlash(address: 0x2000_0100), token: 9)
            == bytes("0bd11f43 09000000 09 04 0000 00000000 00010020 000000000000000000000000"))
    }

    @Test func reboot2() {
        #expect(block(Reboot2(.ramImage, delayMilliseconds: 100, p0: 0x2000_0000, p1: 0x4000), token: 10)
            == bytes("0bd11f43 0a000000 0a 10 0000 00000000 03000000 64000000 00000020 00400000"))
        #expect(Reboot2(.bootsel).flags == 2)
    }

    @Test func getInfo() {
        #expect(block(GetInfo(.system, param: 0, wordParam: 0, params: (0x0000_0001, 0, 0), length: 256), token: 11)
            == bytes("0bd11f43 0b000000 8b 10 0000 00010000 01 00 0000 01000000 00000000 00000000"))
    }

    @Test func otpRead() {
        #expect(block(OTPRead(row: 0x10, count: 4, ecc: true), token: 12)
            == bytes("0bd11f43 0c000000 8c 05 0000 08000000 1000 0400 01 0000000000000000000000"))
        #expect(OTPRead(row: 0, count: 4, ecc: false).dataPhase == .toHost(length: 16))
    }

    @Test func argumentSizesMatchEncodings() {
        let commands: [any PicobootCommand] = [
            ExclusiveAccess(.exclusive), Reboot(), FlashErase(address: 0, size: 0), Read(address: 0, size: 0),
            Write(address: 0, size: 0), ExitXIP(), EnterCommandXIP(), Exec(address: 0), VectorizeFlash(address: 0),
            Reboot2(.normal), GetInfo(.system), OTPRead(row: 0, count: 1),
        ]
        for command in commands {
            #expect(command.arguments.count == type(of: command).argumentSize, "\(command)")
        }
    }

    @Test func packetRoundTrip() throws {
        let packet = Write(address: 0x1000_0100, size: 512).packet(token: 99)
        let decoded = try CommandPacket(bytes: packet.bytes)
        #expect(decoded == packet)
        #expect(decoded.argumentWord(at: 0) == 0x1000_0100)
        #expect(decoded.argumentWord(at: 4) == 512)
    }

    @Test func packetDecodeErrors() {
        #expect(throws: CommandPacket.DecodeError.wrongSize(31)) { try CommandPacket(bytes: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: CommandPacket.DecodeError.badMagic(0)) { try CommandPacket(bytes: [UInt8](repeating: 0, count: 32)) }
        var block = ExitXIP().packet(token: 1).bytes
        block[9] = 17
        #expect(throws: CommandPacket.DecodeError.argumentCountTooLarge(17)) { try CommandPacket(bytes: block) }
    }

    @Test func commandNames() {
        #expect(PicobootCommandID.flashErase.description == "FLASH_ERASE (0x3)")
        #expect(PicobootCommandID(rawValue: 0x7f).name == "CMD_0x7f")
        #expect(FlashErase(address: 0x1000_0000, size: 4096).description == "FLASH_ERASE 0x10000000+4096")
    }
}

@Suite struct StatusTests {
    @Test func decode() {
        let status = CommandStatus(bytes: bytes("07000000 04000000 03 01 000000000000"))
        #expect(status == CommandStatus(token: 7, status: .invalidAddress, commandID: 0x03, inProgress: true))
        #expect(status?.bytes == bytes("07000000 04000000 03 01 000000000000"))
        #expect(CommandStatus(bytes: [0, 1, 2]) == nil)
    }

    @Test func everyCodeHasAWordAndAMeaning() {
        let names = (0...17).map { PicobootStatus(rawValue: $0).name }
        #expect(names == ["OK", "UNKNOWN_CMD", "INVALID_CMD_LENGTH", "INVALID_TRANSFER_LENGTH", "INVALID_ADDRESS",
                          "BAD_ALIGNMENT", "INTERLEAVED_WRITE", "REBOOTING", "UNKNOWN_ERROR", "INVALID_STATE",
                          "NOT_PERMITTED", "INVALID_ARG", "BUFFER_TOO_SMALL", "PRECONDITION_NOT_MET", "MODIFIED_DATA",
                          "INVALID_DATA", "NOT_FOUND", "UNSUPPORTED_MODIFICATION"])
        #expect(Set((0...18).map { PicobootStatus(rawValue: $0).meaning }).count == 19)
        #expect(PicobootStatus(rawValue: 99).description == "STATUS_99 (99)")
    }
}

@Suite struct SystemInfoTests {
    @Test func decodesItemsInFlagOrder() throws {
        // Word count 10: flags 0x4d, then chip (3 words), cpu (1), flash device info (1), boot info (4).
        let words: [UInt32] = [10, 0x4d, 0x11, 0x22, 0x33, 0x01, 0x0c00, 0xa, 0xb, 0xc, 0xd]
        var answer: [UInt8] = []
        for word in words { answer.appendUInt32(word) }
        let info = try #require(SystemInfo(answer: answer + [0, 0, 0, 0]))
        #expect(info.items == [.chipInfo, .cpuInfo, .flashDeviceInfo, .bootInfo])
        #expect(info.chip?.package == 0x11 && info.chip?.device == 0x22 && info.chip?.wafer == 0x33)
        #expect(info.cpu == 1 && info.flashDeviceInfo == 0x0c00 && info.boot == [0xa, 0xb, 0xc, 0xd])
        #expect(SystemInfo.encode(items: [.chipInfo, .cpuInfo, .flashDeviceInfo, .bootInfo], chip: (0x11, 0x22, 0x33),
                                  cpu: 1, flashDeviceInfo: 0x0c00).prefix(7) == words.prefix(7))
    }

    @Test func refusesShortAnswers() {
        var answer: [UInt8] = []
        for word in [UInt32(4), 0x1, 0x11] { answer.appendUInt32(word) }
        #expect(SystemInfo(answer: answer) == nil)
        #expect(SystemInfo(answer: [1, 0]) == nil)
    }
}
