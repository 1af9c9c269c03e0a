/// Turns a `MemoryImage` into UF2 blocks exactly as the pico-sdk (picotool `uf2 convert`) does.
///
/// Rules: every 256-byte page touched by the image becomes one block, zero-filled around the
/// image's bytes, in ascending address order, numbered 0..n-1 with count n, flags 0x2000 and the
/// family in word 7. Flash images additionally get all-zero pages completing every touched 4 KiB
/// sector, except pages after the last real one. RP2350 flash images may start with the
/// RP2350-E10 absolute block, which has its own numbering (block 0 of 2).
public enum UF2Writer {
    /// How to write the blocks.
    public struct Options: Hashable, Sendable {
        /// The family id written in every block.
        public var family: Family
        /// Complete touched 4 KiB sectors with zero pages (the SDK does this for flash ELF images, not for BIN).
        public var completeSectors: Bool
        /// Where to aim the RP2350-E10 absolute block, or nil for none. Ignored for `rp2040` and
        /// `absolute` families and for images that do not start in flash, as the SDK does.
        public var absoluteBlockAddress: UInt32?

        /// Options for `family`; no sector completion and no absolute block unless asked.
        public init(family: Family, completeSectors: Bool = false, absoluteBlockAddress: UInt32? = nil) {
            self.family = family
            self.completeSectors = completeSectors
            self.absoluteBlockAddress = absoluteBlockAddress
        }
    }

    /// The SDK's default target of the RP2350-E10 absolute block: the last page of 16 MiB of flash.
    public static let defaultAbsoluteBlockAddress: UInt32 = 0x10ff_ff00

    /// The page addresses the blocks will carry, ascending.
    public static func pageAddresses(of image: MemoryImage, completeSectors: Bool) -> [UInt32] {
        var pages: [UInt32] = []
        for segment in image.segments {
            var page = UInt64(segment.address) & ~0xff
            while page < segment.end {
                if pages.last != UInt32(page) { pages.append(UInt32(page)) }
                page += 256
            }
        }
        guard completeSectors, let lastPage = pages.last else { return pages }
        var completed: [UInt32] = []
        completed.reserveCapacity(pages.count)
        var lastSector: UInt64? = nil
        for page in pages {
            let sector = UInt64(page) & ~0xfff
            if sector == lastSector { continue }
            lastSector = sector
            var q = sector
            while q < sector + 4096 && q <= UInt64(lastPage) {
                completed.append(UInt32(q))
                q += 256
            }
        }
        return completed
    }

    /// The SDK's RP2350-E10 block: absolute family, block 0 of 2, 256 bytes of 0xEF, the RP2 ignore-block tag.
    public static func absoluteBlock(at address: UInt32) -> UF2Block {
        var data = [UInt8](repeating: 0xEF, count: 256)
        data.appendLE(UF2ExtensionTag.rp2IgnoreBlockWord)
        return UF2Block(flags: [.familyIDPresent, .extensionTagsPresent], targetAddress: address,
                        payloadSize: 256, blockNumber: 0, blockCount: 2,
                        familyOrFileSize: Family.absolute.rawValue, data: data)
    }

    /// Encodes `image` as UF2 bytes; throws `.emptyImage` when it has no byte.
    public static func write(_ image: MemoryImage, options: Options) throws(FirmwareError) -> [UInt8] {
        try write(image, pages: pageAddresses(of: image, completeSectors: options.completeSectors), options: options)
    }

    /// Encodes `image` as one block per address of `pages` (ascending, 256-aligned); pages the image
    /// does not touch are all zero.
    static func write(_ image: MemoryImage, pages: [UInt32], options: Options) throws(FirmwareError) -> [UInt8] {
        guard !pages.isEmpty else { throw .emptyImage }
        var out: [UInt8] = []
        out.reserveCapacity((pages.count + 1) * UF2Block.size)
        stream(image, pages: pages, options: options) { out.append(contentsOf: $0) }
        return out
    }

