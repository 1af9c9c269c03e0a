import UF2

/// A minimal ELF32 little-endian executable holding bytes read from a board: one PT_LOAD segment at
/// their address, no sections. Enough for `picoctl info`, `verify`, `flash` and objdump-like tools.
enum ELFOutput {
    /// EM_ARM; the bytes alone cannot tell a RISC-V RP2350 program apart, so ARM is assumed.
    static let machineARM: UInt16 = 40

    /// The file: ELF header, one program header, then the bytes.
    static func file(_ bytes: [UInt8], address: UInt32, entry: UInt32 = 0) -> [UInt8] {
        var out: [UInt8] = []
        func u8(_ v: UInt8) { out.append(v) }
        func u16(_ v: UInt16) { out += [UInt8(v & 0xff), UInt8(v >> 8)] }
        func u32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
        let headerSize: UInt32 = 52, programHeaderSize: UInt32 = 32
        out += [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)  // ELF32, LSB, version 1
        u16(2)                                   // ET_EXEC
        u16(machineARM)
        u32(1)                                   // EV_CURRENT
        u32(entry)
        u32(headerSize)                          // program headers right after the ELF header
        u32(0)                                   // no section headers
        u32(0x0500_0000)                         // EF_ARM_EABI_VER5
        u16(UInt16(headerSize)); u16(UInt16(programHeaderSize)); u16(1)
        u16(40); u16(0); u16(0)                  // section header size, count, string table index
        u32(1)                                   // PT_LOAD
        u32(headerSize + programHeaderSize)      // file offset of the bytes
        u32(address); u32(address)               // virtual and physical address
        u32(UInt32(bytes.count)); u32(UInt32(bytes.count))
        u32(5)                                   // PF_R | PF_X
        u32(4)                                   // alignment
        precondition(out.count == Int(headerSize + programHeaderSize))
        return out + bytes
    }
}
