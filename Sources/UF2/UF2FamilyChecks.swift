/// Rules that look at all the blocks of one family together: numbering, counts, overlaps,
/// flash/RAM mix, RP2040-E14 partial sectors, RAM entry, boot2 CRC.
enum UF2FamilyChecks {
    typealias Header = UF2Validator.Header

    static func check(_ headers: [Header], family: Family?, boot2: [UInt8]?, into sink: inout FindingSink) -> UF2ValidationReport.FamilySummary {
        let name = family?.description ?? "blocks without family id"
        checkNumbering(headers, name: name, into: &sink)
        // No copy in the usual case (every payload fits, addresses ascending): headers are 20 bytes a block.
        var usable = headers.contains { $0.size > UInt32(UF2Block.dataSize) } ? headers.filter { $0.size <= UInt32(UF2Block.dataSize) } : headers
        if zip(usable, usable.dropFirst()).contains(where: { $0.address > $1.address }) {
            usable.sort { ($0.address, $0.index) < ($1.address, $1.index) }
        }
        checkOverlaps(usable, into: &sink)
        if family == .rp2040 { checkRP2040(headers, sortedUsable: usable, boot2: boot2, into: &sink) }
        let low = usable.first?.address ?? 0
        let end = usable.reduce(UInt64(0)) { max($0, UInt64($1.address) + UInt64($1.size)) }
        return .init(family: family, blocks: headers.count, declaredCount: headers.first?.count ?? 0,
                     payloadBytes: usable.reduce(0) { $0 + Int($1.size) }, lowestAddress: low, endAddress: end)
    }

