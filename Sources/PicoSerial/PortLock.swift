#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The process that holds a tty: what a second reader is told.
public struct PortHolder: Sendable, Equatable, CustomStringConvertible {
    /// Its process id.
    public var pid: Int32
    /// Its command line (`/proc/PID/cmdline`, arguments joined by spaces), when readable.
    public var command: String?

    /// A holder from its parts.
    public init(pid: Int32, command: String?) {
        self.pid = pid
        self.command = command
    }

    /// `PID 1234 (picoctl monitor --serial E661…)`.
    public var description: String { "PID \(pid)" + (command.map { " (\($0))" } ?? "") }
}

/// One reader per tty: an exclusive `flock` on the open port (and `TIOCEXCL`, which refuses further
/// opens to unprivileged programs), and the holder found through `/proc` when the lock is taken.
enum PortLock {
    /// Takes the lock on an open port without waiting; when another process has it, fails with its holder (if found).
    static func acquire(_ fd: FileDescriptor) -> Result<Void, PortHolderLookup> {
        guard flock(fd.rawValue, LOCK_EX | LOCK_NB) != 0 else {
            // Emulated ttys answer TIOCEXCL with ENOTTY: the flock alone keeps other readers out.
            _ = ioctl(fd.rawValue, UInt(TIOCEXCL))
            return .success(())
        }
        var st = stat()
        let holder = fstat(fd.rawValue, &st) == 0 ? holder(device: st.st_dev, inode: st.st_ino) : nil
        return .failure(PortHolderLookup(holder: holder))
    }

    /// Who holds the node at `path` open (after an `open` refused with EBUSY), if anyone can be found.
    static func holder(path: String) -> PortHolder? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return holder(device: st.st_dev, inode: st.st_ino)
    }

    /// The process holding a lock on the file (`/proc/locks`), else any other process with it open (`/proc/*/fd`).
    static func holder(device: dev_t, inode: ino_t) -> PortHolder? {
        let me = getpid()
        let key = String(format2: major(of: device), minor(of: device), inode)
        let locks = SysfsDirectory.readText(FilePath("/proc/locks")) ?? ""
        for line in locks.split(separator: "\n") where !line.contains("->") {
            // "1: FLOCK  ADVISORY  WRITE 4242 00:05:87 0 EOF"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == key,
                  let pid = Int32(fields[4]), pid != me else { continue }
            return PortHolder(pid: pid, command: command(of: pid))
        }
        for name in SysfsDirectory(FilePath("/proc")).entries {
            guard let pid = Int32(name), pid != me else { continue }
            let fds = SysfsDirectory(FilePath("/proc/\(name)/fd"))
            for fd in fds.entries {
                var st = stat()
                if stat(fds.path.appending(fd).string, &st) == 0, st.st_dev == device, st.st_ino == inode {
                    return PortHolder(pid: pid, command: command(of: pid))
                }
            }
        }
        return nil
    }

    /// `/proc/PID/cmdline` with its NUL separators as spaces, at most 120 characters.
    static func command(of pid: Int32) -> String? {
        guard let text = SysfsDirectory.readText(FilePath("/proc/\(pid)/cmdline")) else { return nil }
        let joined = text.split(separator: "\0").joined(separator: " ")
        return joined.count > 120 ? String(joined.prefix(117)) + "..." : joined
    }

    static func major(of device: dev_t) -> UInt64 { (UInt64(device) >> 8) & 0xFFF | (UInt64(device) >> 32) & ~0xFFF }
    static func minor(of device: dev_t) -> UInt64 { UInt64(device) & 0xFF | (UInt64(device) >> 12) & ~0xFF }
}

/// A lock already taken, with its holder when `/proc` tells.
struct PortHolderLookup: Error {
    let holder: PortHolder?
}

private extension String {
    /// `/proc/locks`' device and inode key: `MAJ:MIN:INODE`, major and minor as two hex digits at least.
    init(format2 major: UInt64, _ minor: UInt64, _ inode: ino_t) {
        func hex2(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return digits.count < 2 ? "0" + digits : digits
        }
        self = "\(hex2(major)):\(hex2(minor)):\(inode)"
    }
}
