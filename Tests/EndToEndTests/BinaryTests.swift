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

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs picoctl with `arguments` and waits for it.
    static func run(_ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
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
