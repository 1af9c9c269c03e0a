import Testing
import PicoUSB
@testable import picoctl

@Suite struct TOMLFileTests {
    @Test func readsTheFormsPeopleWrite() throws {
        let file = try TOMLFile(parsing: """
            # a comment
            plain = "a\\tb\\u00e9\\"q\\"" # trailing comment
            'literal key' = 'C:\\no\\escapes'
            "quoted key" = "x # not a comment"
            number = 115_200
            hex = 0x10
            negative = -3
            yes = true

            [board.bench-3]
            baud = 921600\r
            """, path: "f.toml")
        #expect(file.entries.map(\.key) == ["plain", "literal key", "quoted key", "number", "hex", "negative", "yes", "baud"])
        #expect(file.entries.map(\.value) == [.string("a\tbé\"q\""), .string("C:\\no\\escapes"), .string("x # not a comment"),
                                              .integer(115_200), .integer(16), .integer(-3), .boolean(true), .integer(921_600)])
        #expect(file.entries.last?.table == ["board", "bench-3"])
        #expect(file.entries.last?.line == 11)
        #expect(file.tables.map(\.line) == [10])
    }

    @Test(arguments: [
        ("a = [1, 2]", "arrays are not used here"),
        ("a = {b = 1}", "inline tables are not used here"),
        ("a = 1.5", "1.5 is not a value"),
        ("a = 1979-05-27", "is not a value"),
        ("a = \"\"\"x\"\"\"", "multi-line strings"),
        ("a.b = 1", "dotted keys"),
        ("a = \"open", "no closing \""),
        ("a = 'open", "no closing '"),
        ("a = \"\\q\"", "\\q is not an escape"),
        ("a = \"x\" y", "unexpected y after the value"),
        ("a", "expected key = value"),
        ("= 1", "a key is missing"),
        ("a =", "a value is missing"),
        ("a = bare", "bare is not a value"),
        ("a = 007", "007 is not a value"),
        ("[[t]]", "arrays of tables"),
        ("[t", "expected ] to close"),
        ("a = 1\na = 2", "a is given twice (first on line 1)"),
        ("[t]\n[t]", "table [t] is opened twice (first on line 1)"),
    ])
    func refusesWithLineAndReason(text: String, reason: String) {
        let line = text.split(separator: "\n").count
        #expect {
            try TOMLFile(parsing: text, path: "f.toml")
        } throws: { error in
            let error = error as! TOMLFile.ParseError
            return error.line == line && error.reason.contains(reason) && error.description.hasPrefix("f.toml:\(line): ")
        }
    }
}

@Suite struct InventoryTests {
    @Test func acceptsLiteralStringsAndABoardsTable() throws {
        let inventory = try Inventory(parsing: """
            top = 'E6605481DB484636'
            [boards]
            "left rig" = "port:1-3.2"   # by port
            bench-4 = 'DE6050D4DB5E2C2A'
            """)
        #expect(inventory.entries.map(\.name) == ["top", "left rig", "bench-4"])
        #expect(inventory.target(named: "top") == .serial("E6605481DB484636"))
        #expect(inventory.target(named: "left rig") == .port(USBPortPath("1-3.2")!))
        #expect(inventory.target(named: "bench-4") == .serial("DE6050D4DB5E2C2A"))
    }

    @Test(arguments: [
        ("a = \"E6605481DB484636\"\n[boards]\na = \"port:1-1\"", 3, "a is named twice (first on line 1)"),
        ("a = \"E6605481DB484636\"\nb = 'e6605481db484636'", 2, "b and a (line 1) both name e6605481db484636"),
        ("a = \"port:1-2\"\nb = \"port:1-2\"", 2, "both name port:1-2"),
        ("[lab]\na = \"x\"", 1, "unknown table [lab]"),
        ("[boards.x]\na = \"x\"", 1, "unknown table [boards.x]"),
        ("a = 12", 1, "write the serial or port path in quotes"),
        ("a = \"port:nowhere\"", 1, "not a USB port path"),
        ("a = ''", 1, "empty value for a"),
        ("a = 'two words'", 1, "has spaces"),
    ])
    func refuses(text: String, line: Int, reason: String) {
        #expect {
            try Inventory(parsing: text, path: "boards.toml")
        } throws: { error in
            let error = error as! Inventory.ParseError
            return error.line == line && error.reason.contains(reason)
        }
    }
}
