// libFuzzer entry for the UF2 library: compiled together with Sources/UF2/*.swift by
// Scripts/fuzz.sh (`swiftc -sanitize=fuzzer,address`). Every input goes through every reader,
// the validator, binary info, IMAGE_DEF and boot2 decoding, and the UF2 writer. A crash, a
// sanitizer report or a trap is a bug; thrown `FirmwareError`s are the expected outcome.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = UF2Validator.validate(bytes)
    for type in [FirmwareFile.Format?.none, .uf2, .elf, .bin] {
        guard let file = try? FirmwareFile.read(bytes: bytes, type: type) else { continue }
        _ = BinaryInfo.decode(file.image, chip: file.chip)
        _ = MetadataBlock.find(in: file.image)
        _ = Boot2(image: file.image)
        _ = try? SDKConversion.flatten(file.image, limit: 4 << 20)
        if file.image.byteCount <= 1 << 20, let family = file.family {
            _ = try? UF2Writer.write(file.image, options: .init(family: family, completeSectors: true, absoluteBlockAddress: 0x10ff_ff00))
        }
        if file.format == .elf, let elf = try? ELFFile(bytes: bytes) {
            _ = try? SDKConversion.elfToUF2(elf, family: file.family ?? .rp2040, packageAddress: 0x1010_0000)
        }
    }
    return 0
}
