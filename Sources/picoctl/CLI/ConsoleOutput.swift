#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Where the CLI writes: stdout for results, stderr for diagnostics; unbuffered `write(2)` so bytes show at once.
struct ConsoleOutput: Sendable {
    /// Whether stdout gets ANSI colours: a terminal and `NO_COLOR` unset or empty.
    let colorStdout: Bool
    /// Whether stderr gets ANSI colours.
    let colorStderr: Bool

    /// Decides colours from the terminals and `NO_COLOR` (https://no-color.org).
    init() {
        let noColor = getenv("NO_COLOR").map { String(cString: $0).isEmpty == false } ?? false
        colorStdout = !noColor && isatty(1) == 1
        colorStderr = !noColor && isatty(2) == 1
    }

    /// Writes bytes to stdout; false when stdout is gone (a closed pipe).
    @discardableResult
    func out(_ bytes: [UInt8]) -> Bool { Self.write(bytes, to: .standardOutput) }

    /// Writes one diagnostic line to stderr, `picoctl: ` first, optionally coloured (SGR parameters).
    func status(_ text: String, color: String? = nil) {
        let line = colorStderr && color != nil ? "\u{1B}[\(color!)mpicoctl: \(text)\u{1B}[0m\n" : "picoctl: \(text)\n"
        Self.write(Array(line.utf8), to: .standardError)
    }

    /// Writes an error line to stderr (red on a terminal).
    func error(_ text: String) { status("error: \(text)", color: "31") }

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
