import Foundation
import HarnessClient

/// The shared board harness as the serial tests use it: the test process starts the harness, then
/// re-runs itself under umockdev's preload, where the inside half talks to the control socket.
enum Emulation {
    /// Set in the child test process that runs under umockdev's preload.
    static let insideVariable = "PICOSERIAL_INSIDE_UMOCKDEV"
    static var inside: Bool { ProcessInfo.processInfo.environment[insideVariable] != nil }
    /// True when `Scripts/setup.sh` has made the harness runnable here.
    static var available: Bool { Harness.isAvailable }
}

/// A harness process with boards; it ends with this object.
final class HarnessProcess {
    let server: HarnessServer

    init(boards: [[String: Any]]) throws { server = try HarnessServer(boards: boards) }

    /// The environment that shows the boards to a program started now, and names the control socket.
    var environment: [String: String] {
        var environment = server.environment
        environment["PICOSERIAL_HARNESS_CONTROL"] = server.controlPath
        return environment
    }
}

/// The harness's control socket, from inside the preloaded child process.
final class HarnessControl: @unchecked Sendable {
    private let socket: HarnessControlSocket

    init(path: String) throws { socket = try HarnessControlSocket(path: path) }

    /// The control socket named by the environment of a process started inside the harness.
    static func fromEnvironment() throws -> HarnessControl {
        guard let path = ProcessInfo.processInfo.environment["PICOSERIAL_HARNESS_CONTROL"] else {
            throw HarnessError("PICOSERIAL_HARNESS_CONTROL is not set")
        }
        return try HarnessControl(path: path)
    }

    /// Sends one command and returns the answer; throws when the harness refuses it.
    @discardableResult
    func send(_ command: [String: Any]) throws -> [String: Any] { try socket.send(command) }

    /// Board `index` as the harness describes it (mode, serial, tty, port, dtr, ...).
    func board(_ index: Int = 0) throws -> [String: Any] {
        let boards = try send(["cmd": "status"])["boards"] as? [[String: Any]] ?? []
        return boards[index]
    }
}