    /// Encodes `image` as `write` does, handing the bytes to `emit` in pieces of at most
    /// `chunkBlocks` blocks (one buffer reused), so that no copy of the whole file is made.
    public static func write(_ image: MemoryImage, pages: [UInt32], options: Options, chunkBlocks: Int = 256,
                             to emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !pages.isEmpty else { throw FirmwareError.emptyImage }
        try stream(image, pages: pages, options: options, chunkBlocks: chunkBlocks, emit)
    }

    private static func stream(_ image: MemoryImage, pages: [UInt32], options: Options, chunkBlocks: Int = 256,
                               _ emit: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let first = pages.first else { return }
        if let abs = options.absoluteBlockAddress, abs != 0,
           options.family != .absolute, options.family != .rp2040, Chip.rp2350.flash.contains(first) {
            try absoluteBlock(at: abs).encoded.withUnsafeBytes { try emit($0) }
        }
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBlocks * UF2Block.size, alignment: 16)
        defer { raw.deallocate() }
        let segments = image.segments
        var segmentIndex = 0
        var reader = SequentialReader()
        var filled = 0
        for (number, page) in pages.enumerated() {
            let base = filled * UF2Block.size
            UnsafeMutableRawBufferPointer(rebasing: raw[base..<(base + UF2Block.size)]).initializeMemory(as: UInt8.self, repeating: 0)
            func store(_ word: UInt32, _ at: Int) { raw.storeBytes(of: word.littleEndian, toByteOffset: base + at, as: UInt32.self) }
            store(UF2Block.magicStart0, 0); store(UF2Block.magicStart1, 4); store(UF2Block.Flags.familyIDPresent.rawValue, 8)
            store(page, 12); store(256, 16); store(UInt32(number), 20); store(UInt32(pages.count), 24); store(options.family.rawValue, 28)
            store(UF2Block.magicEnd, 508)
            // Copy the image bytes that fall in [page, page + 256).
            let pageStart = UInt64(page), pageEnd = pageStart + 256
            while segmentIndex < segments.count && segments[segmentIndex].end <= pageStart { segmentIndex += 1 }
            var s = segmentIndex
            while s < segments.count && UInt64(segments[s].address) < pageEnd {
                let segment = segments[s]
                let lo = max(UInt64(segment.address), pageStart), hi = min(segment.end, pageEnd)
                if lo < hi {
                    let at = base + 32 + Int(lo - pageStart)
                    reader.copy(segment, index: s, from: Int(lo - UInt64(segment.address)),
                                into: UnsafeMutableRawBufferPointer(rebasing: raw[at..<(at + Int(hi - lo))]))
                }
                if segment.end > pageEnd { break }
                s += 1
            }
            filled += 1
            if filled == chunkBlocks {
                try emit(UnsafeRawBufferPointer(rebasing: raw[0..<(filled * UF2Block.size)]))
                filled = 0
            }
        }
        if filled > 0 { try emit(UnsafeRawBufferPointer(rebasing: raw[0..<(filled * UF2Block.size)])) }
    }
}

/// Copies a segment's bytes read in ascending order: a segment that refers to a file is read
/// `size` bytes at a time (one read for many pages), held bytes are copied directly.
struct SequentialReader {
    private var window: [UInt8] = []
    private var segmentIndex = -1
    private var start = 0
    private let size: Int

    /// A reader with a buffer of `size` bytes.
    init(size: Int = 64 << 10) { self.size = size }

    /// Copies `destination.count` bytes (at most `size`) from `offset` of `segment`, the image's segment number `index`.
    mutating func copy(_ segment: MemoryImage.Segment, index: Int, from offset: Int, into destination: UnsafeMutableRawBufferPointer) {
        guard segment.extent != nil else { return segment.copyBytes(from: offset, into: destination) }
        if index != segmentIndex || offset < start || offset + destination.count > start + window.count {
            segmentIndex = index
            start = offset
            window = segment.bytes(from: offset, count: max(min(size, segment.count - offset), destination.count))
        }
        window.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(offset - start)..<(offset - start + destination.count)])) }
    }
}
