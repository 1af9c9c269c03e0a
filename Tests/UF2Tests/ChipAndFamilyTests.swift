import Testing
@testable import UF2

@Suite struct FamilyTests {
    @Test func namesRoundTrip() {
        for family in Family.known {
            #expect(Family(parsing: family.name!) == family)
        }
        #expect(Family(parsing: "0xE48BFF56") == .rp2040)
        #expect(Family(parsing: "3834380118") == .rp2040)
        #expect(Family(parsing: "rp2041") == nil)
        #expect(Family(rawValue: 0x1234).name == nil)
        #expect(Family.rp2350RiscV.chip == .rp2350)
        #expect(Family.data.chip == nil)
    }
}

@Suite struct MemoryImageTests {
    @Test func mergesAdjacentAndRejectsOverlap() throws {
        let image = try MemoryImage(segments: [
            .init(address: 0x1000_0100, bytes: [3, 4]),
            .init(address: 0x1000_0000, bytes: [1, 2]),
            .init(address: 0x1000_0102, bytes: [5]),
        ])
        #expect(image.segments.count == 2)
        #expect(image.segments[1].bytes == [3, 4, 5])
        #expect(image[0x1000_0001] == 2)
        #expect(image[0x1000_0002] == nil)
        #expect(image[0x1000_0102] == 5)
        #expect(image.byteCount == 5)
        #expect(image.segments(in: 0x1000_0001, length: 0x100).map(\.bytes) == [[2], [3]])
        #expect(throws: MemoryImage.OverlapError.self) {
            try MemoryImage(segments: [.init(address: 0, bytes: [1, 2]), .init(address: 1, bytes: [3])])
        }
    }

    @Test func chipMemoryMap() {
        #expect(Chip.rp2040.isLoadable(0x1000_0000, length: 0x100_0000))
        #expect(!Chip.rp2040.isLoadable(0x1000_0000, length: 0x100_0001))
        #expect(Chip.rp2350.isLoadable(0x2008_1000, length: 0x1000))
        #expect(!Chip.rp2040.isLoadable(0x2008_1000, length: 0x1000))
        #expect(Chip.named("RP2350") == .rp2350)
    }
}
