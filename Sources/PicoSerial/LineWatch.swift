/// What automation wants from a stream of lines: a pattern to wait for, one that fails, a line budget.
public struct WatchOptions: @unchecked Sendable {
    /// Succeed when a line matches (`--expect`).
    public var expect: Regex<AnyRegexOutput>?
    /// Fail when a line matches (`--fail-on`); checked before `expect`.
    public var failOn: Regex<AnyRegexOutput>?
    /// Stop after this many lines (`--lines`).
    public var maxLines: Int?

    /// Options from their parts; none set means "watch forever".
    public init(expect: Regex<AnyRegexOutput>? = nil, failOn: Regex<AnyRegexOutput>? = nil, maxLines: Int? = nil) {
        self.expect = expect
        self.failOn = failOn
        self.maxLines = maxLines
    }

    /// Compiles `--expect`/`--fail-on` patterns; throws the regex parser's error for a bad pattern.
    public init(expectPattern expect: String?, failOnPattern failOn: String?, maxLines: Int?) throws {
        self.init(expect: try expect.map { try Regex($0) }, failOn: try failOn.map { try Regex($0) }, maxLines: maxLines)
    }
}

/// The outcome of watching one more line.
public enum WatchVerdict: Sendable, Equatable {
    /// Nothing decided yet.
    case keepGoing
    /// `expect` matched this line.
    case expected(String)
    /// `failOn` matched this line.
    case failed(String)
    /// `maxLines` lines were seen.
    case lineLimitReached
}

/// Applies `WatchOptions` to lines one at a time.
///
/// ```swift
/// var watch = LineWatch(options: try WatchOptions(expectPattern: "PASS", failOnPattern: "FAIL|panic", maxLines: nil))
/// watch.observe(Line(bytes: Array("test 3 PASS".utf8), terminator: .lf))   // .expected("test 3 PASS")
/// ```
public struct LineWatch: @unchecked Sendable {
    /// The options in use.
    public let options: WatchOptions
    /// Lines seen so far.
    public private(set) var lineCount = 0
    /// The end of the previous piece when it was cut (`.split`): patterns are matched across the cut.
    private var carried: [UInt8] = []
    /// How much of a cut piece is kept for matching across the cut (a pattern's match may be this long).
    public static let overlap = 16 * 1024

    /// A watch with `options`.
    public init(options: WatchOptions) { self.options = options }

    /// True when something can end the watch (a pattern or a line budget).
    public var isActive: Bool { options.expect != nil || options.failOn != nil || options.maxLines != nil }

    /// Looks at one more line; the first verdict other than `keepGoing` ends the watch.
    ///
    /// A line cut by the line assembler (`.split`) is matched together with the end of the piece
    /// before it, so a pattern that straddles the cut is found (on the piece that completes it).
    public mutating func observe(_ line: Line) -> WatchVerdict {
        lineCount += 1
        let text = line.text
        let window = carried.isEmpty ? text : String(decoding: carried + line.bytes, as: UTF8.self)
        carried = line.terminator == .split ? Array(line.bytes.suffix(Self.overlap)) : []
        if let failOn = options.failOn, window.contains(failOn) { return .failed(text) }
        if let expect = options.expect, window.contains(expect) { return .expected(text) }
        if let maxLines = options.maxLines, lineCount >= maxLines { return .lineLimitReached }
        return .keepGoing
    }
}
