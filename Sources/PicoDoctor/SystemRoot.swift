#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parts of the host that `doctor` reads, rooted at a directory so tests can give it a fake tree.
public struct SystemRoot: Sendable {
    /// The directory that stands for `/`.
    public var path: String
    /// The ids of the groups the user belongs to.
    public var groupIDs: [UInt32]
    /// The user's id (0 is root, who needs no rules).
    public var userID: UInt32

    /// The real system, as the current process sees it.
    public static var current: SystemRoot {
        let count = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
        let got = getgroups(count, &groups)
        var ids = Array(groups.prefix(Int(max(got, 0)))).map { UInt32($0) }
        ids.append(UInt32(getegid()))
        return SystemRoot(path: "", groupIDs: ids, userID: UInt32(geteuid()))
    }

    /// A root at `path` with the given user and groups.
    public init(path: String, groupIDs: [UInt32], userID: UInt32) {
        self.path = path
        self.groupIDs = groupIDs
        self.userID = userID
    }

    /// The host path for an absolute path inside this root.
    public func resolve(_ absolute: String) -> String { path + absolute }

    /// The file's contents as text, or nil when it cannot be read.
    public func read(_ absolute: String) -> String? {
        guard let file = fopen(resolve(absolute), "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The names in a directory, sorted; empty when it cannot be listed.
    public func list(_ absolute: String) -> [String] {
        guard let dir = opendir(resolve(absolute)) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The target of a symbolic link, or nil.
    public func readLink(_ absolute: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(resolve(absolute), &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when the user may open the node for reading and writing.
    ///
    /// On the real system this asks the kernel (`access(2)`, which honours the ACLs that uaccess
    /// sets) and, for a USB device node, also opens it as libusb does (an open has no effect on
    /// the device, and it also catches what `access(2)` cannot see: security modules, read-only
    /// mounts); ttys are not opened, since opening one raises DTR on the board. Under a fake root
    /// it applies the mode bits to this root's user and groups.
    public func canReadWrite(_ absolute: String) -> Bool {
        if path.isEmpty {
            guard access(absolute, R_OK | W_OK) == 0 else { return false }
            guard absolute.hasPrefix("/dev/bus/usb/") else { return true }
            let fd = open(absolute, O_RDWR | O_CLOEXEC | O_NONBLOCK)
            if fd < 0 { return false }
            close(fd)
            return true
        }
        var info = stat()
        guard stat(resolve(absolute), &info) == 0 else { return false }
        let mode = UInt32(info.st_mode)
        if userID == 0 { return true }
        if UInt32(info.st_uid) == userID { return mode & 0o600 == 0o600 }
        if groupIDs.contains(UInt32(info.st_gid)) { return mode & 0o060 == 0o060 }
        return mode & 0o006 == 0o006
    }

    /// True when the path exists.
    public func exists(_ absolute: String) -> Bool { access(resolve(absolute), F_OK) == 0 }

    /// The id of a group named in `/etc/group`, or nil.
    public func groupID(named name: String) -> UInt32? {
        guard let text = read("/etc/group") else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 3, fields[0] == name, let id = UInt32(fields[2]) { return id }
        }
        return nil
    }
}
