import UF2

import Dispatch
import Synchronization

/// The symbolizer of a monitor run, read on another thread from the moment the session is made:
/// reading an ELF's symbols and line table before opening the tty took long enough to lose a
/// program's first lines (DTR came late). The first use waits for it, once. `problem` receives,
/// once, why an `--elf` gives no symbols.
final class SymbolSource: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the loading thread before `done` is signalled; read only after waiting for it.
    private var loaded: Result<AddressSymbolizer?, MonitorError> = .success(nil)
    private let state = Mutex<(waited: Bool, value: AddressSymbolizer?)>((false, nil))
    private let problem: @Sendable (String) -> Void

    init(load: @escaping @Sendable () -> Result<AddressSymbolizer?, MonitorError>, problem: @escaping @Sendable (String) -> Void) {
        self.problem = problem
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            loaded = load()
            done.signal()
        }
    }

    /// The symbolizer, waiting the first time until it is read; nil when there are no symbols.
    var symbolizer: AddressSymbolizer? {
        let (value, failure) = state.withLock { state -> (AddressSymbolizer?, MonitorError?) in
            guard !state.waited else { return (state.value, nil) }
            done.wait()
            state.waited = true
            switch loaded {
            case .success(let value): state.value = value; return (value, nil)
            case .failure(let error): return (nil, error)
            }
        }
        if let failure { problem(failure.message + "; addresses are not annotated") }
        return value
    }
}

extension MonitorSession {
    /// Where the symbols come from: `--elf FILE`, else an ELF image (`flash FILE.elf --monitor`,
    /// `monitor --image FILE.elf`) or the `.elf` beside a UF2 image when it holds the same bytes; nil
    /// with `--no-symbolize` or none. An `--elf` that cannot be read, or is no ELF file, is an error
    /// at once; the symbols themselves are read on first use (`SymbolSource`).
    static func symbolSource(options: MonitorOptions, image: String?, problem: @escaping @Sendable (String) -> Void) throws(MonitorError) -> SymbolSource? {
        guard !options.noSymbolize else { return nil }
        if let path = options.elf {
            let bytes: [UInt8]
            do { bytes = try FileIO.read(path, type: .elf) } catch {
                throw MonitorError(status: .unreadable, message: "cannot read \(path): \(error)")
            }
            guard ELFFile.hasMagic(bytes) else { throw MonitorError(status: .invalidInput, message: "--elf \(path) is not an ELF file") }
            return SymbolSource(load: { loadSymbolizer(bytes, path: path, explicit: true) }, problem: problem)
        }
        guard let image else { return nil }
        return SymbolSource(load: {
            let path = elfBeside(image)
            guard let bytes = try? FileIO.read(path, type: .elf), ELFFile.hasMagic(bytes) else { return .success(nil) }
            return loadSymbolizer(bytes, path: path, explicit: false)
        }, problem: problem)
    }

    /// The symbolizer of an ELF file's bytes; with `explicit` (`--elf`), no function symbols is a problem to report.
    private static func loadSymbolizer(_ bytes: [UInt8], path: String, explicit: Bool) -> Result<AddressSymbolizer?, MonitorError> {
        do {
            let symbolizer = try AddressSymbolizer(elf: ELFFile(bytes: bytes))
            if symbolizer.symbols.functions.isEmpty {
                return explicit ? .failure(MonitorError(status: .invalidInput, message: "--elf \(path) has no function symbols (stripped?)")) : .success(nil)
            }
            return .success(symbolizer)
        } catch {
            return explicit ? .failure(MonitorError(status: .invalidInput, message: "--elf \(path): \(error)")) : .success(nil)
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
