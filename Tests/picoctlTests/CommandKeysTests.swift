import Testing
@testable import picoctl

/// `CommandKeys`, the pure state machine behind the console's keys, fed as a terminal sends them:
/// whole reads and byte by byte, with the menu key and a command split across reads.
@Suite struct CommandKeysTests {
    static let ctrlT: UInt8 = 0x14

    /// What `bytes` mean when fed one byte per read; board bytes of consecutive reads joined.
    static func byteByByte(_ bytes: [UInt8], menuKey: MenuKey = .ctrlT, lineEnding: [UInt8] = [0x0D]) -> [KeyInput] {
        var keys = CommandKeys(menuKey: menuKey, lineEnding: lineEnding)
        var inputs: [KeyInput] = []
        for byte in bytes {
            for input in keys.feed([byte]) {
                if case .send(let more) = input, case .send(let before)? = inputs.last {
                    inputs[inputs.count - 1] = .send(before + more)
                } else {
                    inputs.append(input)
                }
            }
        }
        return inputs
    }

    @Test func theMenuKeyThenACommandKeyIsThatCommand() {
        var keys = CommandKeys(menuKey: .ctrlT, lineEnding: [0x0D])
        #expect(keys.feed([Self.ctrlT, UInt8(ascii: "t")]) == [.command(.timestamps)])
        for command in ConsoleCommand.allCases {
            let key = UInt8(ascii: command.rawValue.unicodeScalars.first!)
            #expect(keys.feed([Self.ctrlT, key]) == [.command(command)], "\(command)")
            #expect(Self.byteByByte([Self.ctrlT, key]) == [.command(command)], "\(command) byte by byte")
        }
    }

    @Test func theMenuKeyTwiceSendsItOnce() {
        var keys = CommandKeys(menuKey: .ctrlT, lineEnding: [0x0D])
        #expect(keys.feed(Array("a".utf8) + [Self.ctrlT, Self.ctrlT] + Array("b".utf8)) == [.send([0x61, Self.ctrlT, 0x62])])
        #expect(keys.feed([Self.ctrlT, Self.ctrlT, Self.ctrlT, UInt8(ascii: "q")]) == [.send([Self.ctrlT]), .command(.quit)],
                "the literal one does not arm the next")
        #expect(Self.byteByByte([Self.ctrlT, Self.ctrlT, UInt8(ascii: "d")]) == [.send([Self.ctrlT, UInt8(ascii: "d")])])
    }

    @Test func anUnknownKeyAfterTheMenuKeyIsReportedAndNotSent() {
        var keys = CommandKeys(menuKey: .ctrlT, lineEnding: [0x0D])
        #expect(keys.feed(Array("ab".utf8) + [Self.ctrlT, UInt8(ascii: "x")] + Array("c".utf8))
                == [.send(Array("ab".utf8)), .unknown(UInt8(ascii: "x")), .send(Array("c".utf8))])
        #expect(keys.feed([Self.ctrlT, 0x0D]) == [.unknown(0x0D)])
        #expect(keys.feed(Array("z".utf8)) == [.send(Array("z".utf8))], "disarmed after the unknown key")
    }

    @Test func aKeySplitAcrossReadsStaysArmed() {
        var keys = CommandKeys(menuKey: .ctrlT, lineEnding: [0x0D])
        #expect(keys.feed(Array("ls".utf8) + [Self.ctrlT]) == [.send(Array("ls".utf8))])
        #expect(keys.feed([]) == [], "an empty read changes nothing")
        #expect(keys.feed(Array("e".utf8)) == [.command(.echo)])
        #expect(keys.feed(Array("e".utf8)) == [.send(Array("e".utf8))])
        let typed = Array("ls\r".utf8) + [Self.ctrlT] + Array("tx\n".utf8) + [Self.ctrlT, Self.ctrlT, Self.ctrlT] + Array("?".utf8)
        var whole = CommandKeys(menuKey: .ctrlT, lineEnding: [0x0D])
        #expect(whole.feed(typed) == Self.byteByByte(typed))
        #expect(Self.byteByByte(typed) == [.send(Array("ls\r".utf8)), .command(.timestamps), .send(Array("x\r".utf8) + [Self.ctrlT]),
                                           .command(.help)])
    }

    @Test func enterBecomesTheLineEndingAndTheExitKeyEndsTheRead() {
        var keys = CommandKeys(menuKey: .ctrlT, lineEnding: [0x0D, 0x0A])
        #expect(keys.feed(Array("a\rb\n".utf8)) == [.send(Array("a\r\nb\r\n".utf8))])
        #expect(keys.feed(Array("x".utf8) + [0x1D] + Array("y".utf8)) == [.send(Array("x".utf8)), .exit], "nothing after the exit key")
        var armed = CommandKeys(menuKey: .ctrlT, lineEnding: [0x0D])
        #expect(armed.feed(Array("a".utf8) + [Self.ctrlT, 0x1D] + Array("b".utf8)) == [.send(Array("a".utf8)), .exit],
                "Ctrl-] right after the menu key also ends the session")
        #expect(Self.byteByByte(Array("a\r".utf8), lineEnding: [0x0A]) == [.send(Array("a\n".utf8))])
    }

    @Test func anotherMenuKey() {
        let ctrlA = MenuKey(argument: "ctrl-a")!
        #expect(ctrlA.byte == 0x01)
        #expect(Self.byteByByte([0x01, UInt8(ascii: "c"), Self.ctrlT, UInt8(ascii: "c")], menuKey: ctrlA)
                == [.command(.clear), .send([Self.ctrlT, UInt8(ascii: "c")])], "Ctrl-T is an ordinary byte then")
        #expect(Self.byteByByte([0x01, 0x01], menuKey: ctrlA) == [.send([0x01])])
    }

    @Test func menuKeySpellings() {
        for spelling in ["ctrl-t", "Ctrl-T", "CTRL+T", "c-t", "C-T", "^t", "^T"] {
            #expect(MenuKey(argument: spelling) == .ctrlT, "\(spelling)")
        }
        #expect(MenuKey(argument: "ctrl-x")?.byte == 0x18)
        #expect(MenuKey(argument: "ctrl-x")?.name == "Ctrl-X")
        #expect(MenuKey.ctrlT.name == "Ctrl-T")
        for refused in ["ctrl-]", "ctrl-1", "ctrl-", "ctrl-ab", "t", "alt-t", "", "^", "ctrl-m", "ctrl-j", "^M"] {
            #expect(MenuKey(argument: refused) == nil, "\(refused)")
        }
    }
}
