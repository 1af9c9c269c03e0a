#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that could not be read or written, with the OS error.
struct FileIOError: Error, CustomStringConvertible {
    /// The path.
    var path: String
    /// What was being done: "read" or "write".
    var operation: String
    /// errno.
    var code: Int32

    /// `cannot read app.uf2: No such file or directory`.
    var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
}

/// Whole-file reads and writes with POSIX calls (no Foundation copy of the bytes).
enum FileIO {
    /// The whole file; `-` reads stdin.
    static func read(_ path: String) throws(FileIOError) -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "read", code: errno) }
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        var capacity = 1 << 16
        if fstat(fd, &st) == 0, st.st_size > 0 { capacity = Int(st.st_size) + 1 }
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "read", code: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Throws when `path` could not be written (an existing file this user may not write, or a
    /// folder that is missing or not writable), without creating or changing anything; `-` passes.
    static func checkWritable(_ path: String) throws(FileIOError) {
        guard path != "-" else { return }
        if access(path, F_OK) == 0 {
            guard access(path, W_OK) == 0 else { throw FileIOError(path: path, operation: "write", code: errno) }
            return
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        guard access(folder, W_OK | X_OK) == 0 else { throw FileIOError(path: path, operation: "write", code: errno) }
    }

    /// Writes `bytes` to `path` (created or truncated); `-` writes stdout.
    static func write(_ bytes: [UInt8], to path: String) throws(FileIOError) {
        let fd = path == "-" ? 1 : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "write", code: errno) }
        defer { if fd != 1 { close(fd) } }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "write", code: errno)
            }
            written += n
        }
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
