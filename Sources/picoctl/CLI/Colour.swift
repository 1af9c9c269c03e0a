#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import PicoSerial

/// `--color auto|always|never` (also `color = "..."` in the config file).
enum ColorChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Colour on a terminal, unless `NO_COLOR` is set or `TERM=dumb`.
    case auto
    case always
    case never
}

/// The one place that decides colour and writes terminal escape sequences, for stdout and stderr separately.
///
/// The choice is `--color`, else the config file's `color`, else `auto`: colour when the stream is a
/// terminal, `NO_COLOR` is unset or empty (https://no-color.org) and `TERM` is not `dumb`. An explicit
/// choice wins over `NO_COLOR`, as that convention asks of command-line options and config files.
enum Colour {
    /// A stream that may be coloured.
    enum Stream: Sendable { case stdout, stderr }

    /// What a span of text looks like.
    enum Style: String, Sendable {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36"
    }

    /// The process's choice: set once from `--color` or the config file before a command runs.
    nonisolated(unsafe) static var choice: ColorChoice = .auto

    /// Whether `stream` gets colour.
    static func enabled(_ stream: Stream) -> Bool {
        let fd: Int32 = stream == .stdout ? 1 : 2
        return decide(choice, isTerminal: isatty(fd) == 1, environment: { key in getenv(key).map { String(cString: $0) } })
    }

    /// The rule itself, without the process: `choice`, whether the stream is a terminal, and the environment.
    static func decide(_ choice: ColorChoice, isTerminal: Bool, environment: (String) -> String?) -> Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto:
            if let noColor = environment("NO_COLOR"), !noColor.isEmpty { return false }
            if environment("TERM") == "dumb" { return false }
            return isTerminal
        }
    }

    /// `text` in `style` when `stream` gets colour, else `text` unchanged.
    static func paint(_ text: String, _ style: Style, on stream: Stream) -> String {
        enabled(stream) ? wrap(text, style) : text
    }

    /// `text` in `style`, always (for callers that decided already).
    static func wrap(_ text: String, _ style: Style) -> String { wrap(text, sgr: style.rawValue) }

    /// `text` in the style of SGR parameters such as `"1;36"`, always.
    static func wrap(_ text: String, sgr: String) -> String { "\u{1B}[\(sgr)m\(text)\u{1B}[0m" }

    /// The sequences around a styled span of SGR parameters, for library code that takes them as data
    /// (`ConsoleFormatter`); nil when `stream` gets no colour.
    static func span(sgr: String, on stream: Stream) -> SpanStyle? {
        enabled(stream) ? SpanStyle(before: "\u{1B}[\(sgr)m", after: "\u{1B}[0m") : nil
    }

    /// Back to the start of the line and clear it (progress redraws).
    static let clearLine = "\r\u{1B}[2K"

    /// Moves the cursor up `lines` lines (empty for 0).
    static func cursorUp(_ lines: Int) -> String { lines > 0 ? "\u{1B}[\(lines)A" : "" }
}
