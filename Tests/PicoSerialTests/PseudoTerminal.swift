#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A real pseudo-terminal pair for tests: the master plays the board, the slave path is what the code under test opens.
final class PseudoTerminal: @unchecked Sendable {
    let master: FileDescriptor
    let slavePath: String
    private var closed = false

    init() throws {
        // What posix_openpt/unlockpt/ptsname do (those need _XOPEN_SOURCE, which Glibc's module lacks).
        let fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        var unlock: Int32 = 0, number: UInt32 = 0
        let tiocsptlck: UInt = 0x4004_5431, tiocgptn: UInt = 0x8004_5430   // _IOW/_IOR('T', 0x31/0x30, int)
        guard ioctl(fd, tiocsptlck, &unlock) == 0, ioctl(fd, tiocgptn, &number) == 0 else {
            let error = Errno(rawValue: errno)
            _ = Glibc.close(fd)
            throw error
        }
        master = FileDescriptor(rawValue: fd)
        slavePath = "/dev/pts/\(number)"
        // The board side is raw too: no echo, no CR/LF translation.
        var tio = termios()
        tcgetattr(fd, &tio)
        cfmakeraw(&tio)
        tcsetattr(fd, TCSANOW, &tio)
    }

    deinit { close() }

    /// Writes bytes as the board would print them.
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            offset += try bytes[offset...].withUnsafeBytes { try master.write($0) }
        }
    }

    /// Writes a string as the board would print it.
    func print(_ text: String) throws { try write(Array(text.utf8)) }

    /// Reads what the host sent, waiting up to `timeoutMs` for the first byte.
    func read(timeoutMs: Int32 = 2000) throws -> [UInt8] {
        var pfd = pollfd(fd: master.rawValue, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMs) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = try buffer.withUnsafeMutableBytes { try master.read(into: $0) }
        return Array(buffer[0..<n])
    }

    /// The speed the slave side is set to (termios is shared by both ends of a pty).
    var outputSpeed: speed_t {
        var tio = termios()
        tcgetattr(master.rawValue, &tio)
        return cfgetospeed(&tio)
    }

    /// Hangs up: the slave's reader sees end of file or EIO, as when a board is unplugged.
    func close() {
        guard !closed else { return }
        closed = true
        try? master.close()
    }
}
