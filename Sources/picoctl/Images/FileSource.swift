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
    /// The file's modification time when opened: a write in place (a build writing the file anew, `cp`
    /// over it) moves it; a file replaced by a rename leaves the open one's as it was.
    private let modified: timespec

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
        modified = st.st_mtim
        let format = type ?? FirmwareFile.detectFormat(bytes(at: 0, count: min(size, 8)))
        let limit = FirmwareFile.sizeLimit(of: format)
        if size > limit { throw FirmwareError.fileTooLarge(size: UInt64(size), format: format, limit: limit) }
    }

    deinit { close(fd) }

    /// What changed in the file since it was opened (its size or its modification time), nil when nothing did.
    func changeSinceOpened() -> String? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return FileIOError(path: path, operation: "read", code: errno).description }
        if Int(st.st_size) != size { return "\(path) changed while it was read (\(size) bytes, now \(st.st_size))" }
        if st.st_mtim.tv_sec != modified.tv_sec || st.st_mtim.tv_nsec != modified.tv_nsec {
            return "\(path) changed while it was read (written again since it was opened)"
        }
        return nil
    }

    /// Reads with `pread`. A file that fails, shrinks or is written again under the command (an I/O
    /// error, another program truncating or rewriting it: a flash would mix two builds) ends the
    /// process with status 3 after the clean-ups that a signal would run (a conversion's temporary
    /// output is removed, a board is released): the image cannot be trusted.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) {
        if let change = changeSinceOpened() {
            Interruption.shared.abort(Diagnostics.text(.error, change), status: ExitStatus.unreadable.rawValue)
        }
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
