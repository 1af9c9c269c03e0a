/// One 512-byte UF2 block: header words, up to 476 bytes of payload, and the trailer.
///
/// Layout (little-endian): magic 0x0A324655, magic 0x9E5D5157, flags, target address, payload
/// size, block number, block count, family id or file size, 476 data bytes, magic 0x0AB16F30.
public struct UF2Block: Hashable, Sendable {
    /// Bytes in one block.
    public static let size = 512
    /// Bytes of the data area (payload plus whatever follows it: extension tags, MD5).
    public static let dataSize = 476
    /// First start magic (word 0).
    public static let magicStart0: UInt32 = 0x0A32_4655
    /// Second start magic (word 1).
    public static let magicStart1: UInt32 = 0x9E5D_5157
    /// End magic (last word).
    public static let magicEnd: UInt32 = 0x0AB1_6F30
    /// The payload size every Raspberry Pi bootrom requires.
    public static let picoPayloadSize: UInt32 = 256

    /// The flag bits of word 2.
    public struct Flags: OptionSet, Hashable, Sendable {
        /// The raw word.
        public var rawValue: UInt32
        /// Wraps a raw flags word.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// 0x1: not for main flash; bootloaders skip the block.
        public static let notMainFlash = Flags(rawValue: 0x0000_0001)
        /// 0x1000: the block is part of a file container (word 7 is a file size, data a file name).
        public static let fileContainer = Flags(rawValue: 0x0000_1000)
        /// 0x2000: word 7 holds a family id.
        public static let familyIDPresent = Flags(rawValue: 0x0000_2000)
        /// 0x4000: the last 24 data bytes hold an MD5 checksum of a flash range.
        public static let md5Present = Flags(rawValue: 0x0000_4000)
        /// 0x8000: extension tags follow the payload.
        public static let extensionTagsPresent = Flags(rawValue: 0x0000_8000)
        /// Every bit the UF2 specification defines.
        public static let known: Flags = [.notMainFlash, .fileContainer, .familyIDPresent, .md5Present, .extensionTagsPresent]
    }

    /// Word 0 as read.
    public var magicStart0: UInt32 = UF2Block.magicStart0
    /// Word 1 as read.
    public var magicStart1: UInt32 = UF2Block.magicStart1
    /// Word 2.
    public var flags: Flags
    /// Word 3: where the payload goes.
    public var targetAddress: UInt32
    /// Word 4: how many data bytes are payload.
    public var payloadSize: UInt32
    /// Word 5: this block's number, 0-based.
    public var blockNumber: UInt32
    /// Word 6: how many blocks the file (or this family's part of it) has.
    public var blockCount: UInt32
    /// Word 7: the family id when `.familyIDPresent`, else a file size or zero.
    public var familyOrFileSize: UInt32
    /// The 476-byte data area.
    public var data: [UInt8]
    /// The last word as read.
    public var magicEnd: UInt32 = UF2Block.magicEnd

    /// A block with the standard magics.
    public init(flags: Flags, targetAddress: UInt32, payloadSize: UInt32, blockNumber: UInt32,
                blockCount: UInt32, familyOrFileSize: UInt32, data: [UInt8]) {
        precondition(data.count <= UF2Block.dataSize, "UF2 data area is 476 bytes")
        self.flags = flags
        self.targetAddress = targetAddress
        self.payloadSize = payloadSize
        self.blockNumber = blockNumber
        self.blockCount = blockCount
        self.familyOrFileSize = familyOrFileSize
        self.data = data + [UInt8](repeating: 0, count: UF2Block.dataSize - data.count)
    }

