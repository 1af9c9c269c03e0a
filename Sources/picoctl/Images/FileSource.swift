#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UF2

/// A regular file open for `pread`: the `ImageSource` behind images read from files, which keep
/// offsets into it rather than its bytes. Closed when the last image that refers to it goes.
final class FileSource: ImageSource {
    /// The path as given.
    let path: String
    /// The size when opened.
    let size: Int
    private let fd: Int32

    /// Opens `path` when it names a regular file no larger than the limit of `type` (else of the
    /// format its first bytes show); nil for `-`, a device or a pipe (read those whole). Throws
    /// `FileIOError` when the OS refuses, `FirmwareError.fileTooLarge` past the limit.
    init?(_ path: String, type: FirmwareFile.Format?) throws {
        guard FileIO.isRegularFile(path) else { return nil }  // checked before opening: opening a FIFO waits for its writer
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "read", code: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { close(fd); return nil }
        self.path = path
        self.fd = fd
        size = Int(st.st_size)
        let format = type ?? FirmwareFile.detectFormat(bytes(at: 0, count: min(size, 8)))
        let limit = FirmwareFile.sizeLimit(of: format)
        if size > limit { throw FirmwareError.fileTooLarge(size: UInt64(size), format: format, limit: limit) }
    }

    deinit { close(fd) }

    /// `count` bytes from `offset`.
    func bytes(at offset: Int, count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Reads with `pread`. A file that fails or shrinks under the command (an I/O error, another
    /// program truncating it) ends the process with status 3 after the clean-ups that a signal
    /// would run (a conversion's temporary output is removed): the image cannot be trusted.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            let error = n < 0 ? FileIOError(path: path, operation: "read", code: errno).description
                              : "\(path) became shorter while it was read (\(offset + done) of \(size) bytes)"
            Interruption.shared.abort(Diagnostics.text(.error, error), status: ExitStatus.unreadable.rawValue)
        }
    }
}
