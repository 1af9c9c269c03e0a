#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Where the CLI writes: stdout for results, stderr for diagnostics; unbuffered `write(2)` so bytes show at once.
struct ConsoleOutput: Sendable {
    /// Whether stderr gets colours (decided by `Colour`).
    let colorStderr: Bool

    /// Output with the colour decision of this moment.
    init() {
        colorStderr = Colour.enabled(.stderr)
    }

    /// Writes bytes to stdout; false when stdout is gone (a closed pipe).
    @discardableResult
    func out(_ bytes: [UInt8]) -> Bool { Self.write(bytes, to: .standardOutput) }

    /// Writes one diagnostic line to stderr, `picoctl: ` first, optionally coloured (SGR parameters, as in `Colour.Style`).
    func status(_ text: String, color: String? = nil) {
        let line = colorStderr && color != nil ? Colour.wrap("picoctl: \(text)", sgr: color!) + "\n" : "picoctl: \(text)\n"
        Self.write(Array(line.utf8), to: .standardError)
    }

    /// Writes an error to stderr (see `Diagnostics`).
    func error(_ text: String) { Diagnostics.error(text) }

    @discardableResult
    static func write(_ bytes: [UInt8], to fd: FileDescriptor) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard let n = try? bytes[offset...].withUnsafeBytes({ try fd.write($0, retryOnInterrupt: true) }) else { return false }
            offset += n
        }
        return true
    }
}

/// A log file opened for appending; each `append` is one `write(2)`, so every line is on disk when it returns.
final class LogFile: Sendable {
    private let fd: FileDescriptor
    let path: String

    /// Opens (or creates, mode 0644) `path` for appending.
    init(path: String) throws {
        self.path = path
        fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.append, .create, .closeOnExec],
                                     permissions: [.ownerReadWrite, .groupRead, .otherRead])
    }

    deinit { try? fd.close() }

    /// Appends bytes; throws the write's error (a full disk: `ENOSPC`).
    func append(_ bytes: [UInt8]) throws(Errno) {
        do {
            _ = try fd.writeAll(bytes)
        } catch let error as Errno {
            throw error
        } catch {
            throw .ioError
        }
    }
}
