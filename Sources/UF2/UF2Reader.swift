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
                switch UF2BlockUse(raw, at: base) {
                case .invalid: continue
                case .notMainFlash: anyValid = true; notMainFlash += 1
                case .skipped: anyValid = true
                case .absolute: anyValid = true; hasAbsoluteBlock = true
                case .data(let key, let address, let size):
                    anyValid = true
                    if placements[key] == nil { order.append(key) }
                    placements[key, default: []].append(PagePlacement(address: address, fileOffset: base + 32, size: size))
                }
            }
        }
        guard anyValid else { throw .noValidUF2Blocks(fileSize: bytes.count) }
        var images: [Family: MemoryImage] = [:]
        var unlabelled: MemoryImage? = nil
        for key in order {
            let image = buildImage(bytes, placements[key]!)
            if let key { images[Family(rawValue: key)] = image } else { unlabelled = image }
        }
        return uf2(order: order, images: images, unlabelled: unlabelled, blockCount: blockCount,
                   hasAbsoluteBlock: hasAbsoluteBlock, notMainFlashBlocks: notMainFlash)
    }

    /// The file from each family's image, the main family being the first chip family.
    static func uf2(order: [UInt32?], images: [Family: MemoryImage], unlabelled: MemoryImage?, blockCount: Int,
                    hasAbsoluteBlock: Bool, notMainFlashBlocks: Int) -> FirmwareFile {
        let families = order.compactMap { $0.map(Family.init(rawValue:)) }
        let main = families.first { $0.chip != nil } ?? families.first
        let image = main.flatMap { images[$0] } ?? unlabelled ?? MemoryImage()
        return FirmwareFile(format: .uf2, image: image, families: families, imagesByFamily: images,
                            blockCount: blockCount, hasAbsoluteBlock: hasAbsoluteBlock, notMainFlashBlocks: notMainFlashBlocks,
                            entryPoint: nil, machine: nil, kind: kindByAddress(image), conversionProblem: nil)
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

/// What a reader does with one block, as a bootrom decides it: ignore it (bad magics), skip it
/// (flag 0x1; payload larger than the data area or past 2^32), set the RP2350-E10 absolute block
/// aside, or place its payload for a family (nil: no family id).
enum UF2BlockUse {
    case invalid, notMainFlash, skipped, absolute
    case data(key: UInt32?, address: UInt32, size: Int)

    /// Classifies the block at `base` of `raw` (512 bytes must remain).
    init(_ raw: UnsafeRawBufferPointer, at base: Int) {
        guard raw.le32(base) == UF2Block.magicStart0, raw.le32(base + 4) == UF2Block.magicStart1,
              raw.le32(base + 508) == UF2Block.magicEnd else { self = .invalid; return }
        let flags = UF2Block.Flags(rawValue: raw.le32(base + 8))
        let size = raw.le32(base + 16)
        if flags.contains(.notMainFlash) { self = .notMainFlash; return }
        if size > UInt32(UF2Block.dataSize) { self = .skipped; return }
        let familyWord = raw.le32(base + 28)
        if familyWord == Family.absolute.rawValue && flags.contains(.familyIDPresent)
            && UF2Block(decoding: raw, at: base).isRP2350AbsoluteBlock { self = .absolute; return }
        let address = raw.le32(base + 12)
        guard UInt64(address) + UInt64(size) <= 0x1_0000_0000 else { self = .skipped; return }
        self = .data(key: flags.contains(.familyIDPresent) ? familyWord : nil, address: address, size: Int(size))
    }
}

/// Reads a UF2 file fed in chunks into a `FirmwareFile` without holding the file: each family's
/// payloads go straight into its segments. This works while every family's blocks come in
/// ascending address order without overlap (as every SDK and picotool file does); otherwise
/// `finish()` returns nil and the caller reads the whole file with `FirmwareFile.read(bytes:)`.
public struct UF2ImageStream {
    private var order: [UInt32?] = []
    private var segments: [UInt32?: [MemoryImage.Segment]] = [:]
    private var framing = UF2BlockFraming()
    private var size = 0
    private var anyValid = false
    private var hasAbsoluteBlock = false
    private var notMainFlash = 0
    private var expectedPayload = 0
    /// False once a block comes out of address order or overlaps: the stream cannot place it.
    public private(set) var inOrder = true

    /// A stream at the start of a file; `expectedSize` sizes the first segment once.
    public init(expectedSize: Int = 0) { expectedPayload = expectedSize / 2 }

    /// Feeds the next bytes of the file.
    public mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        size += chunk.count
        guard inOrder else { return }
        var framing = self.framing
        self.framing = UF2BlockFraming()
        framing.split(chunk) { place($0, at: 0) }
        self.framing = framing
    }

    private mutating func place(_ raw: UnsafeRawBufferPointer, at base: Int) {
        switch UF2BlockUse(raw, at: base) {
        case .invalid: return
        case .notMainFlash: anyValid = true; notMainFlash += 1
        case .skipped: anyValid = true
        case .absolute: anyValid = true; hasAbsoluteBlock = true
        case .data(let key, let address, let count):
            anyValid = true
            if segments[key] == nil { order.append(key); segments[key] = [] }
            guard count > 0 else { return }
            let payload = UnsafeRawBufferPointer(rebasing: raw[(base + 32)..<(base + 32 + count)])
            var list = segments.removeValue(forKey: key)!
            if let end = list.last?.end, UInt64(address) == end {
                // Moved out, grown, moved back: the bytes are never copied (an element appended to
                // in place is copied whole on each block in unoptimised builds).
                var last = list.removeLast()
                last.bytes.append(contentsOf: payload)
                list.append(last)
            } else if list.last.map({ UInt64(address) > $0.end }) ?? true {
                var bytes: [UInt8] = []
                if list.isEmpty && order.count == 1 { bytes.reserveCapacity(expectedPayload) }
                bytes.append(contentsOf: payload)
                list.append(MemoryImage.Segment(address: address, bytes: bytes))
            } else {
                inOrder = false
            }
            segments[key] = list
        }
    }

    /// The file, or nil when its blocks were out of order (read it whole instead). Throws as
    /// `FirmwareFile.read` does for a file without one valid block.
    public func finish() throws(FirmwareError) -> FirmwareFile? {
        guard inOrder else { return nil }
        guard size > 0 else { throw .empty }
        guard anyValid else { throw .noValidUF2Blocks(fileSize: size) }
        var images: [Family: MemoryImage] = [:]
        var unlabelled: MemoryImage? = nil
        for key in order {
            let image = (try? MemoryImage(segments: segments[key] ?? [])) ?? MemoryImage()
            if let key { images[Family(rawValue: key)] = image } else { unlabelled = image }
        }
        return FirmwareFile.uf2(order: order, images: images, unlabelled: unlabelled, blockCount: size / UF2Block.size,
                                hasAbsoluteBlock: hasAbsoluteBlock, notMainFlashBlocks: notMainFlash)
    }
}

/// Cuts a file fed in chunks of any size into whole 512-byte UF2 blocks; the bytes of a block cut
/// between two chunks wait here for the rest.
struct UF2BlockFraming {
    private var pending: [UInt8] = []

    /// Calls `block` with each whole block that `chunk` completes or holds, in file order.
    mutating func split(_ chunk: UnsafeRawBufferPointer, _ block: (UnsafeRawBufferPointer) -> Void) {
        var offset = 0
        if !pending.isEmpty {
            let take = min(UF2Block.size - pending.count, chunk.count)
            pending += chunk[0..<take]
            offset = take
            if pending.count == UF2Block.size {
                pending.withUnsafeBytes(block)
                pending.removeAll(keepingCapacity: true)
            }
        }
        while offset + UF2Block.size <= chunk.count {
            block(UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + UF2Block.size)]))
            offset += UF2Block.size
        }
        if offset < chunk.count { pending += chunk[offset...] }
    }
}
