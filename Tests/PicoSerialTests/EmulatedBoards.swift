import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The shared board harness (Tests/Harness, run by `.venv/bin/python`) seen from Swift tests: it
/// starts the harness process and speaks its control protocol (one JSON object per line).
enum Emulation {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = repo.appendingPathComponent(".venv/bin/python")
    /// Set in the child test process that runs under umockdev's preload.
    static let insideVariable = "PICOSERIAL_INSIDE_UMOCKDEV"
    static var inside: Bool { ProcessInfo.processInfo.environment[insideVariable] != nil }

    /// True when `Scripts/setup.sh` has made the harness runnable here.
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: python.path)
            && FileManager.default.fileExists(atPath: repo.appendingPathComponent("Tests/Harness/picoharness/server.py").path)
    }
}

/// A harness process with boards; it ends when this object's stdin pipe closes.
final class HarnessProcess {
    let process = Process()
    let stdin = Pipe()
    let ready: [String: Any]

    init(boards: [[String: Any]]) throws {
        process.executableURL = Emulation.python
        let specs = String(decoding: try JSONSerialization.data(withJSONObject: boards), as: UTF8.self)
        process.arguments = ["-m", "picoharness.server", "--boards", specs, "--exit-with-stdin"]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = nil
        environment["UMOCKDEV_DIR"] = nil
        environment["PYTHONPATH"] = Emulation.repo.appendingPathComponent("Tests/Harness").path
        process.environment = environment
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) {
            line.append(byte)
        }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw ControlError(message: "the harness did not start: \(String(decoding: line, as: UTF8.self))")
        }
        ready = object
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// The environment that shows the boards to a program started now.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["UMOCKDEV_DIR"] = ready["UMOCKDEV_DIR"] as? String
        environment["LD_PRELOAD"] = ready["LD_PRELOAD"] as? String
        environment["PICOSERIAL_HARNESS_CONTROL"] = ready["control"] as? String
        return environment
    }
}

struct ControlError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A connection to the harness's control socket.
final class HarnessControl: @unchecked Sendable {
    private let fd: Int32
    private var pending = [UInt8]()

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes + [0])
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else { throw ControlError(message: "cannot connect to \(path): errno \(errno)") }
    }

    /// The control socket named by the environment of a process started inside the harness.
    static func fromEnvironment() throws -> HarnessControl {
        guard let path = ProcessInfo.processInfo.environment["PICOSERIAL_HARNESS_CONTROL"] else {
            throw ControlError(message: "PICOSERIAL_HARNESS_CONTROL is not set")
        }
        return try HarnessControl(path: path)
    }

    deinit { close(fd) }

    /// Sends one command and returns the answer; throws when the harness refuses it.
    @discardableResult
    func send(_ command: [String: Any]) throws -> [String: Any] {
        let request = try JSONSerialization.data(withJSONObject: command) + Data([0x0A])
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        while !pending.contains(0x0A) {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw ControlError(message: "the harness closed the control socket") }
            pending += chunk[0..<n]
        }
        let end = pending.firstIndex(of: 0x0A)!
        let line = Data(pending[..<end])
        pending.removeSubrange(...end)
        guard let answer = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw ControlError(message: "bad answer \(String(decoding: line, as: UTF8.self))")
        }
        guard answer["ok"] as? Bool == true else { throw ControlError(message: "\(answer["error"] ?? answer)") }
        return answer
    }

    /// Board `index` as the harness describes it (mode, serial, tty, port, dtr, ...).
    func board(_ index: Int = 0) throws -> [String: Any] {
        let boards = try send(["cmd": "status"])["boards"] as? [[String: Any]] ?? []
        return boards[index]
    }
}
