/// The address → file and line map of an ELF file's DWARF `.debug_line` (versions 2 to 5, 32-bit DWARF,
/// as GCC and Clang emit for Arm): every line program run, its rows kept sorted by address.
///
/// ```swift
/// let lines = try DWARFLineTable(elf: ELFFile(bytes: bytes))
/// lines.lookup(0x1000_0234)   // ("main.c", 42)
/// ```
public struct DWARFLineTable: Sendable {
    /// One row: from `address` on, code belongs to `file`:`line` (line 0: no source line, or an end of sequence).
    struct Row: Sendable {
        var address: UInt32
        var file: Int32
        var line: UInt32
    }

    private var rows: [Row] = []
    private var files: [String] = []

    /// Number of rows (end-of-sequence markers included).
    public var count: Int { rows.count }

    /// A table without rows.
    init() {}

    /// Runs every line program of `.debug_line`; an ELF without one gives an empty table. A unit
    /// that cannot be read (64-bit DWARF, unknown forms, a truncated header) is skipped.
    public init(elf: ELFFile) throws(FirmwareError) {
        let sections = try ELFSection.all(in: elf)
        guard let section = sections.first(where: { $0.name == ".debug_line" }) else { return }
        let bytes = elf.bytes
        let strings = Strings(line: sections.first { $0.name == ".debug_line_str" }?.contents(in: bytes),
                              str: sections.first { $0.name == ".debug_str" }?.contents(in: bytes))
        var reader = DWARFReader(bytes: section.contents(in: bytes))
        while reader.remaining >= 4 {
            let length = Int(reader.u32())
            guard length != 0xFFFF_FFFF, length <= reader.remaining else { break }
            var unit = DWARFReader(bytes: reader.take(length))
            runUnit(&unit, strings: strings)
        }
        rows.sort { ($0.address, $0.line == 0 ? 0 : 1) < ($1.address, $1.line == 0 ? 0 : 1) }
    }

    /// The file and line of the code at `address`; nil where no line program covers it.
    public func lookup(_ address: UInt32) -> (file: String, line: Int)? {
        var low = 0
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let row = rows[low - 1]
        guard row.line != 0, row.file >= 0, Int(row.file) < files.count else { return nil }
        return (files[Int(row.file)], Int(row.line))
    }

    struct Strings {
        var line: ArraySlice<UInt8>?
        var str: ArraySlice<UInt8>?
    }

    private mutating func runUnit(_ unit: inout DWARFReader, strings: Strings) {
        let version = unit.u16()
        guard (2...5).contains(version) else { return }
        if version >= 5 { _ = unit.u8(); _ = unit.u8() }                 // address size, segment selector size
        let headerLength = Int(unit.u32())
        guard headerLength <= unit.remaining else { return }
        var program = unit
        program.skip(headerLength)
        let minimumInstructionLength = UInt32(unit.u8())
        if version >= 4 { _ = unit.u8() }                                // maximum operations per instruction
        _ = unit.u8()                                                    // default_is_stmt
        let lineBase = Int32(Int8(bitPattern: unit.u8()))
        let lineRange = UInt32(unit.u8())
        let opcodeBase = unit.u8()
        guard lineRange > 0, opcodeBase > 0 else { return }
        var standardLengths: [UInt8] = []
        for _ in 1..<opcodeBase { standardLengths.append(unit.u8()) }
        // File names, as global indices into `files`; DWARF 5 counts from 0, earlier versions from 1.
        var unitFiles: [Int32] = []
        if version >= 5 {
            guard Self.entries(&unit, strings: strings) != nil,                  // directories
                  let fileNames = Self.entries(&unit, strings: strings) else { return }
            for name in fileNames { unitFiles.append(Int32(files.count)); files.append(name) }
        } else {
            while unit.remaining > 0, !unit.cString().isEmpty {}           // include directories
            unitFiles.append(-1)
            while unit.remaining > 0 {
                let name = unit.cString()
                if name.isEmpty { break }
                _ = unit.uleb(); _ = unit.uleb(); _ = unit.uleb()
                unitFiles.append(Int32(files.count))
                files.append(name)
            }
        }
        guard !unit.failed else { return }
        func fileIndex(_ index: UInt64) -> Int32 { index < unitFiles.count ? unitFiles[Int(index)] : -1 }

        var address: UInt32 = 0
        var file: UInt64 = 1
        var line: Int64 = 1
        func emit() { rows.append(Row(address: address, file: fileIndex(file), line: UInt32(clamping: line))) }
        func reset() { address = 0; file = 1; line = 1 }
        while program.remaining > 0 && !program.failed {
            let opcode = program.u8()
            if opcode >= opcodeBase {
                let adjusted = UInt32(opcode - opcodeBase)
                address &+= (adjusted / lineRange) * minimumInstructionLength
                line += Int64(lineBase) + Int64(adjusted % lineRange)
                emit()
                continue
            }
            switch opcode {
            case 0:
                let length = Int(program.uleb())
                guard length > 0, length <= program.remaining else { return }
                var extended = DWARFReader(bytes: program.take(length))
                switch extended.u8() {
                case 1:                                                      // end_sequence
                    rows.append(Row(address: address, file: -1, line: 0))
                    reset()
                case 2: address = extended.remaining >= 4 ? extended.u32() : address   // set_address
                default: break                                               // define_file, discriminator, vendor
                }
            case 1: emit()                                                   // copy
            case 2: address &+= UInt32(truncatingIfNeeded: program.uleb()) &* minimumInstructionLength
            case 3: line += program.sleb()
            case 4: file = program.uleb()
            case 8: address &+= ((255 - UInt32(opcodeBase)) / lineRange) * minimumInstructionLength
            case 9: address &+= UInt32(program.u16())
            default:                                                         // column, flags, isa, unknown: skip operands
                for _ in 0..<standardLengths[Int(opcode) - 1] { _ = program.uleb() }
            }
        }
    }

