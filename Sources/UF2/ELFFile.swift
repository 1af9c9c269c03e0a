/// A 32-bit little-endian ELF executable for Arm or RISC-V: its header and program headers.
///
/// Only what firmware tools need: the loadable segments by physical address, and the entry point.
public struct ELFFile: Sendable {
    /// The processor an ELF file was built for.
    public enum Machine: UInt16, Sendable {
        /// Arm (EM_ARM, 40): Cortex-M0+ on RP2040, Cortex-M33 on RP2350.
        case arm = 40
        /// RISC-V (EM_RISCV, 243): Hazard3 on RP2350.
        case riscV = 243
    }

    /// One program header.
    public struct ProgramHeader: Hashable, Sendable {
        /// p_type (1 = PT_LOAD).
        public var type: UInt32
        /// Offset of the segment's bytes in the file.
        public var offset: UInt32
        /// Address where the segment runs.
        public var virtualAddress: UInt32
        /// Address where the segment is loaded (what is written to the chip).
        public var physicalAddress: UInt32
        /// Bytes in the file.
        public var fileSize: UInt32
        /// Bytes in memory (more than `fileSize` for zero-initialised data).
        public var memorySize: UInt32
        /// p_flags.
        public var flags: UInt32

        /// PT_LOAD with a non-zero memory size.
        public var isLoadable: Bool { type == 1 && memorySize > 0 }
        /// The bytes that come from the file: min(file size, memory size).
        public var mappedSize: UInt32 { min(fileSize, memorySize) }
    }

    /// The file.
    public let source: any ImageSource
    /// The whole file (read whole when it comes from a file rather than from bytes in memory).
    public var bytes: [UInt8] { source.allBytes }
    /// e_machine.
    public let machine: Machine
    /// e_entry.
    public let entry: UInt32
    /// e_flags.
    public let flags: UInt32
    /// The program headers in file order.
    public let programHeaders: [ProgramHeader]

    /// True when `bytes` starts with the ELF magic.
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x7f && bytes[1] == 0x45 && bytes[2] == 0x4c && bytes[3] == 0x46
    }

    /// Parses the header and program headers; throws with evidence on the wrong class, endianness,
    /// machine, or a table or segment past the end of the file.
    public init(bytes: [UInt8]) throws(FirmwareError) {
        try self.init(source: ArraySource(bytes))
    }

    /// Parses the header and program headers read through `source`, as `init(bytes:)` does; the
    /// segments' bytes stay in the file until used.
    public init(source: any ImageSource) throws(FirmwareError) {
        let size = source.size
        guard size > 0 else { throw .empty }
        let head = source.bytes(at: 0, count: min(size, 52))
        guard ELFFile.hasMagic(head) else { throw .unrecognizedFormat }
        guard size >= 52 else { throw .elfTruncated(needed: 52, fileSize: size) }
        guard head[4] == 1 else { throw .elfWrongClass(head[4]) }
        guard head[5] == 1 else { throw .elfWrongEndianness(head[5]) }
        guard head[6] == 1, head.u32(at: 20) == 1 else { throw .elfBadVersion }
        let headerSize = head.u16(at: 40)!
        guard headerSize == 52 else { throw .elfBadHeaderSize(headerSize) }
        let rawMachine = head.u16(at: 18)!
        guard let machine = Machine(rawValue: rawMachine) else { throw .elfWrongMachine(rawMachine) }
        guard head[7] == 0 || head[7] == 3 else { throw .elfUnsupportedABI(head[7]) }
        self.source = source
        self.machine = machine
        entry = head.u32(at: 24)!
        flags = head.u32(at: 36)!
        let phoff = UInt64(head.u32(at: 28)!)
        let phentsize = UInt64(head.u16(at: 42)!)
        let phnum = UInt64(head.u16(at: 44)!)
        if phnum > 0 && phentsize < 32 { throw .elfTruncated(needed: phoff + 32 * phnum, fileSize: size) }
        let tableEnd = phoff + phentsize * phnum
        guard tableEnd <= UInt64(size) else { throw .elfTruncated(needed: tableEnd, fileSize: size) }
        let table = source.bytes(at: Int(phoff), count: Int(tableEnd - phoff))
        var headers: [ProgramHeader] = []
        headers.reserveCapacity(Int(phnum))
        for index in 0..<Int(phnum) {
            let base = index * Int(phentsize)
            let header = ProgramHeader(
                type: table.u32(at: base)!, offset: table.u32(at: base + 4)!,
                virtualAddress: table.u32(at: base + 8)!, physicalAddress: table.u32(at: base + 12)!,
                fileSize: table.u32(at: base + 16)!, memorySize: table.u32(at: base + 20)!,
                flags: table.u32(at: base + 24)!)
            if header.isLoadable && header.mappedSize > 0 {
                let end = UInt64(header.offset) + UInt64(header.mappedSize)
                guard end <= UInt64(size) else {
                    throw .elfSegmentPastEnd(index: index, offset: header.offset, size: header.mappedSize, fileSize: size)
                }
            }
            headers.append(header)
        }
        programHeaders = headers
    }

    /// The loadable segments with file bytes, by physical address.
    public var loadSegments: [(header: ProgramHeader, index: Int)] {
        programHeaders.enumerated().filter { $0.element.isLoadable && $0.element.mappedSize > 0 }
            .map { (header: $0.element, index: $0.offset) }
    }

    /// The file bytes of a loadable segment (validated at init).
    public func contents(of header: ProgramHeader) -> [UInt8] {
        source.bytes(at: Int(header.offset), count: Int(header.mappedSize))
    }

    /// A loadable segment at its physical address, its bytes read from the file when used.
    public func segment(of header: ProgramHeader) -> MemoryImage.Segment {
        MemoryImage.Segment(address: header.physicalAddress,
                            extent: FileExtent(source: source, fileOffset: Int(header.offset), count: Int(header.mappedSize)))
    }

    /// Every loadable segment's file bytes placed at its physical address; throws on overlap.
    public func memoryImage() throws(FirmwareError) -> MemoryImage {
        let segments = loadSegments.map { segment(of: $0.header) }
        for segment in segments where segment.end > 0x1_0000_0000 {
            throw .segmentOutsideMemory(address: segment.address, end: segment.end, chip: "any")
        }
        do { return try MemoryImage(segments: segments) } catch {
            throw .overlappingSegments(address: error.address, previousEnd: error.previousEnd)
        }
    }

    /// The physical address the entry point runs from: the entry translated through the segment that holds it.
    public var physicalEntry: UInt32? {
        for (header, _) in loadSegments {
            let start = UInt64(header.virtualAddress)
            if UInt64(entry) >= start && UInt64(entry) < start + UInt64(header.mappedSize) {
                return header.physicalAddress &+ (entry &- header.virtualAddress)
            }
        }
        return nil
    }
}
