/// Reading UF2 files into images, the way a bootrom would: blocks with bad magics, an oversized
/// payload or flag 0x1 are skipped, the RP2350-E10 absolute block is recognised and set aside,
/// and each family gets its own image.
extension FirmwareFile {
    /// One usable block's place in the file.
    struct PagePlacement {
        var address: UInt32
        var fileOffset: Int
        var size: Int
    }

    static func readUF2(_ bytes: [UInt8]) throws(FirmwareError) -> FirmwareFile {
        let blockCount = bytes.count / UF2Block.size
        var order: [UInt32?] = []
        var placements: [UInt32?: [PagePlacement]] = [:]
        var hasAbsoluteBlock = false
        var anyValid = false
        var notMainFlash = 0
        bytes.withUnsafeBytes { raw in
            for index in 0..<blockCount {
                let base = index * UF2Block.size
                guard raw.le32(base) == UF2Block.magicStart0, raw.le32(base + 4) == UF2Block.magicStart1,
                      raw.le32(base + 508) == UF2Block.magicEnd else { continue }
                anyValid = true
                let flags = UF2Block.Flags(rawValue: raw.le32(base + 8))
                let size = raw.le32(base + 16)
                if flags.contains(.notMainFlash) { notMainFlash += 1; continue }
                if size > UInt32(UF2Block.dataSize) { continue }
                let familyWord = raw.le32(base + 28)
                if familyWord == Family.absolute.rawValue && flags.contains(.familyIDPresent)
                    && UF2Block(decoding: raw, at: base).isRP2350AbsoluteBlock {
                    hasAbsoluteBlock = true
                    continue
                }
                let key: UInt32? = flags.contains(.familyIDPresent) ? familyWord : nil
                let address = raw.le32(base + 12)
                guard UInt64(address) + UInt64(size) <= 0x1_0000_0000 else { continue }
                if placements[key] == nil { order.append(key) }
                placements[key, default: []].append(PagePlacement(address: address, fileOffset: base + 32, size: Int(size)))
            }
        }
        guard anyValid else { throw .noValidUF2Blocks(fileSize: bytes.count) }
        var images: [Family: MemoryImage] = [:]
        var unlabelled: MemoryImage? = nil
        for key in order {
            let image = buildImage(bytes, placements[key]!)
            if let key { images[Family(rawValue: key)] = image } else { unlabelled = image }
        }
        let families = order.compactMap { $0.map(Family.init(rawValue:)) }
        let main = families.first { $0.chip != nil } ?? families.first
        let image = main.flatMap { images[$0] } ?? unlabelled ?? MemoryImage()
        return FirmwareFile(format: .uf2, image: image, families: families, imagesByFamily: images,
                            blockCount: blockCount, hasAbsoluteBlock: hasAbsoluteBlock, notMainFlashBlocks: notMainFlash, entryPoint: nil, machine: nil,
                            kind: kindByAddress(image), conversionProblem: nil)
    }

    /// Builds an image from placements: sorted by address (file order among equals), bytes that
    /// overlap an earlier placement dropped, contiguous runs merged into one segment.
    static func buildImage(_ bytes: [UInt8], _ input: [PagePlacement]) -> MemoryImage {
        var sortedInput = input
        var isSorted = true
        for i in sortedInput.indices.dropFirst() where sortedInput[i].address < sortedInput[i - 1].address { isSorted = false; break }
        if !isSorted {
            sortedInput = sortedInput.enumerated().sorted { ($0.element.address, $0.offset) < ($1.element.address, $1.offset) }.map(\.element)
        }
        var segments: [MemoryImage.Segment] = []
        var current: MemoryImage.Segment? = nil
        bytes.withUnsafeBufferPointer { buffer in
            for placement in sortedInput where placement.size > 0 {
                var address = UInt64(placement.address)
                var from = placement.fileOffset
                var size = placement.size
                if let c = current, address < c.end {  // overlap with what is already placed: keep the first
                    let skip = Int(min(c.end - address, UInt64(size)))
                    address += UInt64(skip); from += skip; size -= skip
                    if size == 0 { continue }
                }
                let chunk = UnsafeBufferPointer(rebasing: buffer[from..<(from + size)])
                if current != nil && current!.end == address {
                    current!.bytes.append(contentsOf: chunk)
                } else {
                    if let c = current { segments.append(c) }
                    current = MemoryImage.Segment(address: UInt32(address), bytes: Array(chunk))
                }
            }
        }
        if let c = current { segments.append(c) }
        return (try? MemoryImage(segments: segments)) ?? MemoryImage()
    }
}