    /// DWARF 5 directory or file-name entries; returns their paths (nil on a form it cannot read).
    private static func entries(_ unit: inout DWARFReader, strings: Strings) -> [String]? {
        let formatCount = Int(unit.u8())
        var formats: [(content: UInt64, form: UInt64)] = []
        for _ in 0..<formatCount { formats.append((unit.uleb(), unit.uleb())) }
        let count = unit.uleb()
        guard count < 1 << 20 else { return nil }
        var paths: [String] = []
        for _ in 0..<count {
            var path = ""
            for (content, form) in formats {
                guard let value = unit.form(form, strings: strings) else { return nil }
                if content == 1, let text = value { path = text }           // DW_LNCT_path
            }
            paths.append(path)
        }
        return unit.failed ? nil : paths
    }
}

/// A cursor over DWARF bytes, little-endian; reading past the end sets `failed` and yields zeros.
struct DWARFReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    private(set) var failed = false

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - position }

    mutating func u8() -> UInt8 {
        guard position < bytes.endIndex else { failed = true; return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }

    mutating func uleb() -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = u8()
            if shift < 64 { value |= UInt64(byte & 0x7F) << shift }
            shift += 7
            if byte & 0x80 == 0 || failed { return value }
        }
    }

    mutating func sleb() -> Int64 {
        var value: Int64 = 0
        var shift: Int64 = 0
        var byte: UInt8
        repeat {
            byte = u8()
            if shift < 64 { value |= Int64(byte & 0x7F) << shift }
            shift += 7
        } while byte & 0x80 != 0 && !failed
        if shift < 64 && byte & 0x40 != 0 { value |= -(1 << shift) }
        return value
    }

    mutating func skip(_ count: Int) {
        guard count <= remaining else { failed = true; position = bytes.endIndex; return }
        position += count
    }

    mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        guard count <= remaining else { failed = true; position = bytes.endIndex; return [] }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func cString() -> String {
        let start = position
        while position < bytes.endIndex && bytes[position] != 0 { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if position < bytes.endIndex { position += 1 } else { failed = true }
        return text
    }

    /// One attribute value of `form`: a string for string forms, nil inside for others; nil for a form it cannot size.
    mutating func form(_ form: UInt64, strings: DWARFLineTable.Strings) -> String?? {
        switch form {
        case 0x08: return .some(cString())                                  // string
        case 0x1F, 0x0E:                                                    // line_strp, strp
            let offset = Int(u32())
            guard let table = form == 0x1F ? strings.line : strings.str, offset < table.count else { return .some(nil) }
            var reader = DWARFReader(bytes: table[(table.startIndex + offset)...])
            return .some(reader.cString())
        case 0x0B: skip(1)                                                  // data1
        case 0x05: skip(2)                                                  // data2
        case 0x06: skip(4)                                                  // data4
        case 0x07: skip(8)                                                  // data8
        case 0x1E: skip(16)                                                 // data16 (MD5)
        case 0x0F: _ = uleb()                                               // udata
        case 0x09: skip(Int(uleb()))                                        // block
        default: return nil
        }
        return .some(nil)
    }
}
