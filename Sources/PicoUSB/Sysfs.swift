#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A USB device's directory in Linux sysfs (`/sys/bus/usb/devices/1-3.2`): strings without opening
/// the device, and the tty of its CDC interface. Absent on other systems.
struct Sysfs {
    /// The device's directory.
    let directory: FilePath

    /// The directory of the device at `portPath`, when it exists.
    static func usbDevice(_ portPath: USBPortPath) -> Sysfs? {
        let directory = FilePath("/sys/bus/usb/devices").appending(portPath.description)
        return access(directory.string, F_OK) == 0 ? Sysfs(directory: directory) : nil
    }

    /// A text attribute without its trailing newline; nil when missing, unreadable or empty.
    func attribute(_ name: String) -> String? {
        Self.readText(directory.appending(name))
    }

    /// `/dev/ttyACM0` for the tty under the given interface (`1-3.2:1.0/tty/ttyACM0`), if any.
    func ttyPath(interface number: UInt8) -> String? {
        guard let last = directory.lastComponent?.string else { return nil }
        let ttyDirectory = directory.appending("\(last):1.\(number)").appending("tty")
        return Self.entries(ttyDirectory).sorted().first.map { "/dev/" + $0 }
    }

    /// Names in a directory, without `.` and `..`.
    static func entries(_ directory: FilePath) -> [String] {
        guard let dir = opendir(directory.string) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The whole of a small text file, trimmed of trailing newlines.
    static func readText(_ path: FilePath) -> String? {
        guard let fd = try? FileDescriptor.open(path, .readOnly) else { return nil }
        defer { try? fd.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let count = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
            if count <= 0 { break }
            bytes += chunk.prefix(count)
        }
        while let last = bytes.last, last == 0x0a || last == 0x0d || last == 0 { bytes.removeLast() }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
