import UF2

extension MonitorSession {
    /// The symbolizer for `--elf FILE`, else for an ELF image (`flash FILE.elf --monitor`, `monitor --image FILE.elf`)
    /// or the `.elf` beside a UF2 image when it holds the same bytes; nil with `--no-symbolize` or none. An `--elf` that cannot be read is an error; an image that is no ELF is not.
    static func loadSymbolizer(options: MonitorOptions, image: String?) throws(MonitorError) -> AddressSymbolizer? {
        guard !options.noSymbolize, let path = options.elf ?? image.map(elfBeside) else { return nil }
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path, type: .elf) } catch {
            throw MonitorError(status: .unreadable, message: "cannot read \(path): \(error)")
        }
        guard ELFFile.hasMagic(bytes) else {
            if options.elf == nil { return nil }
            throw MonitorError(status: .invalidInput, message: "--elf \(path) is not an ELF file")
        }
        do {
            let symbolizer = try AddressSymbolizer(elf: ELFFile(bytes: bytes))
            if symbolizer.symbols.functions.isEmpty && options.elf != nil {
                throw MonitorError(status: .invalidInput, message: "--elf \(path) has no function symbols (stripped?)")
            }
            return symbolizer.symbols.functions.isEmpty ? nil : symbolizer
        } catch let error as MonitorError {
            throw error
        } catch {
            throw MonitorError(status: .invalidInput, message: "--elf \(path): \(error)")
        }
    }

    /// For a UF2 image, the ELF of the same name beside it when every byte it loads is in the UF2
    /// (the build that produced it); otherwise the image itself.
    private static func elfBeside(_ image: String) -> String {
        guard image.hasSuffix(".uf2") else { return image }
        let candidate = String(image.dropLast(4)) + ".elf"
        guard let uf2 = try? FileIO.read(image, type: .uf2), let elf = try? FileIO.read(candidate, type: .elf),
              let flashed = try? FirmwareFile.read(bytes: uf2), let built = try? FirmwareFile.read(bytes: elf),
              built.image.segments.allSatisfy({ segment in
                  flashed.image.segments(in: segment.address, length: segment.bytes.count).flatMap(\.bytes) == segment.bytes
              }) else { return image }
        return candidate
    }
}

/// The chunked output path with `--elf`: whole lines are annotated a chunk at a time (one write per
/// read, as without symbols); the partial line at a chunk's end waits for its end.
struct SymbolizingSplitter {
    private var pending: [UInt8] = []

    /// The annotated complete lines of `pending` + `bytes`; keeps the unfinished line.
    mutating func take(_ bytes: [UInt8], with symbolizer: AddressSymbolizer) -> [UInt8] {
        guard let last = bytes.lastIndex(where: { $0 == 0x0A || $0 == 0x0D }) else {
            pending += bytes
            return []
        }
        if pending.isEmpty && last == bytes.count - 1 { return symbolizer.annotate(bytes).text }   // no copy
        var region = pending
        region += bytes[...last]
        pending = Array(bytes[(last + 1)...])
        return symbolizer.annotate(region).text
    }

    /// The unfinished line, annotated, at the end of a stream.
    mutating func flush(with symbolizer: AddressSymbolizer) -> [UInt8] {
        defer { pending = [] }
        return pending.isEmpty ? [] : symbolizer.annotate(pending).text
    }
}
