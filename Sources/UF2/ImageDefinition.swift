/// An RP2350 metadata block (IMAGE_DEF or PARTITION_TABLE): marker 0xffffded3, items, a last
/// item giving the items' size, a relative link to the next block, marker 0xab123579.
public struct MetadataBlock: Hashable, Sendable {
    /// The first word of a block.
    public static let startMarker: UInt32 = 0xffff_ded3
    /// The last word of a block.
    public static let endMarker: UInt32 = 0xab12_3579
    /// How far from an image's start the bootrom looks for its first block.
    public static let searchWindow = 4096

    /// One item: type byte, size in words, and its words (header word included).
    public struct Item: Hashable, Sendable {
        /// The 7-bit item type (0x42 image type, 0x03 vector table, 0x44 entry point, ...).
        public var type: UInt8
        /// The item's words, its header word first.
        public var words: [UInt32]
        /// The item's name when known.
        public var name: String { MetadataBlock.itemNames[type] ?? "unknown item 0x" + String(type, radix: 16) }
    }

    /// What the IMAGE_TYPE item says about the image.
    public struct ImageType: Hashable, Sendable {
        /// The 16 flag bits of the item.
        public var flags: UInt16
        /// `invalid`, `exe` or `data`.
        public var imageType: String { ["invalid", "exe", "data"][safe: Int(flags & 0xf)] ?? "reserved(\(flags & 0xf))" }
        /// For executables: `arm`, `riscv` or `varmulet`.
        public var cpu: String { ["arm", "riscv", "varmulet"][safe: Int((flags >> 8) & 7)] ?? "reserved(\((flags >> 8) & 7))" }
        /// For executables: `rp2040` or `rp2350`.
        public var chip: String { ["rp2040", "rp2350"][safe: Int((flags >> 12) & 7)] ?? "reserved(\((flags >> 12) & 7))" }
        /// For executables: `unspecified`, `non-secure` or `secure`.
        public var security: String { ["unspecified", "non-secure", "secure"][safe: Int((flags >> 4) & 3)] ?? "reserved" }
        /// Try-before-you-buy flag.
        public var tryBeforeYouBuy: Bool { flags & 0x8000 != 0 }
    }

    /// Address of the start marker.
    public var address: UInt32
    /// The items in order (the last item excluded).
    public var items: [Item]
    /// The relative link word (0 = this block links to itself, ending the loop).
    public var link: Int32

    static let itemNames: [UInt8: String] = [
        0x41: "next block offset", 0x42: "image type", 0x03: "vector table", 0x44: "entry point",
        0x05: "rolling window delta", 0x06: "load map", 0x47: "hash definition", 0x48: "version",
        0x09: "signature", 0x0a: "partition table", 0x4b: "hash value", 0x0c: "salt", 0x7e: "ignored",
    ]

    /// The IMAGE_TYPE item's meaning, when the block has one (an IMAGE_DEF).
    public var imageType: ImageType? {
        items.first { $0.type == 0x42 }.map { ImageType(flags: UInt16(truncatingIfNeeded: $0.words[0] >> 16)) }
    }

    /// The family an IMAGE_DEF implies (rp2350-arm-s/-ns, rp2350-riscv), when it names an RP2350 executable.
    public var impliedFamily: Family? {
        guard let t = imageType, t.imageType == "exe", t.chip == "rp2350" else { return nil }
        if t.cpu == "riscv" { return .rp2350RiscV }
        return t.security == "non-secure" ? .rp2350ArmNS : .rp2350ArmS
    }

    /// The first well-formed block within `searchWindow` bytes of the image's lowest address.
    public static func find(in image: MemoryImage) -> MetadataBlock? {
        guard let base = image.lowestAddress else { return nil }
        // 64-bit, so that a window reaching the top of the address space ends there instead of wrapping.
        let end = min(UInt64(base) + UInt64(searchWindow), 0x1_0000_0000)
        var address = UInt64(base)
        while address + 4 <= end {
            if image.word(at: UInt32(address)) == startMarker, let block = parse(image, at: UInt32(address)) { return block }
            address += 4
        }
        return nil
    }

    /// Parses the block whose start marker is at `address`; nil when it is not well formed.
    public static func parse(_ image: MemoryImage, at address: UInt32) -> MetadataBlock? {
        guard image.word(at: address) == startMarker else { return nil }
        var cursor = UInt64(address) + 4
        var items: [Item] = []
        var totalWords = 0
        while items.count < 64 {
            guard cursor < 0xffff_fff0, let header = image.word(at: UInt32(cursor)) else { return nil }
            let type = UInt8(header & 0xff)
            let size = type & 0x80 != 0 ? Int((header >> 8) & 0xffff) : Int((header >> 8) & 0xff)
            if type == 0xff {  // last item: size is the words of all items before it
                guard size == totalWords, let link = image.word(at: UInt32(cursor + 4)),
                      image.word(at: UInt32(cursor + 8)) == endMarker else { return nil }
                return MetadataBlock(address: address, items: items, link: Int32(bitPattern: link))
            }
            guard size > 0 && size < 256, cursor + UInt64(4 * size) <= 0x1_0000_0000 else { return nil }
            var words: [UInt32] = []
            for i in 0..<size {
                guard let w = image.word(at: UInt32(cursor + UInt64(4 * i))) else { return nil }
                words.append(w)
            }
            items.append(Item(type: type & 0x7f, words: words))
            totalWords += size
            cursor += UInt64(4 * size)
        }
        return nil
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension MemoryImage {
    /// The little-endian word at `address`, or nil when any of its four bytes is undefined.
    public func word(at address: UInt32) -> UInt32? {
        guard UInt64(address) + 4 <= 0x1_0000_0000,
              let b0 = self[address], let b1 = self[address + 1], let b2 = self[address + 2], let b3 = self[address + 3]
        else { return nil }
        return UInt32(b0) | UInt32(b1) << 8 | UInt32(b2) << 16 | UInt32(b3) << 24
    }
}
