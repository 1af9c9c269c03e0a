@testable import UF2

/// Little-endian byte building for fixtures.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { bytes.appendLE(v) }
    mutating func u16(_ v: UInt16) { bytes.appendLE(v) }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func words(_ ws: [UInt32]) { for w in ws { u32(w) } }
}

/// Builds 32-bit ELF files: header, program headers, segment bytes.
struct ELFBuilder {
    struct Segment {
        var type: UInt32 = 1
        var vaddr: UInt32
        var paddr: UInt32
        var data: [UInt8]
        var memsz: UInt32? = nil
    }

    var machine: UInt16 = 40
    var entry: UInt32
    var elfClass: UInt8 = 1
    var endianness: UInt8 = 1
    var segments: [Segment]
    /// Overrides the file offset of segment n (to build broken files).
    var offsetOverride: [Int: UInt32] = [:]

    func build() -> [UInt8] {
        var w = ByteWriter()
        w.bytes = [0x7f, 0x45, 0x4c, 0x46, elfClass, endianness, 1, 0] + [UInt8](repeating: 0, count: 8)
        w.u16(2); w.u16(machine); w.u32(1); w.u32(entry)
        w.u32(52)  // phoff
        w.u32(0)  // shoff
        w.u32(0x5000200)  // flags
        w.u16(52); w.u16(32); w.u16(UInt16(segments.count)); w.u16(40); w.u16(0); w.u16(0)
        var offset = UInt32(52 + 32 * segments.count)
        var offsets: [UInt32] = []
        for s in segments { offsets.append(offset); offset += UInt32((s.data.count + 3) & ~3) }
        for (i, s) in segments.enumerated() {
            w.words([s.type, offsetOverride[i] ?? offsets[i], s.vaddr, s.paddr, UInt32(s.data.count), s.memsz ?? UInt32(s.data.count), 5, 4])
        }
        for s in segments { w.bytes += s.data + [UInt8](repeating: 0, count: ((s.data.count + 3) & ~3) - s.data.count) }
        return w.bytes
    }
}

/// A flash image laid out as the pico-sdk lays out an RP2040 program: boot2 with its CRC,
/// vector table, binary info header at 0x100001c0, entries and strings in flash, a `.data`
/// section (run in RAM at 0x20000000, loaded at 0x10001000) holding strings and variables that
/// binary info reaches through the copy table.
enum SDKLikeImage {
    static let flashBase: UInt32 = 0x1000_0000
    static let dataLoad: UInt32 = 0x1000_1000
    static let dataRun: UInt32 = 0x2000_0000
    static let groupID: UInt32 = 0x1234_5678
    static let entry: UInt32 = 0x1000_0201

    /// The ELF file.
    static func elf(machine: UInt16 = 40, imageDef: Bool = false) -> [UInt8] {
        ELFBuilder(machine: machine, entry: entry, segments: [
            .init(vaddr: flashBase, paddr: flashBase, data: flash(imageDef: imageDef)),
            .init(vaddr: dataRun, paddr: dataLoad, data: data()),
            .init(vaddr: 0x2000_0100, paddr: 0x2000_0100, data: [], memsz: 0x400),  // .bss
        ]).build()
    }

    /// Flash from 0x10000000 to 0x10000700; with `imageDef`, bootable on an RP2350 too.
    static func flash(imageDef: Bool = false) -> [UInt8] {
        var f = [UInt8](repeating: 0, count: 0x700)
        func put(_ at: UInt32, _ bytes: [UInt8]) { f.replaceSubrange(Int(at - flashBase)..<Int(at - flashBase) + bytes.count, with: bytes) }
        func words(_ ws: [UInt32]) -> [UInt8] { var w = ByteWriter(); w.words(ws); return w.bytes }
        func cString(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
        put(flashBase, Boot2.sealed((0..<252).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }))
        put(0x1000_0100, words([0x2004_2000, entry] + [UInt32](repeating: 0x1000_01f1, count: 46)))
        // Header: marker, entries start/end, copy table, marker.
        put(0x1000_01c0, words([BinaryInfo.markerStart, 0x1000_0400, 0x1000_0400 + 4 * 12, 0x1000_0600, BinaryInfo.markerEnd]))
        let rp: UInt32 = 0x5052 << 16
        // Entries (each is a struct in flash; pointer array at 0x10000400).
        let entries: [(UInt32, [UInt32])] = [
            (0x1000_0300, [6 | rp, 0x0203_1c86, 0x1000_0500]),            // program name (flash string)
            (0x1000_0310, [6 | rp, 0x11a9_bc3a, dataRun]),                // version: string in RAM via copy table
            (0x1000_0320, [6 | rp, 0xa1f4_b453, 0x1000_0510]),            // feature 1
            (0x1000_0330, [6 | rp, 0xa1f4_b453, 0x1000_0520]),            // feature 2
            (0x1000_0340, [5 | rp, 0x68f4_65de, 0x1000_1100]),            // binary end
            (0x1000_0350, [8 | rp, 2 | (2 << 3) | (0 << 7) | (1 << 12) | (1 << 17) | (1 << 22) | (1 << 27)]), // UART0 TX/RX, multi
            (0x1000_0360, [8 | rp, 1 | (5 << 3) | (2 << 7) | (5 << 12)]), // SIO on pins 2-5, range
            (0x1000_0370, [9 | rp, 1 << 25, 0x1000_0530]),                // pin 25 "LED"
            (0x1000_0380, [10 | rp, 0xa1f4_b453, 0x5858_0000, groupID, 0x1000_0540]), // named group
            (0x1000_03a0, [11 | 0x5858 << 16, groupID, dataRun + 0x20, 0x1000_0550]),  // ptr int in RAM, in group (tag XX)
            (0x1000_03b0, [6 | rp, 0x9da2_2254, 0x1000_0560]),            // build date
            (0x1000_03c0, [7 | rp, 0x1000_0570, 0x101f_0000, 0x1_0000, 0, 0x0003]), // block device
        ]
        for (at, ws) in entries { put(at, words(ws)) }
        put(0x1000_0400, words(entries.map(\.0)))
        put(0x1000_0500, cString("sdk-like")); put(0x1000_0510, cString("USB stdio")); put(0x1000_0520, cString("UART stdio"))
        put(0x1000_0530, cString("LED")); put(0x1000_0540, cString("settings")); put(0x1000_0550, cString("baud"))
        put(0x1000_0560, cString("Nov 29 2026")); put(0x1000_0570, cString("fs"))
        // Copy table: .data loaded at 0x10001000, runs at 0x20000000; terminated by a zero source.
        put(0x1000_0600, words([dataLoad, dataRun, dataRun + 0x100, 0, 0, 0]))
        // An IMAGE_DEF (exe, Arm, RP2350, secure) whose VECTOR_TABLE item points at the vector table
        // after boot2, so that the same flash boots on an RP2350 too.
        if imageDef { put(0x1000_0680, words([MetadataBlock.startMarker, 0x42 | 1 << 8 | 0x1021 << 16, 0x03 | 2 << 8, 0x1000_0100,
                                0xff | 3 << 8, 0, MetadataBlock.endMarker])) }
        return f
    }

