/// The functions of an ELF file's symbol table (`.symtab`), for turning code addresses into names.
///
/// ```swift
/// let symbols = try ELFSymbols(elf: ELFFile(bytes: bytes))
/// symbols.lookup(0x1000_0234)   // ("main", 0x1c)
/// ```
public struct ELFSymbols: Sendable {
    /// One function: where it starts (Thumb bit cleared), how long it is, its name.
    public struct Function: Sendable, Equatable {
        /// Start address.
        public var address: UInt32
        /// Size in bytes (0 when the symbol gives none).
        public var size: UInt32
        /// The symbol's name.
        public var name: String
    }

    /// Functions by start address.
    public let functions: [Function]

    /// These functions (sorted here by start address).
    init(functions: [Function]) {
        self.functions = functions.sorted { $0.address < $1.address }
    }

    /// Reads `.symtab` and its string table; an ELF without one gives no functions.
    public init(elf: ELFFile) throws(FirmwareError) {
        let sections = try ELFSection.all(in: elf)
        guard let table = sections.first(where: { $0.type == 2 }),     // SHT_SYMTAB
              Int(table.link) < sections.count else {
            functions = []
            return
        }
        let strings = sections[Int(table.link)]
        let bytes = elf.bytes
        var found: [Function] = []
        let count = Int(table.size) / 16
        for index in 0..<count {
            let base = Int(table.offset) + index * 16
            let info = bytes[base + 12]
            guard info & 0x0F == 2 else { continue }                        // STT_FUNC
            let value = bytes.u32(at: base + 4)!
            guard value != 0 else { continue }
            let name = strings.string(in: bytes, at: Int(bytes.u32(at: base)!))
            found.append(Function(address: value & ~1, size: bytes.u32(at: base + 8)!, name: name))
        }
        functions = found.sorted { $0.address < $1.address }
    }

    /// The function holding `address` and the offset into it; nil outside every function.
    public func lookup(_ address: UInt32) -> (name: String, offset: UInt32)? {
        var low = 0
        var high = functions.count
        while low < high {                       // first function starting after the address
            let middle = (low + high) / 2
            if functions[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let function = functions[low - 1]
        let offset = address - function.address
        guard offset < max(function.size, 1) else { return nil }
        return (function.name, offset)
    }
}

/// One ELF section header: what `ELFSymbols` and `DWARFLineTable` need.
public struct ELFSection: Sendable, Equatable {
    /// Its name from the section-name string table.
    public var name: String
    /// sh_type (2 = SHT_SYMTAB, 3 = SHT_STRTAB).
    public var type: UInt32
    /// Offset of its bytes in the file.
    public var offset: UInt32
    /// Size in bytes.
    public var size: UInt32
    /// sh_link (for a symbol table: its string table).
    public var link: UInt32

    /// The section headers of `elf`, named; throws when the table or a section lies past the end of the file.
    public static func all(in elf: ELFFile) throws(FirmwareError) -> [ELFSection] {
        let bytes = elf.bytes
        let shoff = Int(bytes.u32(at: 32)!)
        let entrySize = Int(bytes.u16(at: 46)!)
        let count = Int(bytes.u16(at: 48)!)
        let namesIndex = Int(bytes.u16(at: 50)!)
        guard shoff > 0, count > 0 else { return [] }
        guard entrySize >= 40, shoff + entrySize * count <= bytes.count else {
            throw .elfTruncated(needed: UInt64(shoff + max(entrySize, 40) * count), fileSize: bytes.count)
        }
        var sections: [ELFSection] = []
        for index in 0..<count {
            let base = shoff + index * entrySize
            let section = ELFSection(name: "", type: bytes.u32(at: base + 4)!, offset: bytes.u32(at: base + 16)!,
                                     size: bytes.u32(at: base + 20)!, link: bytes.u32(at: base + 24)!)
            if section.type != 8 && UInt64(section.offset) + UInt64(section.size) > UInt64(bytes.count) {   // 8: NOBITS
                throw .elfTruncated(needed: UInt64(section.offset) + UInt64(section.size), fileSize: bytes.count)
            }
            sections.append(section)
        }
        if namesIndex < count {
            let names = sections[namesIndex]
            for index in sections.indices {
                sections[index].name = names.string(in: bytes, at: Int(bytes.u32(at: shoff + index * entrySize)!))
            }
        }
        return sections
    }

    /// The NUL-terminated string at `offset` inside this (string table) section; empty when out of range.
    func string(in bytes: [UInt8], at offset: Int) -> String {
        let start = Int(self.offset) + offset
        let end = Int(self.offset) + Int(size)
        guard offset >= 0, start < end, end <= bytes.count else { return "" }
        var stop = start
        while stop < end && bytes[stop] != 0 { stop += 1 }
        return String(decoding: bytes[start..<stop], as: UTF8.self)
    }

    /// This section's bytes.
    func contents(in bytes: [UInt8]) -> ArraySlice<UInt8> {
        bytes[Int(offset)..<Int(offset) + Int(size)]
    }
}
