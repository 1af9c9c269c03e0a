import Testing
import Synchronization
@testable import UF2

/// Bytes served as a file would be, counting what is read: the largest single read and the total.
final class CountingSource: ImageSource {
    let bytes: [UInt8]
    private let counts = Mutex<(largest: Int, total: Int, reads: Int)>((0, 0, 0))

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var size: Int { bytes.count }
    var largestRead: Int { counts.withLock { $0.largest } }
    var totalRead: Int { counts.withLock { $0.total } }

    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) {
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
        counts.withLock { $0 = (max($0.largest, buffer.count), $0.total + buffer.count, $0.reads + 1) }
    }

    func reset() { counts.withLock { $0 = (0, 0, 0) } }
}

/// Images read through an `ImageSource` keep offsets into the file, not its bytes, and read it in
/// bounded pieces: what keeps `info`, `uf2 convert`, `flash` and `verify` independent of a file's size.
@Suite struct LazyImageTests {
    /// A BIN image of `count` bytes in a pattern, and its UF2 (no absolute block).
    static func program(_ count: Int) throws -> (bin: [UInt8], uf2: [UInt8]) {
        let bin = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + ($0 >> 12)) }
        return (bin, try SDKConversion.binToUF2(bin, family: .rp2350ArmS))
    }

    @Test func aUF2ImageHoldsOnlyItsIndexAndIsReadInBoundedPieces() throws {
        let (bin, uf2) = try Self.program(4 << 20)
        let source = CountingSource(uf2)
        let file = try FirmwareFile.read(source: source)
        // The scan reads each byte once (and the first 8 to detect the format), a pass at a time; the image is one run of blocks.
        #expect(source.totalRead <= uf2.count + 8 && source.largestRead <= fileReadChunk)
        #expect(file.image.segments.count == 1)
        let extent = try #require(file.image.segments[0].extent)
        #expect(extent.runs.count == 1 && extent.count == bin.count)
        // UF2 → BIN, piece by piece: the right bytes, no read larger than a piece.
        source.reset()
        var flat: [UInt8] = []
        SDKConversion.flatten(file.image) { flat.append(contentsOf: $0) }
        #expect(flat == bin)
        #expect(source.largestRead <= FileExtent.batch && source.totalRead < uf2.count + FileExtent.batch)
        // Byte reads (binary info, IMAGE_DEF) go through one window.
        source.reset()
        _ = BinaryInfo.decode(file.image, chip: .rp2350)
        _ = MetadataBlock.find(in: file.image)
        #expect(source.largestRead <= 2 * FileExtent.window)
        #expect(file.image[0x1000_0000 + 123_456] == bin[123_456] && file.image.word(at: 0x1000_0000 + 4096 - 2) == bin[4094..<4098].le32)
    }

    @Test func elfAndBINImagesReferToTheFileAndConvertAsHeldBytesDo() throws {
        let (bin, _) = try Self.program(1 << 20)
        let elfBytes = ELFBuilder(entry: 0x1000_0001, segments: [
            .init(vaddr: 0x1000_0000, paddr: 0x1000_0000, data: bin),
            .init(vaddr: 0x2000_0000, paddr: UInt32(0x1000_0000 + bin.count), data: [1, 2, 3, 4, 5]),
        ]).build()
        let source = CountingSource(elfBytes)
        let elf = try ELFFile(source: source)
        let load = try SDKConversion.loadImage(of: elf, family: .rp2040)
        // The two adjacent segments are one, still in the file.
        #expect(load.image.segments.count == 1 && load.image.segments[0].extent?.runs.count == 2)
        let held = try MemoryImage(segments: [.init(address: 0x1000_0000, bytes: bin + [1, 2, 3, 4, 5])])
        #expect(load.image == held)
        source.reset()
        var streamed: [UInt8] = []
        let (image, pages) = try SDKConversion.uf2Pages(load.image, kind: load.kind)
        try UF2Writer.write(image, pages: pages, options: .init(family: .rp2040)) { streamed.append(contentsOf: $0) }
        let (heldImage, heldPages) = try SDKConversion.uf2Pages(held, kind: load.kind)
        #expect(streamed == (try UF2Writer.write(heldImage, pages: heldPages, options: .init(family: .rp2040))))
        #expect(source.largestRead <= 64 << 10 && source.totalRead <= bin.count + 5 + (64 << 10))

        let binSource = CountingSource(bin)
        let file = try FirmwareFile.read(source: binSource, type: .bin)
        #expect(file.image.segments.count == 1 && file.image.segments[0].extent != nil && binSource.totalRead <= 8 + FileExtent.window)
        #expect(file.image == (try FirmwareFile.read(bytes: bin, type: .bin)).image)
    }

    @Test func blocksOutOfOrderOrOverlappingArePlacedAsTheBootromDoes() throws {
        // 0x100 before 0x000, then a block at 0x080 overlapping both, then a short block. In address
        // order each byte comes from the first block placed there: 0x80 bytes of the block at 0x080
        // and the last 0x80 bytes of the block at 0x100 remain.
        let bytes = uf2([block(0x1000_0100, 0, of: 4, fill: 2), block(0x1000_0000, 1, of: 4, fill: 1),
                         block(0x1000_0080, 2, of: 4, fill: 3), block(0x1000_0300, 3, of: 4, fill: 4, size: 16)])
        let file = try FirmwareFile.read(source: CountingSource(bytes))
        let expected = try MemoryImage(segments: [
            .init(address: 0x1000_0000, bytes: [UInt8](repeating: 1, count: 256) + [UInt8](repeating: 3, count: 128)
                  + [UInt8](repeating: 2, count: 128)),
            .init(address: 0x1000_0300, bytes: [UInt8](repeating: 4, count: 16)),
        ])
        #expect(file.image == expected)
        #expect(file.image.segments.allSatisfy { $0.extent != nil })
    }

    @Test func aSegmentThatChangesHoldsItsBytes() throws {
        var segment = try FirmwareFile.read(source: CountingSource(try Self.program(4096).uf2)).image.segments[0]
        #expect(segment.extent != nil)
        segment.bytes.append(9)
        #expect(segment.extent == nil && segment.count == 4097 && segment.bytes.last == 9)
    }
}

private extension ArraySlice where Element == UInt8 {
    var le32: UInt32 { withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
}