    /// Decodes the 512 bytes at `offset` of `bytes` (which must hold them) without checking anything.
    public init(decoding bytes: UnsafeRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + UF2Block.size <= bytes.count, "a UF2 block needs 512 bytes")
        magicStart0 = bytes.le32(offset)
        magicStart1 = bytes.le32(offset + 4)
        flags = Flags(rawValue: bytes.le32(offset + 8))
        targetAddress = bytes.le32(offset + 12)
        payloadSize = bytes.le32(offset + 16)
        blockNumber = bytes.le32(offset + 20)
        blockCount = bytes.le32(offset + 24)
        familyOrFileSize = bytes.le32(offset + 28)
        data = Array(bytes[(offset + 32)..<(offset + 32 + UF2Block.dataSize)])
        magicEnd = bytes.le32(offset + 508)
    }

    /// Decodes a 512-byte block from an array.
    public init(decoding bytes: [UInt8], at offset: Int = 0) {
        self = bytes.withUnsafeBytes { UF2Block(decoding: $0, at: offset) }
    }

    /// True when all three magics are right.
    public var hasValidMagics: Bool {
        magicStart0 == UF2Block.magicStart0 && magicStart1 == UF2Block.magicStart1 && magicEnd == UF2Block.magicEnd
    }

    /// The family id, when the block carries one.
    public var family: Family? { flags.contains(.familyIDPresent) ? Family(rawValue: familyOrFileSize) : nil }

    /// The payload bytes (clamped to the data area).
    public var payload: ArraySlice<UInt8> { data[0..<Int(min(payloadSize, UInt32(UF2Block.dataSize)))] }

    /// True when this is the RP2350-E10 workaround block the SDK puts first: family `absolute`,
    /// block 0 of 2, 256 bytes of 0xEF, flags 0x2000 (optionally with the RP2 ignore-block extension).
    public var isRP2350AbsoluteBlock: Bool {
        guard hasValidMagics, flags.subtracting(.extensionTagsPresent) == .familyIDPresent,
              payloadSize == 256, blockCount == 2, blockNumber == 0,
              familyOrFileSize == Family.absolute.rawValue else { return false }
        guard data[0..<256].allSatisfy({ $0 == 0xEF }) else { return false }
        if flags.contains(.extensionTagsPresent) {
            return data.u32(at: 256) == UF2ExtensionTag.rp2IgnoreBlockWord
        }
        return true
    }

    /// The 512 encoded bytes.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(UF2Block.size)
        encode(into: &out)
        return out
    }

    /// Appends the 512 encoded bytes to `out`.
    public func encode(into out: inout [UInt8]) {
        for word in [magicStart0, magicStart1, flags.rawValue, targetAddress, payloadSize, blockNumber, blockCount, familyOrFileSize] {
            out.appendLE(word)
        }
        out.append(contentsOf: data)
        if data.count < UF2Block.dataSize { out.append(contentsOf: repeatElement(0, count: UF2Block.dataSize - data.count)) }
        out.appendLE(magicEnd)
    }
}

/// An extension tag found after a block's payload (flag 0x8000): `u8 size, u24 type, data`.
public struct UF2ExtensionTag: Hashable, Sendable {
    /// The 24-bit type.
    public var type: UInt32
    /// The tag's bytes after its 4-byte header.
    public var data: [UInt8]

    /// The whole word of the RP2 ignore-block tag (size 4, type 0x9957e3).
    public static let rp2IgnoreBlockWord: UInt32 = 0x9957_e304
    /// Tag types the UF2 specification and Raspberry Pi define, with their names.
    public static let knownTypes: [UInt32: String] = [
        0x9fc7bc: "firmware version", 0x650d9d: "description", 0x0be9f7: "page size",
        0xb46db0: "SHA-2 checksum", 0xc8a729: "device type", 0x9957e3: "RP2 ignore block",
    ]

    /// The tag's name when its type is known.
    public var name: String? { UF2ExtensionTag.knownTypes[type] }

    /// What went wrong parsing a block's extension tags.
    public struct ParseError: Error, Hashable, Sendable {
        /// Offset in the data area where the bad tag starts.
        public var offset: Int
        /// What is wrong with it.
        public var reason: String
    }

    /// Parses the tags that follow a payload of `payloadSize` bytes in a 476-byte data area.
    public static func parse(data: [UInt8], payloadSize: Int) throws(ParseError) -> [UF2ExtensionTag] {
        var offset = (payloadSize + 3) & ~3
        var tags: [UF2ExtensionTag] = []
        while true {
            guard let word = data.u32(at: offset) else {
                if offset >= data.count { return tags }
                throw ParseError(offset: offset, reason: "tag header runs past the data area")
            }
            if word == 0 { return tags }
            let size = Int(word & 0xff)
            guard size >= 4 else { throw ParseError(offset: offset, reason: "tag size \(size) is below 4") }
            guard offset + size <= data.count else {
                throw ParseError(offset: offset, reason: "tag of \(size) bytes runs past the data area")
            }
            tags.append(UF2ExtensionTag(type: word >> 8, data: Array(data[(offset + 4)..<(offset + size)])))
            offset += (size + 3) & ~3
        }
    }
}
