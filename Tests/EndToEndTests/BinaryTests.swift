import Foundation
import Testing

/// Runs the built `picoctl` binary the way a user does.
enum Binary {
    /// The built executable next to the test bundle.
    static var url: URL {
        var dir = Bundle.main.bundleURL
        while dir.pathComponents.count > 1 {
            let candidate = dir.appendingPathComponent("picoctl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) && !candidate.hasDirectoryPath { return candidate }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/picoctl")
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String; var timedOut = false }

    /// Runs picoctl with `arguments` and waits for it; after `timeout` seconds it is killed and the
    /// result says `timedOut`. `stdin` (a file path) becomes its standard input; `terminateAfter`
    /// sends SIGTERM after that many seconds; `direct` runs `arguments[0]` instead of picoctl.
    static func run(_ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
                    timeout: Double = 120, terminateAfter: Double? = nil, direct: Bool = false,
                    in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = direct ? URL(fileURLWithPath: arguments[0]) : url
        process.arguments = direct ? Array(arguments.dropFirst()) : arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin)) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let killed = Killed()
        if let terminateAfter {
            DispatchQueue.global().asyncAfter(deadline: .now() + terminateAfter) {
                if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if process.isRunning { killed.set(); kill(process.processIdentifier, SIGKILL) }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errBytes = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBytes, as: UTF8.self), timedOut: killed.value)
    }
}

/// A flag set from the timeout's queue and read after the process ended.
final class Killed: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

@Suite struct BinaryTests {
    @Test func helpListsExitStatuses() throws {
        let result = try Binary.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("EXIT STATUS"))
        #expect(result.stdout.contains("130"))
    }

    @Test func unknownCommandIsAUsageError() throws {
        let result = try Binary.run(["no-such-command"])
        #expect(result.status == 64)
        #expect(!result.stderr.isEmpty)
    }
}

/// A temporary folder of one test suite's files (under the system's temporary directory).
struct ScratchFolder {
    let url: URL

    init(_ prefix: String) {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` in the folder.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` in the folder; returns its path.
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }
}
