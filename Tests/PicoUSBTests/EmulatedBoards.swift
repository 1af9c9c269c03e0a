#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarnessClient
import Testing

/// Boards emulated by the harness (`Tests/Harness`, `python -m picoharness.server`): a testbed
/// whose usbdevfs handler answers PICOBOOT and the app's requests, driven through its control
/// socket. Programs run with `run` see the boards through the real libusb and libudev.
final class EmulatedBoards: @unchecked Sendable {
    /// True when the harness and its Python environment are present (Scripts/setup.sh).
    static let isAvailable: Bool = Lab.isAvailable && Harness.isAvailable

    private let server: HarnessServer
    private let socket: HarnessControlSocket
    /// `UMOCKDEV_DIR` and `LD_PRELOAD` for programs that should see the boards.
    let environment: [String: String]

    /// Starts the harness with these board specs (`kind`: sim-rp2040, sim-rp2350; `mode`: bootsel, app).
    init(_ boards: [[String: Any]]) throws {
        server = try HarnessServer(boards: boards)
        var environment = server.environment
        environment["NO_COLOR"] = "1"
        self.environment = environment
        socket = try HarnessControlSocket(path: server.controlPath)
    }

    /// Sends one control command and returns the answer; throws when the harness refuses.
    @discardableResult
    func control(_ command: String, _ arguments: [String: Any] = [:]) throws -> [String: Any] {
        var request = arguments
        request["cmd"] = command
        var answer = try socket.send(request)
        answer.removeValue(forKey: "ok")
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
        _ = try? control("quit")
        socket.close()
        server.close()
    }

    deinit { close() }
}
