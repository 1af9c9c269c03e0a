// libFuzzer entry for the UF2 library: compiled together with Sources/UF2/*.swift by
// Scripts/fuzz.sh (`swiftc -sanitize=fuzzer,address`). Every input goes through every reader,
// the validator (whole and in pieces), binary info, IMAGE_DEF and boot2 decoding, and the UF2 writer. A crash, a
// sanitizer report or a trap is a bug; thrown `FirmwareError`s are the expected outcome. Each
// input is also placed at the top of the 32-bit address space (as a BIN ending at 0xffffffff or
// at 0xfffff000 + its first bytes, and its image moved to end at 2^32), where address loops that
// wrap around never end: Scripts/fuzz.sh runs with -timeout, so a hang fails like a crash.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let report = UF2Validator.validate(bytes)
    // The streaming readers, fed in pieces, agree with the whole-file ones.
    let piece = bytes.isEmpty ? 1 : Int(bytes[0]) * 3 + 1
    var check = UF2ValidationStream()
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + piece, bytes.count)
        bytes[offset..<end].withUnsafeBytes { check.consume($0) }
        offset = end
    }
    precondition(check.finish(wholeFile: bytes) == report, "chunked validation differs")
    for type in [FirmwareFile.Format?.none, .uf2, .elf, .bin] {
        guard let file = try? FirmwareFile.read(bytes: bytes, type: type) else { continue }
        exercise(file.image, family: file.family, chip: file.chip)
        if let top = movedToTop(file.image) { exercise(top, family: file.family, chip: file.chip) }
        if file.format == .elf, let elf = try? ELFFile(bytes: bytes) {
            _ = try? SDKConversion.elfToUF2(elf, family: file.family ?? .rp2040, packageAddress: 0x1010_0000)
            _ = try? SDKConversion.elfToUF2(elf, family: file.family ?? .rp2040, packageAddress: 0xffff_ff00)
        }
    }
    // The bytes as a BIN ending at 0xffffffff, and at 0xfffff000 plus an offset the input chooses.
    if !bytes.isEmpty && bytes.count <= 1 << 16 {
        let chosen = 0xffff_f000 | (UInt32(bytes[0]) | UInt32(bytes.count > 1 ? bytes[1] : 0) << 8) & 0xffc
        for offset in [UInt32(0x1_0000_0000 - UInt64(bytes.count)), chosen] {
            guard let file = try? FirmwareFile.read(bytes: bytes, type: .bin, offset: offset) else { continue }
            exercise(file.image, family: file.family, chip: file.chip)
            _ = try? SDKConversion.binToUF2(bytes, address: offset, family: .rp2350ArmS, absoluteBlockAddress: 0xffff_ff00)
        }
    }
    return 0
}

/// Every image consumer: binary info, IMAGE_DEF search, boot2, flattening, the UF2 writer.
func exercise(_ image: MemoryImage, family: Family?, chip: Chip?) {
    _ = BinaryInfo.decode(image, chip: chip)
    _ = BinaryInfo.decode(image, chip: chip == .rp2040 ? .rp2350 : .rp2040)
    _ = MetadataBlock.find(in: image)
    _ = FirmwareFile.guessFamily(image: image, machine: nil)
    _ = Boot2(image: image)
    _ = try? SDKConversion.flatten(image, limit: 4 << 20)
    if image.byteCount <= 1 << 20, let family {
        _ = try? UF2Writer.write(image, options: .init(family: family, completeSectors: true, absoluteBlockAddress: 0x10ff_ff00))
    }
}

/// The image moved so that its last byte is at 0xffffffff (nil when it spans more than 64 KiB).
func movedToTop(_ image: MemoryImage) -> MemoryImage? {
    guard let low = image.lowestAddress, let end = image.endAddress, end - UInt64(low) <= 1 << 16 else { return nil }
    let delta = UInt32(truncatingIfNeeded: 0x1_0000_0000 - end)
    return try? MemoryImage(segments: image.segments.map { .init(address: $0.address &+ delta, bytes: $0.bytes) })
}
