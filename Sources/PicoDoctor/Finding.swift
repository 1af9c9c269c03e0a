/// One thing `doctor` checked, what it found and, when something needs fixing, the exact fix.
public struct Finding: Hashable, Sendable, Codable {
    /// How much a finding matters.
    public enum Severity: String, Hashable, Sendable, Codable, Comparable {
        /// Checked and fine.
        case ok
        /// Works, but may surprise the user.
        case warning
        /// Stops picoctl from working until fixed.
        case problem

        private var rank: Int { self == .ok ? 0 : self == .warning ? 1 : 2 }
        /// Orders ok < warning < problem.
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// A stable identifier of the check, such as `udev-rules` or `device-access`.
    public var check: String
    /// How much it matters.
    public var severity: Severity
    /// What was found, one sentence.
    public var summary: String
    /// The command or step that fixes it, when there is one.
    public var fix: String?

    /// A finding.
    public init(check: String, severity: Severity, summary: String, fix: String? = nil) {
        self.check = check
        self.severity = severity
        self.summary = summary
        self.fix = fix
    }
}
