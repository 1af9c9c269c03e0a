import UF2

extension MonitorSession {
    /// The symbolizer for `--elf FILE`, else for an ELF image (`flash FILE.elf --monitor`, `monitor --image FILE.elf`);
    /// nil with `--no-symbolize` or neither. An `--elf` that cannot be read is an error; an image that is no ELF is not.
    static func loadSymbolizer(options: MonitorOptions, image: String?) throws(MonitorError) -> AddressSymbolizer? {
        guard !options.noSymbolize, let path = options.elf ?? image else { return nil }
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch {
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
}
