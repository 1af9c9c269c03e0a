import SystemPackage

/// The one voice of picoctl's diagnostics on stderr, used by every command:
///
///     picoctl: error: <what happened>
///       fix: <what to do>
///
/// and `picoctl: warning: …` likewise. The `fix` line is there only when there is one. The word
/// `error` is red and `warning` yellow when stderr gets colour (see `Colour`).
enum Diagnostics {
    /// How bad it is.
    enum Kind: String { case error, warning }

    /// The lines for one diagnostic, without the final newline.
    static func text(_ kind: Kind, _ what: String, fix: String? = nil, colour: Bool = false) -> String {
        let word = colour ? Colour.wrap(kind.rawValue, sgr: kind == .error ? "31" : "33") : kind.rawValue
        var text = "picoctl: \(word): \(what)"
        if let fix, !fix.isEmpty { text += "\n  fix: \(fix)" }
        return text
    }

    /// Writes an error to stderr.
    static func error(_ what: String, fix: String? = nil) { write(.error, what, fix: fix) }

    /// Writes a warning to stderr.
    static func warning(_ what: String, fix: String? = nil) { write(.warning, what, fix: fix) }

    private static func write(_ kind: Kind, _ what: String, fix: String?) {
        let line = text(kind, what, fix: fix, colour: Colour.enabled(.stderr)) + "\n"
        ConsoleOutput.write(Array(line.utf8), to: .standardError)
    }
}
