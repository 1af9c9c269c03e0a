#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Boards emulated by the harness (`Tests/Harness`, `python -m picoharness.server`): a testbed
/// whose usbdevfs handler answers PICOBOOT and the app's requests, driven through its control
/// socket. Programs run with `run` see the boards through the real libusb and libudev.
final class EmulatedBoards: @unchecked Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".venv/bin/python")
    static let harness = repository.appendingPathComponent("Tests/Harness")

    /// True when the harness and its Python environment are present (Scripts/setup.sh).
    static let isAvailable: Bool = Lab.isAvailable
        && FileManager.default.isExecutableFile(atPath: python.path)
        && FileManager.default.fileExists(atPath: harness.appendingPathComponent("picoharness/server.py").path)

    private let process: Process
    private let input: Pipe
    private var socket: Int32 = -1
    private var pending = Data()
    /// `UMOCKDEV_DIR` and `LD_PRELOAD` for programs that should see the boards.
    let environment: [String: String]

    /// Starts the harness with these board specs (`kind`: sim-rp2040, sim-rp2350; `mode`: bootsel, app).
    init(_ boards: [[String: Any]]) throws {
        process = Process()
        process.executableURL = Self.python
        let specs = String(decoding: try JSONSerialization.data(withJSONObject: boards), as: UTF8.self)
        process.arguments = ["-m", "picoharness.server", "--boards", specs, "--exit-with-stdin"]
        var env = ProcessInfo.processInfo.environment
        env["LD_PRELOAD"] = nil
        env["UMOCKDEV_DIR"] = nil
        env["PYTHONPATH"] = Self.harness.path
        process.environment = env
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0a]) { line.append(byte) }
        guard let ready = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let root = ready["UMOCKDEV_DIR"] as? String, let preload = ready["LD_PRELOAD"] as? String,
              let control = ready["control"] as? String else {
            throw HarnessError.notStarted(String(decoding: line, as: UTF8.self))
        }
        var env2 = ProcessInfo.processInfo.environment
        env2["UMOCKDEV_DIR"] = root
        env2["LD_PRELOAD"] = preload
        env2["NO_COLOR"] = "1"
        environment = env2
        // The harness announces itself as it starts listening: retry a refused connection briefly.
        var attempt = 0
        while true {
            do {
                socket = try Self.connect(control)
                break
            } catch where attempt < 50 {
                attempt += 1
                usleep(50_000)
            }
        }
    }

    enum HarnessError: Error { case notStarted(String), control(String) }

    private static func connect(_ path: String) throws -> Int32 {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 { Glibc.close(fd); throw HarnessError.control("cannot connect to \(path): errno \(errno)") }
        return fd
    }

    /// Sends one control command and returns the answer; throws when the harness refuses.
    @discardableResult
    func control(_ command: String, _ arguments: [String: Any] = [:]) throws -> [String: Any] {
        var request = arguments
        request["cmd"] = command
        var data = try JSONSerialization.data(withJSONObject: request)
        data.append(0x0a)
        _ = data.withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
        while !pending.contains(0x0a) {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = read(socket, &buffer, buffer.count)
            if count <= 0 { throw HarnessError.control("control socket closed") }
            pending.append(contentsOf: buffer.prefix(count))
        }
        let end = pending.firstIndex(of: 0x0a)!
        let line = pending[pending.startIndex..<end]
        pending = Data(pending[(end + 1)...])
        guard var answer = try JSONSerialization.jsonObject(with: line) as? [String: Any] else { throw HarnessError.control("bad answer") }
        if answer.removeValue(forKey: "ok") as? Bool != true { throw HarnessError.control("\(answer["error"] ?? "refused")") }
        return answer
    }

    /// Every board's state: mode, serial, unique_id, port, devnode, tty, ...
    func status() throws -> [[String: Any]] { try control("status")["boards"] as? [[String: Any]] ?? [] }

    /// Waits until board `index` shows every given key/value.
    @discardableResult
    func wait(_ index: Int, timeout: Double = 30, _ state: [String: Any]) throws -> [String: Any] {
        try control("wait", ["board": index, "state": state, "timeout": timeout])["board"] as? [String: Any] ?? [:]
    }

    /// The board's flash contents from `offset` (0 = 0x10000000).
    func readFlash(_ index: Int, offset: Int = 0, size: Int) throws -> [UInt8] {
        let b64 = try control("read_flash", ["board": index, "offset": offset, "size": size])["b64"] as? String ?? ""
        return [UInt8](Data(base64Encoded: b64) ?? Data())
    }

    /// Runs the built picoctl with the boards visible; kills it after `timeout`.
    func picoctl(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> Lab.Result {
        try Self.run(Lab.picoctl, arguments, environment: environment, timeout: timeout)
    }

    /// Runs a program and waits (at most `timeout`, then SIGKILL).
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String],
                    timeout: Duration, whileRunning: ((Process) -> Void)? = nil) throws -> Lab.Result {
        let child = Process()
        child.executableURL = executable
        child.arguments = arguments
        child.environment = environment
        let out = Pipe(), err = Pipe()
        child.standardOutput = out
        child.standardError = err
        try child.run()
        let killer = DispatchWorkItem { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        let (seconds, _) = timeout.components
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(seconds)), execute: killer)
        whileRunning?(child)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        killer.cancel()
        return Lab.Result(status: child.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Stops the harness.
    func close() {
        if socket >= 0 {
            _ = try? control("quit")
            Glibc.close(socket)
            socket = -1
        }
        try? input.fileHandleForWriting.close()
        if process.isRunning {
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    deinit { close() }
}
