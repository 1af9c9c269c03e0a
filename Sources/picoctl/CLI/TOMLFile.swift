/// The TOML that picoctl's files use (the inventory, the config file), read strictly.
///
/// Accepted: `key = value` lines with bare (`bench-3`) or quoted (`"bench 3"`, `'bench 3'`) keys;
/// values that are basic strings with escapes (`"a\tb"`), literal strings (`'C:\path'`), integers
/// (`115_200`, `0x10`) and booleans; table headers `[name]` and `[name.sub]`; `#` comments and
/// blank lines. Everything else TOML has (arrays, inline tables, floats, dates, multi-line strings,
/// dotted keys) and everything that is not TOML is refused with the file, the line and the reason;
/// a key given twice in a table and a table opened twice are refused as TOML refuses them.
///
/// Why not TOMLKit: it wraps the C++ toml++ library; a minimal program using it took 150 s to build
/// in release (3.6 s without) and grew by about 550 KB stripped, for two files of `key = "value"` lines.
///
/// ```swift
/// let file = try TOMLFile(parsing: "[boards]\nbench-3 = 'E6605481DB484636'\n", path: "boards.toml")
/// file.entries[0]   // table ["boards"], key "bench-3", value .string("E6605481DB484636"), line 2
/// ```
struct TOMLFile: Equatable {
    /// A value of a key.
    enum Value: Equatable, CustomStringConvertible {
        case string(String)
        case integer(Int)
        case boolean(Bool)

        /// The value as TOML writes it.
        var description: String {
            switch self {
            case .string(let text): "\"\(text)\""
            case .integer(let number): String(number)
            case .boolean(let flag): String(flag)
            }
        }
    }

    /// One `key = value` line.
    struct Entry: Equatable {
        /// The table the key is in (`[]` before the first header, `["board", "bench-3"]` under `[board.bench-3]`).
        var table: [String]
        var key: String
        var value: Value
        /// The line number, from 1.
        var line: Int
    }

    /// A file that is not the TOML picoctl reads, or a value a file's reader refuses: where and why.
    struct ParseError: Error, Equatable, CustomStringConvertible {
        var path: String
        /// The line number, from 1; 0 for the file as a whole (it cannot be read).
        var line: Int
        var reason: String
        var description: String { line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)" }
    }

    /// The file's name in messages.
    var path: String
    /// Every key in file order.
    var entries: [Entry] = []
    /// Every table header in file order, with its line.
    var tables: [(name: [String], line: Int)] = []

    static func == (lhs: TOMLFile, rhs: TOMLFile) -> Bool {
        lhs.entries == rhs.entries && lhs.tables.map(\.name) == rhs.tables.map(\.name)
    }

    /// Parses `text`; `path` names the file in errors.
    init(parsing text: String, path: String) throws(ParseError) {
        self.path = path
        var table: [String] = []
        var seen: [[String]: Int] = [[]: 0]
        var keys: [String: Int] = [:]    // "table\0key" → line
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var line = LineScanner(raw.hasSuffix("\r") ? raw.dropLast() : raw[...], path: path, line: lineNumber)
            line.skipSpaces()
            if line.atEndOrComment { continue }
            if line.peek == "[" {
                line.advance()
                if line.peek == "[" { throw line.error("arrays of tables ([[...]]) are not used here") }
                table = try line.keyPath(closing: "]")
                try line.expectEnd()
                if let first = seen[table] {
                    throw line.error(first > 0 ? "table [\(Self.render(table))] is opened twice (first on line \(first))"
                                               : "table [\(Self.render(table))] is opened twice")
                }
                seen[table] = lineNumber
                tables.append((table, lineNumber))
                continue
            }
            let key = try line.key()
            line.skipSpaces()
            if line.peek == "." { throw line.error("dotted keys are not used here; write a [table] header instead") }
            guard line.peek == "=" else { throw line.error("expected key = value") }
            line.advance()
            line.skipSpaces()
            let value = try line.value()
            try line.expectEnd()
            let id = (table + [key]).joined(separator: "\u{0}")
            if let first = keys[id] { throw line.error("\(key) is given twice (first on line \(first))") }
            keys[id] = lineNumber
            entries.append(Entry(table: table, key: key, value: value, line: lineNumber))
        }
    }

    /// An error about `entry` of this file.
    func error(_ entry: Entry, _ reason: String) -> ParseError {
        ParseError(path: path, line: entry.line, reason: reason)
    }

    /// An error about the table header `name` of this file.
    func error(table name: [String], _ reason: String) -> ParseError {
        ParseError(path: path, line: tables.first { $0.name == name }?.line ?? 0, reason: reason)
    }

    /// A key path as a header writes it (quoted where a part is not a bare key).
    static func render(_ path: [String]) -> String {
        path.map { $0.allSatisfy(LineScanner.isBare) && !$0.isEmpty ? $0 : "\"\($0)\"" }.joined(separator: ".")
    }
}

/// Reads one line of a TOML file, character by character.
private struct LineScanner {
    private let chars: [Character]
    private var index = 0
    let path: String
    let line: Int

    init(_ text: Substring, path: String, line: Int) {
        chars = Array(text)
        self.path = path
        self.line = line
    }