    /// `.data`: the version string at 0x20000000 and an int (115200) at 0x20000020.
    static func data() -> [UInt8] {
        var d = [UInt8](repeating: 0, count: 0x100)
        d.replaceSubrange(0..<6, with: Array("1.2.3".utf8) + [0])
        d.replaceSubrange(0x20..<0x24, with: [0x00, 0xc2, 0x01, 0x00])
        return d
    }
}

/// A deterministic pseudo-random generator for corpora (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// picotool's ELF→UF2 algorithm written out literally (page → fragments map, sector fill below the
/// last page, one block per page), independent of the library, to compare against.
enum ReferenceConverter {
    static func elfToUF2(_ elf: [UInt8], family: UInt32, flash: Bool, absBlock: UInt32? = nil) -> [UInt8] {
        func u32(_ o: Int) -> UInt32 { UInt32(elf[o]) | UInt32(elf[o + 1]) << 8 | UInt32(elf[o + 2]) << 16 | UInt32(elf[o + 3]) << 24 }
        let phoff = Int(u32(28)), phnum = Int(UInt16(elf[44]) | UInt16(elf[45]) << 8)
        var pages: [UInt32: [(fileOffset: Int, pageOffset: Int, count: Int)]] = [:]
        for i in 0..<phnum {
            let b = phoff + 32 * i
            let type = u32(b), offset = Int(u32(b + 4)), paddr = u32(b + 12), filesz = u32(b + 16), memsz = u32(b + 20)
            guard type == 1, memsz > 0 else { continue }
            var remaining = Int(min(filesz, memsz))
            // Segments whose load address is in RAM carry no contents for a flash image.
            if flash && paddr >= 0x2000_0000 { continue }
            var addr = paddr, fileOffset = offset
            while remaining > 0 {
                let off = Int(addr & 255), len = min(remaining, 256 - off)
                pages[addr - UInt32(off), default: []].append((fileOffset, off, len))
                addr += UInt32(len); fileOffset += len; remaining -= len
            }
        }
        if flash, let last = pages.keys.max() {
            for sector in Set(pages.keys.map { $0 / 4096 }) {
                for page in stride(from: sector * 4096, to: (sector + 1) * 4096, by: 256) where page < last {
                    if pages[page] == nil { pages[page] = [] }
                }
            }
        }
        var out: [UInt8] = []
        var w = ByteWriter()
        if let absBlock {
            w.words([0x0A32_4655, 0x9E5D_5157, 0xa000, absBlock, 256, 0, 2, 0xe48b_ff57])
            w.bytes += [UInt8](repeating: 0xEF, count: 256)
            w.u32(0x9957_e304)
            w.bytes += [UInt8](repeating: 0, count: 476 - 260)
            w.u32(0x0AB1_6F30)
            out += w.bytes
        }
        for (n, page) in pages.keys.sorted().enumerated() {
            var b = ByteWriter()
            b.words([0x0A32_4655, 0x9E5D_5157, 0x2000, page, 256, UInt32(n), UInt32(pages.count), family])
            var data = [UInt8](repeating: 0, count: 476)
            for f in pages[page]! { data.replaceSubrange(f.pageOffset..<(f.pageOffset + f.count), with: elf[f.fileOffset..<(f.fileOffset + f.count)]) }
            b.bytes += data
            b.u32(0x0AB1_6F30)
            out += b.bytes
        }
        return out
    }
}

/// Builds UF2 files block by block for validator tests.
func uf2(_ blocks: [UF2Block]) -> [UInt8] { blocks.flatMap(\.encoded) }

/// A standard block: 256 bytes of `fill` at `address`, flags 0x2000.
func block(_ address: UInt32, _ number: UInt32, of count: UInt32, family: Family = .rp2040, fill: UInt8 = 0,
           flags: UF2Block.Flags = .familyIDPresent, size: UInt32 = 256) -> UF2Block {
    UF2Block(flags: flags, targetAddress: address, payloadSize: size, blockNumber: number, blockCount: count,
             familyOrFileSize: family.rawValue, data: [UInt8](repeating: fill, count: 256))
}
