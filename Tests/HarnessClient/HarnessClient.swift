#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The emulated-board harness (`Tests/Harness`, `python -m picoharness.server`) seen from Swift
/// tests: starting its process and speaking its control protocol (one JSON object per line).
public enum Harness {
    /// The repository's top directory.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// The Python of `.venv`, made by `Scripts/setup.sh` (system Python with python3-gi).
    public static let python = repository.appendingPathComponent(".venv/bin/python")
    /// The harness package.
    public static let directory = repository.appendingPathComponent("Tests/Harness")

    /// True when `Scripts/setup.sh` has made the harness runnable here.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: python.path)
            && FileManager.default.fileExists(atPath: directory.appendingPathComponent("picoharness/server.py").path)
    }
}

/// Why the harness could not be started or driven.
public struct HarnessError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A running harness process serving boards; it ends when `close()` is called or this object goes.
public final class HarnessServer: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    /// The harness's ready line: `UMOCKDEV_DIR`, `LD_PRELOAD`, `control` (socket path), boards.
    public let ready: [String: Any]

    /// Starts the harness with these board specs (`kind`: sim-rp2040, sim-rp2350, rp2040py; `mode`; ...).
    public init(boards: [[String: Any]]) throws {
        process.executableURL = Harness.python
        let specs = String(decoding: try JSONSerialization.data(withJSONObject: boards), as: UTF8.self)
        process.arguments = ["-m", "picoharness.server", "--boards", specs, "--exit-with-stdin"]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = nil          // the harness itself must not run preloaded
        environment["UMOCKDEV_DIR"] = nil
        environment["PYTHONPATH"] = Harness.directory.path
        process.environment = environment
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) {
            line.append(byte)
        }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              object["UMOCKDEV_DIR"] is String, object["LD_PRELOAD"] is String, object["control"] is String else {
            throw HarnessError("the harness did not start: \(String(decoding: line, as: UTF8.self))")
        }
        ready = object
    }

    /// The control socket's path.
    public var controlPath: String { ready["control"] as? String ?? "" }

    /// This process's environment plus what shows the boards to a program started now.
    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["UMOCKDEV_DIR"] = ready["UMOCKDEV_DIR"] as? String
        environment["LD_PRELOAD"] = ready["LD_PRELOAD"] as? String
        return environment
    }

    /// Closes the harness's stdin and waits (10 s at most, then SIGKILL) for it to exit.
    public func close() {
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

/// A connection to the harness's control socket (a Unix stream socket, JSON lines).
public final class HarnessControlSocket: @unchecked Sendable {
    private var fd: Int32
    private var pending = [UInt8]()

    /// Connects to the socket at `path`.
    public init(path: String) throws {
        fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HarnessError("cannot connect to \(path): errno \(code)")
        }
    }

    /// Sends one command (`cmd` plus arguments) and returns the answer; throws when the harness refuses it.
    @discardableResult
    public func send(_ command: [String: Any]) throws -> [String: Any] {
        guard fd >= 0 else { throw HarnessError("the control socket is closed") }
        let request = try JSONSerialization.data(withJSONObject: command) + Data([0x0A])
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        while !pending.contains(0x0A) {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw HarnessError("the harness closed the control socket") }
            pending += chunk[0..<n]
        }
        let end = pending.firstIndex(of: 0x0A)!
        let line = Data(pending[..<end])
        pending.removeSubrange(...end)
        guard let answer = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw HarnessError("bad answer \(String(decoding: line, as: UTF8.self))")
        }
        guard answer["ok"] as? Bool == true else { throw HarnessError("\(answer["error"] ?? answer)") }
        return answer
    }

    /// Closes the connection.
    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}
