#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UF2

/// A file that could not be read or written, with the OS error.
struct FileIOError: Error, CustomStringConvertible {
    /// The path.
    var path: String
    /// What was being done: "read" or "write".
    var operation: String
    /// errno.
    var code: Int32
    /// For a write: what became of the file that was there (nil when nothing needs saying).
    var note: String? = nil

    /// `cannot read app.uf2: No such file or directory`.
    var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" + (note.map { "; \($0)" } ?? "") }
}

/// Whole-file reads with POSIX calls (no Foundation copy of the bytes), bounded by what a Pico can hold.
enum FileIO {
    /// The whole file; `-` reads stdin. `type` (else the format its first bytes show) sets the
    /// largest size accepted (`FirmwareFile.sizeLimit`): a larger file is refused from its size
    /// before it is read, and no more than the limit is ever read from a pipe or device.
    /// Throws `FileIOError` when the OS refuses, `FirmwareError.fileTooLarge` past the limit.
    static func read(_ path: String, type: FirmwareFile.Format?) throws -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "read", code: errno) }
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        let regularSize: Int? = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : nil
        var out: [UInt8] = []
        // The first bytes decide the format, and so the limit.
        try readChunk(fd, path: path, into: &out, upTo: UF2Block.size)
        let format = type ?? FirmwareFile.detectFormat(out)
        let limit = FirmwareFile.sizeLimit(of: format)
        if let regularSize, regularSize > limit {
            throw FirmwareError.fileTooLarge(size: UInt64(regularSize), format: format, limit: limit)
        }
        out.reserveCapacity(min(regularSize ?? (1 << 20), limit) + 1)
        // At most one byte past the limit, 1 MiB at a time.
        while try readChunk(fd, path: path, into: &out, upTo: min(out.count + (1 << 20), limit + 1)) {
            if out.count > limit { throw FirmwareError.fileTooLarge(size: nil, format: format, limit: limit) }
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

    /// True when `path` (not `-`) names a regular file, symlinks followed.
    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return path != "-" && stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Reads a regular file of `format` in chunks of `chunk` bytes, one buffer reused, calling `body`
    /// with each; the size limit as in `read`. Returns false without reading when `path` is `-` or
    /// not a regular file (the caller reads it whole instead).
    static func stream(_ path: String, format: FirmwareFile.Format, chunk: Int = fileReadChunk,
                       _ body: (_ bytes: UnsafeRawBufferPointer, _ fileSize: Int) -> Void) throws -> Bool {
        guard isRegularFile(path) else { return false }  // checked before opening: opening a FIFO waits for its writer
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "read", code: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        let limit = FirmwareFile.sizeLimit(of: format)
        if Int(st.st_size) > limit { throw FirmwareError.fileTooLarge(size: UInt64(st.st_size), format: format, limit: limit) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let n = systemRead(fd, buffer.baseAddress, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "read", code: errno)
            }
            if n == 0 { return true }
            total += n
            if total > limit { throw FirmwareError.fileTooLarge(size: nil, format: format, limit: limit) }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), Int(st.st_size))
        }
    }

    /// Appends bytes read from `fd` until `out` holds `total` bytes (true) or the input ends (false).
    @discardableResult
    private static func readChunk(_ fd: Int32, path: String, into out: inout [UInt8], upTo total: Int) throws(FileIOError) -> Bool {
        while out.count < total {
            let want = total - out.count
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: want))
            let n = out.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + start, want) }
            out.removeLast(want - max(n, 0))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "read", code: errno)
            }
            if n == 0 { return false }
        }
        return true
    }

    /// Writes `bytes` to `path` through an `OutputFile`: the file is replaced only when complete.
    static func write(_ bytes: [UInt8], to path: String) throws(FileIOError) {
        let output = try OutputFile(path)
        try output.write(bytes)
        try output.commit()
    }

    /// True when `output` names the same file as `input` (through symlinks or hard links: same
    /// device and inode); false when either does not exist or is `-`.
    static func sameFile(_ input: String, _ output: String) -> Bool {
        guard input != "-", output != "-" else { return false }
        var a = stat(), b = stat()
        guard stat(input, &a) == 0, stat(output, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }
}

