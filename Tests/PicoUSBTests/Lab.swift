import Foundation
import Testing

/// A lab of emulated USB devices (umockdev testbed run by `Lab/lab_testbed.py` on the system Python)
/// and helpers to run programs that see it through the real libusb and libudev.
final class Lab: @unchecked Sendable {
    /// One emulated device: kind (see the script), port path, optional serial and tty name.
    struct Device: Encodable {
        var kind: String
        var port: String
        var serial: String?
        var tty: String?
    }

    /// The testbed root, for `UMOCKDEV_DIR`.
    let root: String
    private let process: Process
    private let input: Pipe

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Lab/lab_testbed.py")
    static let preload = "libumockdev-preload.so.0"

    /// True when the system Python has umockdev's bindings and the preload library is installed (Scripts/setup.sh).
    static let isAvailable: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"),
              ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"].contains(where: {
                  FileManager.default.fileExists(atPath: "\($0)/\(preload)") }) else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        probe.arguments = ["-c", "import gi; gi.require_version('UMockdev', '1.0')"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    /// Starts a testbed with `devices`; it lives until `stop()` or this object goes away.
    init(_ devices: [Device]) throws {
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent("lab-\(UUID().uuidString).json")
        try JSONEncoder().encode(devices).write(to: spec)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script.path, spec.path]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = nil
        environment["UMOCKDEV_DIR"] = nil
        process.environment = environment
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0a]) {
            line.append(byte)
        }
        try? FileManager.default.removeItem(at: spec)
        root = String(decoding: line, as: UTF8.self)
        guard root.hasPrefix("/") else { throw LabError.testbedFailed(status: process.isRunning ? nil : process.terminationStatus) }
    }

    enum LabError: Error { case testbedFailed(status: Int32?) }

    /// Ends the testbed process (it removes its directory).
    func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit { stop() }

    /// The environment a program needs to see the lab.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["UMOCKDEV_DIR"] = root
        environment["LD_PRELOAD"] = Self.preload
        environment["NO_COLOR"] = "1"
        return environment
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `executable` with `arguments` inside the lab and waits for it.
    func run(_ executable: URL, _ arguments: [String], extraEnvironment: [String: String] = [:]) throws -> Result {
        let child = Process()
        child.executableURL = executable
        child.arguments = arguments
        child.environment = environment.merging(extraEnvironment) { $1 }
        let out = Pipe(), err = Pipe()
        child.standardOutput = out
        child.standardError = err
        try child.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        return Result(status: child.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The directory of the running test bundle (`.build/<triple>/debug`), where `picoctl` is built too.
    static var buildDirectory: URL {
        URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .deletingLastPathComponent()
    }

    /// The built `picoctl` executable.
    static var picoctl: URL { buildDirectory.appendingPathComponent("picoctl") }

    /// Runs the built picoctl inside the lab.
    func picoctl(_ arguments: String...) throws -> Result { try run(Self.picoctl, arguments) }

    /// A mixed lab: two RP2040s in BOOTSEL with the same serial, an RP2350 in BOOTSEL, an RP2040 app
    /// and a white-labelled app with ttys, MicroPython, a debugprobe, an unknown Raspberry Pi
    /// product and a mouse receiver.
    static let mixed: [Device] = [
        Device(kind: "rp2040-bootsel", port: "1-3.2", serial: "E0C912D24340"),
        Device(kind: "rp2040-bootsel", port: "1-3.3", serial: "E0C912D24340"),
        Device(kind: "rp2350-bootsel", port: "1-4", serial: "A1B2C3D4E5F60718"),
        Device(kind: "rp2040-app", port: "2-1", serial: "E6605481DB484636", tty: "ttyACM0"),
        Device(kind: "app-whitelabel", port: "2-2", serial: "0011223344556677", tty: "ttyACM1"),
        Device(kind: "micropython", port: "1-5", serial: "e66038b7136b9a2c"),
        Device(kind: "debugprobe", port: "1-6", serial: "E661410403457B2B"),
        Device(kind: "unknown-rpi", port: "1-7"),
        Device(kind: "other", port: "1-1"),
    ]
}
