import Testing
import PicoBoot
@testable import PicoSim
import UF2

/// The simulated boards tell their flash size as real parts do: the RAM helper's JEDEC id
/// (RP2040) and GET_INFO's flash device word (RP2350); writes past the size wrap to the start.
@Suite struct FlashSizeModelTests {
    let base: UInt32 = 0x1000_0000
    let abi = RAMHelperABI()

    func le(_ values: UInt32...) -> [UInt8] { values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } } }
    func word(_ bytes: [UInt8]) -> UInt32 { bytes.prefix(4).enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) } }

    /// Runs one helper operation through WRITE + EXEC + READ, as the host does; returns status and table bytes.
    func call(_ board: SimulatedBoard, _ connection: PicobootConnection, _ operation: UInt32, address: UInt32, size: UInt32,
              extra: UInt32) throws -> (UInt32, [UInt8]) {
        try connection.write(address: abi.parameterAddress, bytes: le(operation, address, size, 0xFFFF_FFFF))
        try connection.exec(address: abi.codeAddress | 1)
        let answer = try connection.read(address: abi.statusAddress, count: 4 + extra)
        return (word(answer), Array(answer.dropFirst(4)))
    }

    @Test func theHelperAnswersTheJEDECIdOfTheFlashSize() throws {
        for (size, capacity) in [(UInt32(2 << 20), UInt8(0x15)), (16 << 20, 0x18), (256 << 10, 0x12)] {
            let board = SimulatedBoard(chip: .rp2040, flashSize: size)
            SimulatedHelper.install(on: board)
            let connection = PicobootConnection(transport: board)
            let (status, id) = try call(board, connection, RAMHelperABI.Operation.jedecID.rawValue, address: base, size: 0, extra: 3)
            #expect(status == 0 && id == [0xEF, 0x40, capacity])
        }
    }

    @Test func theSelfCheckCRCCoversAnySizeFromAnAlignedAddress() throws {
        let board = SimulatedBoard(chip: .rp2040)
        SimulatedHelper.install(on: board)
        let connection = PicobootConnection(transport: board)
        let code = (0..<508).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try connection.write(address: abi.codeAddress, bytes: code)
        let (status, table) = try call(board, connection, RAMHelperABI.Operation.ramCRC.rawValue, address: abi.codeAddress,
                                       size: UInt32(code.count), extra: 4)
        #expect(status == 0 && word(table) == CRC32MPEG2.checksum(code))
        let (refused, _) = try call(board, connection, RAMHelperABI.Operation.ramCRC.rawValue, address: abi.codeAddress + 0x800,
                                    size: 16, extra: 0)
        #expect(refused == 1)
    }

    @Test func rp2350AnswersItsFlashDeviceWord() throws {
        let board = SimulatedBoard(chip: .rp2350, flashSize: 4 << 20)
        let connection = PicobootConnection(transport: board)
        func deviceWord() throws -> UInt32? {
            let answer = try connection.execute(GetInfo(.system, params: (SystemInfo.Items.flashDeviceInfo.rawValue, 0, 0), length: 256))
            return SystemInfo(answer: answer)?.flashDeviceInfo
        }
        #expect(try deviceWord() == 0x0A00)                                   // CS0 4 MiB, as OTP would hold it
        board.flashDeviceInfo = .bootromDefault
        #expect(try deviceWord() == 0x0C00)                                   // the bootrom's 16 MiB default
    }

    @Test func writesPastTheSizeWrapToTheStart() throws {
        let board = SimulatedBoard(chip: .rp2040, flashSize: 2 << 20)
        let connection = PicobootConnection(transport: board)
        try connection.exitXIP()
        try connection.write(address: base + (3 << 20), bytes: [UInt8](repeating: 0x5A, count: 256))
        #expect(Array(board.flash[(1 << 20)..<((1 << 20) + 256)]) == [UInt8](repeating: 0x5A, count: 256))
    }
}