/// A file written so that a failure or a kill never destroys what was there: the bytes go to a
/// temporary file in the same folder, which `commit()` renames over the target (a durable output
/// is first synced to the disk, and its folder after the rename, so that a power loss also leaves
/// the old file or the new one). Until then the target is untouched; `discard()` (also on Ctrl-C or SIGTERM, and when the writer is
/// dropped uncommitted) removes the temporary file. `-` writes stdout and a device or pipe is
/// written directly, since neither can be replaced.
final class OutputFile {
    /// The path as given.
    let path: String
    private let fd: Int32
    private var temporary: String?
    private var target: String
    private var mode: mode_t = 0o644
    private var existed = false
    private var interruptKey: Int?
    private var finished = false
    private let durable: Bool

    /// Opens the output: a temporary file beside `path` (symlinks followed to the real file), or
    /// stdout for `-`; `durable` syncs it to the disk before it replaces the target.
    init(_ path: String, durable: Bool = true) throws(FileIOError) {
        self.path = path
        self.durable = durable
        target = path
        if path == "-" { fd = 1; return }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) != S_IFREG {  // a device, a pipe: written in place
                fd = open(path, O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { throw FileIOError(path: path, operation: "write", code: errno) }
                return
            }
            mode = st.st_mode & 0o7777
            existed = true
            if let resolved = realpath(path, nil) { target = String(cString: resolved); free(resolved) }
        } else {
            let mask = umask(0)
            umask(mask)
            mode = 0o666 & ~mask
        }
        let real = target
        let slash = real.lastIndex(of: "/")
        let folder = slash.map { String(real[...$0]) } ?? ""
        let name = slash.map { String(real[real.index(after: $0)...]) } ?? real
        var template = Array((folder + "." + name + ".picoctl-XXXXXX").utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileIOError(path: path, operation: "write", code: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temp = String(cString: template)
        temporary = temp
        interruptKey = Interruption.shared.register { unlink(temp) }
    }

    deinit { if !finished { discard() } }

    /// Appends bytes; on failure the temporary file is removed and the target left as it was.
    func write(_ bytes: UnsafeRawBufferPointer) throws(FileIOError) {
        let code = Self.writeAll(fd, bytes)
        if code != 0 { throw failure(code) }
    }

    /// Appends bytes; on failure the temporary file is removed and the target left as it was.
    func write(_ bytes: [UInt8]) throws(FileIOError) {
        let code = bytes.withUnsafeBytes { Self.writeAll(fd, $0) }
        if code != 0 { throw failure(code) }
    }

    /// Writes every byte; 0, or the errno of the write that failed.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var written = 0
        while written < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += n
        }
        return 0
    }

    /// Makes the output final: give it its mode, sync it when durable, rename over the target,
    /// sync the folder when durable.
    func commit() throws(FileIOError) {
        guard let temporary else {
            finished = true
            if fd > 2 { close(fd) }
            return
        }
        if fchmod(fd, mode) != 0 || (durable && fsync(fd) != 0) { throw failure(errno) }
        finished = true
        // A file system that reports write errors late (NFS) reports them at close at the latest.
        if close(fd) != 0 || rename(temporary, target) != 0 {
            let code = errno
            unlink(temporary)
            release()
            throw FileIOError(path: path, operation: "write", code: code, note: keptNote)
        }
        release()
        guard durable else { return }
        let slash = target.lastIndex(of: "/")
        let folder = slash.map { String(target[...$0]) } ?? "."
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }
    }

    /// Drops the output: the temporary file is removed, the target untouched.
    func discard() {
        guard !finished else { return }
        finished = true
        if fd > 2 { close(fd) }
        if let temporary { unlink(temporary) }
        release()
    }

    private func release() {
        if let key = interruptKey { Interruption.shared.remove(key); interruptKey = nil }
    }

    private var keptNote: String? { temporary == nil ? nil : existed ? "the previous \(path) is unchanged" : "\(path) was not created" }

    private func failure(_ code: Int32) -> FileIOError {
        let error = FileIOError(path: path, operation: "write", code: code, note: keptNote)
        discard()
        return error
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
