#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A directory in Linux sysfs (`/sys/bus/usb/devices/1-3.2`, `/sys/devices/.../tty/ttyACM0`): its text
/// attributes and entries, read without opening any device. Absent on other systems.
public struct SysfsDirectory: Sendable, Hashable {
    /// The directory.
    public let path: FilePath

    /// A directory by its path (not checked).
    public init(_ path: FilePath) { self.path = path }

    /// The directory at `path`, when it exists.
    public static func existing(_ path: FilePath) -> SysfsDirectory? {
        access(path.string, F_OK) == 0 ? SysfsDirectory(path) : nil
    }

    /// The directory of the USB device at port path `portPath` (`1-3.2`), when it exists.
    public static func usbDevice(portPath: String) -> SysfsDirectory? {
        existing(FilePath("/sys/bus/usb/devices").appending(portPath))
    }

    /// A text attribute without its trailing newline; nil when missing, unreadable or empty.
    public func attribute(_ name: String) -> String? {
        Self.readText(path.appending(name))
    }

    /// The directory one level up, if any.
    public var parent: SysfsDirectory? {
        var up = path
        guard up.removeLastComponent(), !up.isEmpty, up != "/" else { return nil }
        return SysfsDirectory(up)
    }

    /// The last path component (`1-3.2`, `1-3.2:1.0`, `ttyACM0`).
    public var name: String { path.lastComponent?.string ?? "" }

    /// A subdirectory.
    public func appending(_ component: String) -> SysfsDirectory { SysfsDirectory(path.appending(component)) }

    /// Names in the directory, without `.` and `..`, sorted.
    public var entries: [String] {
        guard let dir = opendir(path.string) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The whole of a small text file, trimmed of trailing newlines.
    static func readText(_ path: FilePath) -> String? {
        guard let fd = try? FileDescriptor.open(path, .readOnly) else { return nil }
        defer { try? fd.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while bytes.count < 64 * 1024 {
            let count = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
            if count <= 0 { break }
            bytes += chunk.prefix(count)
        }
        while let last = bytes.last, last == 0x0a || last == 0x0d || last == 0 { bytes.removeLast() }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
