import PicoFlash
import PicoUSB
import UF2

extension DeviceSession {
    /// The binary info of the program in flash: the first `probe` bytes are read, more (up to
    /// `limit`) only when the binary info says the program is longer. Returns the bytes read too.
    func programInfo(flashSize: UInt32?, probe: UInt32, limit: UInt32) throws -> (BinaryInfo?, UInt32) {
        let base = chip.flash.start
        var length = min(probe, flashSize ?? probe)
        var bytes = try run { try $0.read(AddressRange(start: base, end: UInt64(base) + UInt64(length))) }
        var info = BinaryInfo.decode(try MemoryImage(segments: [.init(address: base, bytes: bytes)]), chip: chip)
        if let end = info?.binaryEnd, end > base + length, end - base <= min(limit, flashSize ?? .max) {
            length = end - base
            bytes += try run { [count = bytes.count] in try $0.read(AddressRange(start: base + UInt32(count), end: UInt64(end))) }
            info = BinaryInfo.decode(try MemoryImage(segments: [.init(address: base, bytes: bytes)]), chip: chip)
        }
        return (info, length)
    }
}

/// `picoctl info --device`: the board's chip, identity and flash size (and where it came from), and the program
/// in its flash as its binary info describes it.
extension InfoCommand {
    /// How much of the start of flash is read first; more only when binary info says the program is longer.
    static let deviceProbeSize: UInt32 = 64 * 1024
    /// The most read to decode a long program's binary info.
    static let deviceReadLimit: UInt32 = 4 << 20

    func runDevice() throws {
        try DeviceFailure.reporting {
            let session = try DeviceSession(options: board, announce: { Terminal.error($0) }, onEvent: { _ in })
            defer { session.close() }
            let ((learnt, flashSize, info, length, system, rp2350, uniqueID, uniqueIDProblem), after) = try session.readOnly(stay: stay.stayInBootsel) { session in
                // The JEDEC id through the RAM helper (RP2040), GET_INFO's flash device word (RP2350), else aliasing.
                let learnt = try session.run { try $0.learnFlashSize() }
                let flashSize = learnt?.bytes
                let (info, length) = try session.programInfo(flashSize: flashSize, probe: Self.deviceProbeSize, limit: Self.deviceReadLimit)
                // RP2350: chip ids and the running CPU through GET_INFO (the RP2040 bootrom has no GET_INFO).
                let system = session.chip.hasExec ? nil : try? session.run { try $0.systemInfo() }
                let rp2350 = session.chip.hasExec ? nil : try RP2350Facts.read(session, system: system)
                // RP2040: the flash unique id through the RAM helper (what a pico-sdk app reports as its serial).
                var uniqueID: String?, uniqueIDProblem: String?
                if session.chip.hasExec {
                    do throws(FlashError) { uniqueID = try session.executor.readUniqueID().map(Self.uniqueIDText) } catch { uniqueIDProblem = error.description }
                }
                return (learnt, flashSize, info, length, system, rp2350, uniqueID, uniqueIDProblem)
            }
            let cpu = system?.cpu.map { $0 & 0xff == 1 ? "risc-v" : "arm" }
            let board = session.board
            let sizeText = learnt?.description ?? "unknown (the start of flash is blank and the board names no size)"
            if json {
                let program: JSONValue = info.map { info in
                    .object(["name": info.programName.map(JSONValue.string) ?? .null,
                             "version": info.programVersion.map(JSONValue.string) ?? .null,
                             "build_date": info.buildDate.map(JSONValue.string) ?? .null,
                             "sdk_version": info.sdkVersion.map(JSONValue.string) ?? .null,
                             "board": info.board.map(JSONValue.string) ?? .null,
                             "binary_end": info.binaryEnd.map { .address($0) } ?? .null])
                } ?? .null
                Terminal.output(Terminal.jsonLine(JSONValue.object([
                    "chip": .string(session.chip.name), "port": .string(board.usb.portPath.description),
                    "identity": .string(board.identity.description), "serial": board.usb.serialNumber.map(JSONValue.string) ?? .null,
                    "flash_size": flashSize.map { .int(Int($0)) } ?? .null,
                    "flash_size_source": learnt.map { .string($0.source.name) } ?? .null, "program": program,
                    "chip_ids": system?.chip.map { .object(["package": .int(Int($0.package)), "device": .int(Int($0.device)),
                                                            "wafer": .int(Int($0.wafer))]) } ?? .null,
                    "cpu": cpu.map(JSONValue.string) ?? .null, "unique_id": uniqueID.map(JSONValue.string) ?? .null,
                    "board": after.json]
                    .merging(rp2350?.json ?? [:]) { first, _ in first })))
                return
            }
            var lines = ["board:      \(board.usb.portPath) (bus \(board.usb.bus) address \(board.usb.address))",
                         "chip:       \(session.chip.name)",
                         "identity:   \(board.identity)" + (board.serialIsUnique ? "" : " (BOOTSEL serial \(board.usb.serialNumber ?? "-") is not unique)"),
                         "flash:      \(sizeText)"]
            if let ids = system?.chip {
                lines.append("chip ids:   package 0x\(String(ids.package, radix: 16)) device 0x\(String(ids.device, radix: 16)) wafer 0x\(String(ids.wafer, radix: 16))")
            }
            if let cpu { lines.append("cpu:        \(cpu)") }
            lines += rp2350?.lines ?? []
            if let uniqueID { lines.append("unique id:  \(uniqueID) (flash, command 0x4B)") }
            if let uniqueIDProblem { lines.append("unique id:  not read (\(uniqueIDProblem))") }
            if let info {
                lines.append("program:    \(info.programName ?? "(no name)")" + (info.programVersion.map { " \($0)" } ?? ""))
                if let date = info.buildDate { lines.append("built:      \(date)") }
                if let sdk = info.sdkVersion { lines.append("sdk:        \(sdk)") }
                if let name = info.board { lines.append("for board:  \(name)") }
                if let end = info.binaryEnd { lines.append("binary:     \(JSONStyle.address(info.binaryStart))..\(JSONStyle.address(end))") }
            } else {
                lines.append("program:    no binary info in the first \(length / 1024) KiB of flash")
            }
            if let sentence = after.sentence { lines.append("afterwards: \(sentence)") }
            Terminal.output(lines.joined(separator: "\n"))
        }
    }

    /// `E6605838A1B2C3D4`: a unique id as 16 upper-case hex digits, as a pico-sdk app's USB serial shows it.
    static func uniqueIDText(_ id: UInt64) -> String {
        let digits = String(id, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
