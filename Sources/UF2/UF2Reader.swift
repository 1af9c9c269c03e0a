/// Reading UF2 files into images, the way a bootrom would: blocks with bad magics, an oversized
/// payload or flag 0x1 are skipped, the RP2350-E10 absolute block is recognised and set aside,
/// and each family gets its own image.
extension FirmwareFile {
    /// Usable blocks of one family in file order, as runs: `chunks` blocks of `size` payload bytes
    /// at consecutive addresses, 512 bytes apart in the file (every SDK and picotool file is one run
    /// per contiguous range), so the index of a 64 MiB file is a few words.
    struct PlacementRun {
        var address: UInt32
        var fileOffset: Int
        var size: Int
        var chunks: Int

        var end: UInt64 { UInt64(address) + UInt64(size * chunks) }

        /// Extends the run by the block at `address`/`fileOffset` when it continues it.
        mutating func extend(address: UInt32, fileOffset: Int, size: Int) -> Bool {
            guard size == self.size, UInt64(address) == end, fileOffset == self.fileOffset + chunks * UF2Block.size else { return false }
            chunks += 1
            return true
        }
    }

    /// Reads a UF2 file through `source` in passes of `fileReadChunk` bytes, handing each pass to
    /// `onChunk` (the whole file in order, e.g. for the validator); the images refer to the file.
    public static func readUF2(_ source: any ImageSource,
                               onChunk: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(FirmwareError) -> FirmwareFile {
        let size = source.size
        guard size > 0 else { throw .empty }
        let blockCount = size / UF2Block.size
        var order: [UInt32?] = []
        var placements: [UInt32?: [PlacementRun]] = [:]
        var hasAbsoluteBlock = false
        var anyValid = false
        var notMainFlash = 0
        var currentKey: UInt32? = nil
        var current: [PlacementRun] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(fileReadChunk, size), alignment: 16)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < size {
            let n = min(buffer.count, size - offset)
            let raw = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            source.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
            onChunk?(raw)
            for base in stride(from: 0, to: n - UF2Block.size + 1, by: UF2Block.size) {
                switch UF2BlockUse(raw, at: base) {
                case .invalid: continue
                case .notMainFlash: anyValid = true; notMainFlash += 1
                case .skipped: anyValid = true
                case .absolute: anyValid = true; hasAbsoluteBlock = true
                case .data(let key, let address, let count):
                    anyValid = true
                    let at = offset + base + 32
                    // The family of the last block is at hand: most blocks extend its last run.
                    if key != currentKey || current.isEmpty {
                        if !current.isEmpty { placements[currentKey] = current }
                        currentKey = key
                        current = placements.removeValue(forKey: key) ?? { order.append(key); return [] }()
                    }
                    if current.isEmpty || !current[current.count - 1].extend(address: address, fileOffset: at, size: count) {
                        current.append(PlacementRun(address: address, fileOffset: at, size: count, chunks: 1))
                    }
                }
            }
            offset += n
        }
        if !current.isEmpty { placements[currentKey] = current }
        guard anyValid else { throw .noValidUF2Blocks(fileSize: size) }
        var images: [Family: MemoryImage] = [:]
        var unlabelled: MemoryImage? = nil
        for key in order {
            let image = buildImage(source, placements[key] ?? [])
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

    /// Builds an image from placement runs: sorted by address (file order among equals), bytes that
    /// overlap an earlier placement dropped, contiguous runs joined into one segment. The segments
    /// refer to `source`.
    static func buildImage(_ source: any ImageSource, _ input: [PlacementRun]) -> MemoryImage {
        let runs = input.filter { $0.size > 0 }
        var inOrder = true
        for i in runs.indices.dropFirst() where UInt64(runs[i].address) < runs[i - 1].end { inOrder = false; break }
        let placed = inOrder ? runs : placedInOrder(runs)
        var segments: [MemoryImage.Segment] = []
        var current: (address: UInt32, end: UInt64, runs: [FileExtent.Run])? = nil
        func close() {
            if let c = current { segments.append(.init(address: c.address, extent: FileExtent(source: source, runs: c.runs))) }
        }
        for run in placed {
            let extentRun = FileExtent.Run(start: 0, fileOffset: run.fileOffset, chunk: run.size, stride: UF2Block.size, chunks: run.chunks)
            if current != nil && current!.end == UInt64(run.address) {
                current!.runs.append(extentRun)
                current!.end = run.end
            } else {
                close()
                current = (run.address, run.end, [extentRun])
            }
        }
        close()
        return (try? MemoryImage(segments: segments)) ?? MemoryImage()
    }

    /// Runs out of address order or overlapping, block by block: sorted by address (file order among
    /// equals), the bytes that overlap an earlier placement dropped (the rest of such a block is a
    /// run of its own).
    static func placedInOrder(_ runs: [PlacementRun]) -> [PlacementRun] {
        var blocks: [PlacementRun] = []
        for run in runs {
            for k in 0..<run.chunks {
                blocks.append(PlacementRun(address: run.address + UInt32(k * run.size), fileOffset: run.fileOffset + k * UF2Block.size,
                                           size: run.size, chunks: 1))
            }
        }
        let sorted = blocks.enumerated().sorted { ($0.element.address, $0.offset) < ($1.element.address, $1.offset) }.map(\.element)
        var placed: [PlacementRun] = []
        var end: UInt64 = 0
        for var block in sorted {
            if !placed.isEmpty && UInt64(block.address) < end {  // overlap with what is already placed: keep the first
                let skip = Int(min(end - UInt64(block.address), UInt64(block.size)))
                if skip == block.size { continue }
                block.address += UInt32(skip); block.fileOffset += skip; block.size -= skip
            }
            end = block.end
            if placed.isEmpty || !placed[placed.count - 1].extend(address: block.address, fileOffset: block.fileOffset, size: block.size) {
                placed.append(block)
            }
        }
        return placed
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