    static func checkNumbering(_ headers: [Header], name: String, into sink: inout FindingSink) {
        guard let first = headers.first else { return }
        let count = first.count
        for h in headers where h.count != count {
            sink.add(.error, "block-count", "block \(h.index) at \(hex32(h.address)): says the file has \(h.count) blocks, block \(first.index) says \(count) (\(name))", block: h.index, address: h.address)
        }
        for h in headers where h.number >= count {
            sink.add(.error, "block-number", "block \(h.index) at \(hex32(h.address)): block number \(h.number) is not below the block count \(count) (\(name))", block: h.index, address: h.address)
        }
        // Absurd counts: do not allocate for them, say so.
        guard count <= UInt32(headers.count) &* 4 &+ 4096, count < 1 << 26 else {
            sink.add(.error, "block-count", "block \(first.index): block count \(count) for \(headers.count) blocks of \(name): the bootrom waits forever for blocks that are not in the file", block: first.index, address: first.address)
            return
        }
        var seen = [Int32](repeating: -1, count: Int(count))
        for h in headers where h.number < count {
            let previous = seen[Int(h.number)]
            if previous >= 0 {
                sink.add(.error, "duplicate-block", "block \(h.index) at \(hex32(h.address)): block number \(h.number) already used by block \(previous) (\(name))", block: h.index, address: h.address)
            } else {
                seen[Int(h.number)] = Int32(h.index)
            }
        }
        var missing: [(UInt32, UInt32)] = []
        var total = 0
        var i = 0
        while i < seen.count {
            if seen[i] < 0 {
                var j = i
                while j + 1 < seen.count && seen[j + 1] < 0 { j += 1 }
                missing.append((UInt32(i), UInt32(j)))
                total += j - i + 1
                i = j + 1
            } else { i += 1 }
        }
        if total > 0 {
            let shown = missing.prefix(20).map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)-\($0.1)" }.joined(separator: ", ")
            sink.add(.error, "missing-block", "\(total) of \(count) block numbers never appear (\(name)): \(shown)\(missing.count > 20 ? ", ..." : ""); the bootrom waits for them and never reboots")
        }
    }

    static func checkOverlaps(_ sorted: [Header], into sink: inout FindingSink) {
        var previous: Header? = nil
        for h in sorted {
            if let p = previous, UInt64(h.address) < UInt64(p.address) + UInt64(p.size) {
                sink.add(.error, "overlap", "block \(h.index) at \(hex32(h.address)) overlaps block \(p.index) (\(hex32(p.address))..\(hex64(UInt64(p.address) + UInt64(p.size))))", block: h.index, address: h.address)
            }
            if previous == nil || UInt64(h.address) + UInt64(h.size) > UInt64(previous!.address) + UInt64(previous!.size) { previous = h }
        }
    }

    static func checkRP2040(_ headers: [Header], sortedUsable: [Header], boot2: [UInt8]?, into sink: inout FindingSink) {
        let chip = Chip.rp2040
        guard let first = headers.first else { return }
        let flashImage = chip.flash.contains(first.address)
        for h in sortedUsable where chip.flash.contains(h.address) != flashImage && chip.isLoadable(h.address, length: UInt64(h.size)) {
            sink.add(.error, "mixed-flash-ram", "block \(h.index) at \(hex32(h.address)) is in \(flashImage ? "RAM" : "flash") but block \(first.index) made this a \(flashImage ? "flash" : "RAM") image; the RP2040 bootrom ignores it", block: h.index, address: h.address)
        }
        if flashImage {
            checkE14(sortedUsable.filter { chip.flash.contains($0.address) }, into: &sink)
            checkBoot2(sortedUsable, boot2: boot2, into: &sink)
        } else {
            let ram = sortedUsable.filter { !chip.flash.contains($0.address) }
            guard let lowest = ram.first else { return }
            if chip.xipSRAM.contains(lowest.address) && !ram.contains(where: { chip.sram.contains($0.address) }) {
                sink.add(.error, "ram-entry", "block \(lowest.index) at \(hex32(lowest.address)): the RP2040 bootrom cannot enter a RAM image in XIP SRAM", block: lowest.index, address: lowest.address)
            }
            if let zero = ram.first(where: { $0.number == 0 }), zero.address != lowest.address {
                sink.add(.warning, "ram-entry", "block \(zero.index) (block number 0) is at \(hex32(zero.address)) but the image's lowest address is \(hex32(lowest.address)) (block \(lowest.index)); an RP2040 RAM image is entered at its lowest address, so the entry point must be there", block: lowest.index, address: lowest.address)
            }
        }
    }

    /// RP2040-E14: partially filled 4 KiB sectors at the start or in the middle of a flash image.
    static func checkE14(_ sorted: [Header], into sink: inout FindingSink) {
        guard let last = sorted.last else { return }
        let lastSector = last.address & ~0xfff
        var index = 0
        while index < sorted.count {
            let sector = sorted[index].address & ~0xfff
            var pages: UInt16 = 0  // one bit per 256-byte page of the sector
            var j = index
            while j < sorted.count && sorted[j].address & ~0xfff == sector {
                if sorted[j].size == 256 && sorted[j].address % 256 == 0 { pages |= 1 << ((sorted[j].address >> 8) & 15) }
                j += 1
            }
            if sector != lastSector && pages != 0xffff {
                let h = sorted[index]
                let where_ = index == 0 ? "starts the image mid-sector" : "is in the middle of the image"
                sink.add(.warning, "rp2040-e14", "block \(h.index) at \(hex32(h.address)): sector \(hex32(sector)) has \(pages.nonzeroBitCount) of 16 pages and \(where_); erratum RP2040-E14: the bootrom's mass-storage path may write it wrongly (convert with the SDK rules to complete sectors)", block: h.index, address: h.address)
            }
            index = j
        }
    }

    /// `payload`: the 256 bytes of the family's first block at 0x10000000 (kept as the blocks went by).
    static func checkBoot2(_ sorted: [Header], boot2 payload: [UInt8]?, into sink: inout FindingSink) {
        guard let h = sorted.first(where: { $0.address == Boot2.address && $0.size == 256 }),
              let payload, let boot2 = Boot2(bytes: payload) else { return }
        if !boot2.isValid {
            sink.add(.error, "boot2-crc", "block \(h.index) at \(hex32(h.address)): boot2 CRC is \(hex32(boot2.storedCRC)) but the first 252 bytes give \(hex32(boot2.computedCRC)); the RP2040 will not boot from flash and stays in BOOTSEL", block: h.index, address: h.address)
        }
    }
}