    static func isBare(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_")
    }

    var peek: Character? { index < chars.count ? chars[index] : nil }
    var atEndOrComment: Bool { peek == nil || peek == "#" }
    mutating func advance() { index += 1 }
    mutating func skipSpaces() { while peek == " " || peek == "\t" { index += 1 } }

    func error(_ reason: String) -> TOMLFile.ParseError { .init(path: path, line: line, reason: reason) }

    mutating func expectEnd() throws(TOMLFile.ParseError) {
        skipSpaces()
        guard atEndOrComment else { throw error("unexpected \(String(chars[index...]).trimmed) after the value") }
    }

    /// A bare or quoted key.
    mutating func key() throws(TOMLFile.ParseError) -> String {
        switch peek {
        case "\""?: return try basicString()
        case "'"?: return try literalString()
        case let c? where Self.isBare(c):
            let start = index
            while let c = peek, Self.isBare(c) { index += 1 }
            return String(chars[start..<index])
        default:
            throw error(peek == "=" ? "a key is missing before =" : "expected a key (letters, digits, - and _, or a quoted name)")
        }
    }

    /// `a.b."c d"` up to `closing`.
    mutating func keyPath(closing: Character) throws(TOMLFile.ParseError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            parts.append(try key())
            skipSpaces()
            if peek == closing { index += 1; return parts }
            guard peek == "." else { throw error("expected ] to close the table header") }
            index += 1
        }
    }

    mutating func value() throws(TOMLFile.ParseError) -> TOMLFile.Value {
        guard let c = peek else { throw error("a value is missing after =") }
        switch c {
        case "\"":
            if chars[index...].starts(with: ["\"", "\"", "\""]) { throw error("multi-line strings are not used here") }
            return .string(try basicString())
        case "'":
            if chars[index...].starts(with: ["'", "'", "'"]) { throw error("multi-line strings are not used here") }
            return .string(try literalString())
        case "[": throw error("arrays are not used here")
        case "{": throw error("inline tables are not used here")
        default:
            let start = index
            while let c = peek, c != " ", c != "\t", c != "#" { index += 1 }
            let word = String(chars[start..<index])
            if word == "true" { return .boolean(true) }
            if word == "false" { return .boolean(false) }
            if let number = Self.integer(word) { return .integer(number) }
            throw error("\(word) is not a value: write text in quotes (\"...\" or '...'), a whole number, true or false")
        }
    }

    /// A TOML integer: decimal with optional sign and single underscores between digits, or 0x/0o/0b.
    static func integer(_ word: String) -> Int? {
        var body = Substring(word), radix = 10, sign = 1
        if body.hasPrefix("0x") || body.hasPrefix("0o") || body.hasPrefix("0b") {
            radix = body.hasPrefix("0x") ? 16 : body.hasPrefix("0o") ? 8 : 2
            body = body.dropFirst(2)
        } else if body.first == "+" || body.first == "-" {
            sign = body.first == "-" ? -1 : 1
            body = body.dropFirst()
            if body.count > 1 && body.first == "0" { return nil }
        } else if body.count > 1 && body.first == "0" {
            return nil
        }
        guard !body.isEmpty, body.first != "_", body.last != "_", !body.contains("__") else { return nil }
        return Int(String(body.filter { $0 != "_" }), radix: radix).map { $0 * sign }
    }

    /// `'...'`: no escapes.
    mutating func literalString() throws(TOMLFile.ParseError) -> String {
        index += 1
        let start = index
        while let c = peek, c != "'" {
            if c.isASCII && c.asciiValue! < 0x20 && c != "\t" { throw error("a control character is not allowed in a string") }
            index += 1
        }
        guard peek == "'" else { throw error("the string has no closing '") }
        defer { index += 1 }
        return String(chars[start..<index])
    }

    /// `"..."` with TOML's escapes.
    mutating func basicString() throws(TOMLFile.ParseError) -> String {
        index += 1
        var text = ""
        while let c = peek, c != "\"" {
            index += 1
            if c.isASCII && c.asciiValue! < 0x20 && c != "\t" { throw error("a control character is not allowed in a string") }
            guard c == "\\" else { text.append(c); continue }
            guard let e = peek else { break }
            index += 1
            switch e {
            case "\"": text.append("\"")
            case "\\": text.append("\\")
            case "b": text.append("\u{08}")
            case "t": text.append("\t")
            case "n": text.append("\n")
            case "f": text.append("\u{0C}")
            case "r": text.append("\r")
            case "e": text.append("\u{1B}")
            case "u", "U":
                let count = e == "u" ? 4 : 8
                guard index + count <= chars.count,
                      let code = UInt32(String(chars[index..<index + count]), radix: 16),
                      let scalar = Unicode.Scalar(code) else {
                    throw error("\\\(e) needs \(count) hex digits naming a Unicode character")
                }
                index += count
                text.unicodeScalars.append(scalar)
            default: throw error("\\\(e) is not an escape TOML knows (\\\" \\\\ \\t \\n \\r \\uXXXX ...)")
            }
        }
        guard peek == "\"" else { throw error("the string has no closing \"") }
        index += 1
        return text
    }
}

private extension String {
    var trimmed: String {
        var s = Substring(self)
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
