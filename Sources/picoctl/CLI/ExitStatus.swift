import ArgumentParser

/// The exit statuses of every picoctl command: one table, shown in `--help` and in the README.
enum ExitStatus: Int32, CaseIterable {
    /// The command did what was asked.
    case success = 0
    /// The operation ran and failed: verify mismatch, a board in a batch failed, a device refused a command.
    case failure = 1
    /// The input is invalid: a firmware image that breaks a rule, a family that does not fit the board.
    case invalidInput = 2
    /// A file could not be read or written.
    case unreadable = 3
    /// No board matched the selection, or several did and none was chosen.
    case noDevice = 4
    /// USB or protocol error talking to a board (timeout, stall, unexpected answer).
    case deviceError = 5
    /// The operating system denied access to the device (see `picoctl doctor`).
    case accessDenied = 6
    /// The board disappeared in the middle of an operation.
    case disconnected = 7
    /// Flashed or rebooted, but the board did not start its program: it came back in BOOTSEL.
    case notBooted = 8
    /// `monitor --fail-on` saw its pattern.
    case patternFailed = 10
    /// `monitor --timeout` (or `--expect` without a match) ran out of time.
    case timedOut = 11
    /// Bad command line (argument parser).
    case usage = 64
    /// Interrupted by Ctrl-C, SIGTERM or SIGHUP; the board was released cleanly.
    case interrupted = 130

    /// What the status means, one line.
    var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "operation failed (verify mismatch, a board in a batch failed, device refused)"
        case .invalidInput: "invalid input (image breaks a rule, family does not fit the board)"
        case .unreadable: "file could not be read or written"
        case .noDevice: "no board matched, or several matched and none was selected"
        case .deviceError: "USB or protocol error talking to a board"
        case .accessDenied: "permission denied on the device (run `picoctl doctor`)"
        case .disconnected: "the board disappeared during the operation"
        case .notBooted: "flashed (or rebooted), but the board did not boot: it is still in BOOTSEL"
        case .patternFailed: "monitor --fail-on pattern seen"
        case .timedOut: "monitor --timeout expired before --expect matched"
        case .usage: "bad command line"
        case .interrupted: "interrupted (Ctrl-C, SIGTERM, SIGHUP); the board was released"
        }
    }

    /// The argument parser's exit code for this status.
    var exitCode: ExitCode { ExitCode(rawValue) }

    /// The table shown at the end of `picoctl --help`.
    static var helpTable: String {
        "EXIT STATUS:\n" + allCases.map { "  \(String($0.rawValue).leftPadded(3))  \($0.meaning)" }.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
