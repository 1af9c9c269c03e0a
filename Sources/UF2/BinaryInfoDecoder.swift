/// Reads an image's memory the way a running program sees it: RAM addresses covered by the copy
/// table resolve to the image bytes they are copied from.
struct MappedMemory {
    var image: MemoryImage
    var copyTable: [BinaryInfo.CopyEntry] = []

    func byte(_ address: UInt32) -> UInt8? {
        for row in copyTable where address >= row.destinationStart && address < row.destinationEnd {
            return image[row.source &+ (address - row.destinationStart)]
        }
        return image[address]
    }

    func word(_ address: UInt32) -> UInt32? {
        guard address <= UInt32.max - 3, let b0 = byte(address), let b1 = byte(address + 1),
              let b2 = byte(address + 2), let b3 = byte(address + 3) else { return nil }
        return UInt32(b0) | UInt32(b1) << 8 | UInt32(b2) << 16 | UInt32(b3) << 24
    }

    func half(_ address: UInt32) -> UInt16? {
        guard address <= UInt32.max - 1, let b0 = byte(address), let b1 = byte(address + 1) else { return nil }
        return UInt16(b0) | UInt16(b1) << 8
    }

    /// A NUL-terminated string of at most 512 bytes (as picotool reads them); nil when unmapped.
    func string(_ address: UInt32) -> String? {
        var bytes: [UInt8] = []
        var a = address
        while bytes.count < 512, let b = byte(a), b != 0 {
            bytes.append(b)
            if a == UInt32.max { break }
            a += 1
        }
        if bytes.isEmpty && byte(address) == nil { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension BinaryInfo {
    /// Finds and decodes the binary info of `image`; nil when the image has no binary info header.
    /// `chip` decides where to look (RP2040 flash images: after boot2, 64 words; otherwise 256
    /// words from the start) and how pin functions are named; nil guesses from the addresses.
    public static func decode(_ image: MemoryImage, chip: Chip? = nil) -> BinaryInfo? {
        guard let start = image.lowestAddress else { return nil }
        let isRP2040 = (chip ?? (image.endAddress.map { $0 > 0x2004_2000 && start >= 0x2000_0000 } == true ? .rp2350 : .rp2040)) == .rp2040
        var base = start
        var words = 256
        if isRP2040 {
            words = 64
            if base == 0x1000_0000 { base += 0x100 }
        }
        var memory = MappedMemory(image: image)
        for i in 0..<words {
            guard UInt64(base) + UInt64(4 * i) + 20 <= 0x1_0000_0000 else { break }  // the header's five words fit below 2^32
            let address = base + UInt32(4 * i)
            guard memory.word(address) == markerStart, i + 4 < words,
                  memory.word(address + 16) == markerEnd,
                  let from = memory.word(address + 4), let to = memory.word(address + 8),
                  let copy = memory.word(address + 12),
                  to > from, from % 4 == 0, to % 4 == 0, (to - from) / 4 <= 65536 else { continue }
            var info = BinaryInfo(headerAddress: address, binaryStart: start)
            var row = copy
            while info.copyTable.count < 64, let source = memory.word(row), source != 0,
                  let dStart = memory.word(row &+ 4), let dEnd = memory.word(row &+ 8) {
                if dEnd > dStart { info.copyTable.append(CopyEntry(source: source, destinationStart: dStart, destinationEnd: dEnd)) }
                row &+= 12
            }
            memory.copyTable = info.copyTable
            var decoder = Decoder(memory: memory, rp2040: isRP2040, info: info)
            var pointer = from
            while pointer < to {
                if let entry = memory.word(pointer) { decoder.visit(entry, depth: 0) }
                pointer += 4
            }
            return decoder.finish()
        }
        return nil
    }
}

/// Walks the entries and fills a `BinaryInfo`.
struct Decoder {
    var memory: MappedMemory
    var rp2040: Bool
    var info: BinaryInfo
    var pinLabels: [Int: [String]] = [:]
    var groupMembers: [String: [String]] = [:]
    var tagged: [(tag: UInt16, id: UInt32, text: String, value: BinaryInfo.TaggedValue)] = []

    mutating func visit(_ address: UInt32, depth: Int) {
        guard let type = memory.half(address), let tag = memory.half(address &+ 2) else { return }
        let mem = memory
        let w = { (offset: UInt32) in mem.word(address &+ offset) }
        switch type {
        case 1, 2, 4: break  // raw data, sized data, BSON: nothing to show
        case 3:  // list of entry pointers, zero terminated
            guard depth < 4, var p = w(4) else { return }
            var n = 0
            while n < 1024, let entry = memory.word(p), entry != 0 { visit(entry, depth: depth + 1); p &+= 4; n += 1 }
        case 5:
            guard let id = w(4), let value = w(8) else { return }
            if tag == BinaryInfo.tagRaspberryPi && id == 0x68f4_65de { info.binaryEnd = value; return }
            record(tag: tag, id: id, .init(type: 5, tag: tag, id: id, label: nil, value: String(Int32(bitPattern: value))))
        case 6:
            guard let id = w(4), let pointer = w(8) else { return }
            let text = memory.string(pointer) ?? ""
            if tag == BinaryInfo.tagRaspberryPi && assignString(id: id, text) { return }
            record(tag: tag, id: id, .init(type: 6, tag: tag, id: id, label: nil, value: text))
        case 7:
            guard let name = w(4), let start = w(8), let size = w(12), let flags = memory.half(address &+ 20) else { return }
            info.blockDevices.append(.init(name: memory.string(name) ?? "", address: start, size: size, flags: flags))
        case 8:
            guard let encoding = w(4) else { return }
            pinsWithFunction(UInt64(encoding), wide: false)
        case 13:
            guard let low = w(4), let high = w(8) else { return }
            pinsWithFunction(UInt64(low) | UInt64(high) << 32, wide: true)
        case 9:
            guard let mask = w(4), let label = w(8) else { return }
            pinsWithName(UInt64(mask), memory.string(label) ?? "")
        case 14:
            guard let low = w(4), let high = w(8), let label = w(12) else { return }
            pinsWithName(UInt64(low) | UInt64(high) << 32, memory.string(label) ?? "")
        case 10:
            guard let parentID = w(4), let flags = memory.half(address &+ 8), let groupTag = memory.half(address &+ 10),
                  let groupID = w(12), let label = w(16) else { return }
            info.namedGroups.append(.init(parentTag: tag, parentID: parentID, groupTag: groupTag, groupID: groupID,
                                          label: memory.string(label) ?? "", flags: flags, members: []))
        case 11:
            guard let id = w(4), let pointer = w(8), let label = w(12) else { return }
            let value = memory.word(pointer).map { String(Int32(bitPattern: $0)) } ?? "?"
            let name = memory.string(label) ?? ""
            record(tag: tag, id: id, .init(type: 11, tag: tag, id: id, label: name, value: value))
        case 12:
            guard let id = w(4), let pointer = w(8), let label = w(12) else { return }
            let name = memory.string(label) ?? ""
            record(tag: tag, id: id, .init(type: 12, tag: tag, id: id, label: name, value: memory.string(pointer) ?? ""))
        default:
            info.unknownEntries.append(address)
        }
    }

    /// Stores a known 'RP' string; false when the id is not one of them.
    mutating func assignString(id: UInt32, _ text: String) -> Bool {
        switch id {
        case 0x0203_1c86: info.programName = text
        case 0x11a9_bc3a: info.programVersion = text
        case 0x9da2_2254: info.buildDate = text
        case 0x1856_239a: info.url = text
        case 0xb6a0_7c19: info.programDescription = text
        case 0xa1f4_b453: info.features.append(text)
        case 0x4275_f0d3: info.buildAttributes.append(text)
        case 0x5360_b3ab: info.sdkVersion = text
        case 0xb63c_ffbb: info.board = text
        case 0x7f88_82e1: info.boot2Name = text
        default: return false
        }
        return true
    }

    mutating func record(tag: UInt16, id: UInt32, _ value: BinaryInfo.TaggedValue) {
        let text = value.label.map { "\($0) = \(value.value)" } ?? value.value
        tagged.append((tag, id, text, value))
    }

    mutating func pinsWithFunction(_ encoding: UInt64, wide: Bool) {
        let bitsPerPin: UInt64 = wide ? 8 : 5, pinMask: UInt64 = wide ? 0xff : 0x1f, firstPin: UInt64 = wide ? 8 : 7
        let maxPins = wide ? 7 : 5
        let kind = encoding & 7, function = Int((encoding >> 3) & 0xf)
        var pins: [Int] = []
        if kind == 1 {
            let lo = Int((encoding >> firstPin) & pinMask), hi = Int((encoding >> (firstPin + bitsPerPin)) & pinMask)
            if lo <= hi { pins = Array(lo...hi) }
        } else if kind == 2 {
            var work = encoding >> firstPin
            var last = -1
            for _ in 0..<maxPins {
                let current = Int(work & pinMask)
                if current == last { break }
                pins.append(current)
                last = current
                work >>= bitsPerPin
            }
        }
        for pin in pins where pin < 64 {
            pinLabels[pin, default: []].append(PinFunctions.name(function: function, pin: pin, rp2040: rp2040))
        }
    }

    mutating func pinsWithName(_ mask: UInt64, _ label: String) {
        var names = label.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        for pin in 0..<64 where mask & (1 << UInt64(pin)) != 0 {
            guard let current = names.first else { break }
            if !current.isEmpty { pinLabels[pin, default: []].append(current) }
            if names.count > 1 { names.removeFirst() }
        }
    }

    mutating func finish() -> BinaryInfo {
        var groups: [BinaryInfo.PinGroup] = []
        for pin in pinLabels.keys.sorted() {
            let label = pinLabels[pin]!.joined(separator: ", ")
            if let last = groups.last, last.label == label, last.pins.last == pin - 1 {
                groups[groups.count - 1].pins.append(pin)
            } else if let index = groups.firstIndex(where: { $0.label == label }) {
                groups[index].pins.append(pin)
            } else {
                groups.append(.init(pins: [pin], label: label))
            }
        }
        info.pins = groups
        for entry in tagged {
            if let g = info.namedGroups.firstIndex(where: { $0.groupTag == entry.tag && $0.groupID == entry.id }) {
                info.namedGroups[g].members.append(entry.text)
            } else {
                info.otherValues.append(entry.value)
            }
        }
        return info
    }
}
