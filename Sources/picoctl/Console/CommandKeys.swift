import ArgumentParser

/// A console command: the key typed after the menu key, and what it does.
enum ConsoleCommand: Character, CaseIterable, Sendable {
    case help = "?"
    case quit = "q"
    case restart = "r"
    case bootsel = "b"
    case flash = "f"
    case timestamps = "t"
    case echo = "e"
    case log = "l"
    case dtr = "d"
    case clear = "c"
    case sendFile = "s"

    /// One line of the `?` list.
    var summary: String {
        switch self {
        case .help: "list these keys"
        case .quit: "quit"
        case .restart: "restart the program (reset interface) and follow it back"
        case .bootsel: "reboot the board into BOOTSEL"
        case .flash: "flash the image again (--image, or flash's file) and follow the new program"
        case .timestamps: "cycle timestamps: off, wall, iso, epoch, mono, delta"
        case .echo: "local echo of typed keys on/off"
        case .log: "pause or resume writing the --log file"
        case .dtr: "lower or raise DTR"
        case .clear: "clear the screen"
        case .sendFile: "send a file's bytes to the board"
        }
    }
}

/// The key that starts a command (`--menu-key`, Ctrl-T by default): a control character.
struct MenuKey: ExpressibleByArgument, Equatable, Sendable {
    /// The byte the terminal sends for it.
    let byte: UInt8

    /// Ctrl-T, as in tio.
    static let ctrlT = MenuKey(byte: 0x14)

    init(byte: UInt8) { self.byte = byte }

    /// `ctrl-t`, `Ctrl-T`, `C-t` or `^T`: Ctrl with a letter (not Ctrl-], which ends the session, nor
    /// Ctrl-J or Ctrl-M, which are Enter).
    init?(argument: String) {
        let lower = argument.lowercased()
        var key: Substring?
        for prefix in ["ctrl-", "ctrl+", "c-", "^"] where lower.hasPrefix(prefix) { key = lower.dropFirst(prefix.count) }
        guard let key, key.count == 1, let letter = key.first?.asciiValue, (0x61...0x7A).contains(letter),
              letter != 0x6A, letter != 0x6D else { return nil }
        byte = letter - 0x60
    }

    /// `Ctrl-T`.
    var name: String { "Ctrl-" + String(UnicodeScalar(byte + 0x40)) }

    var defaultValueDescription: String { name }
}

/// What typed bytes mean: bytes for the board, a command after the menu key, or the exit key.
enum KeyInput: Equatable, Sendable {
    /// Bytes for the board (Enter already turned into the chosen line ending).
    case send([UInt8])
    /// The menu key then a command key.
    case command(ConsoleCommand)
    /// The menu key then a key that is no command.
    case unknown(UInt8)
    /// The exit key (Ctrl-]).
    case exit
}

/// Splits what is typed on the terminal: the menu key arms a command, the menu key twice sends it
/// once, the exit key ends the session; other bytes go to the board with Enter as `lineEnding`. Pure.
///
/// ```swift
/// var keys = CommandKeys(menuKey: .ctrlT, lineEnding: [0x0D])
/// keys.feed(Array("ls\r\u{14}t".utf8))   // [.send("ls\r"), .command(.timestamps)]
/// ```
struct CommandKeys: Sendable {
    /// Ctrl-] (GS), as in telnet.
    static let exitKey: UInt8 = 0x1D

    let menuKey: MenuKey
    let lineEnding: [UInt8]
    private var armed = false

    init(menuKey: MenuKey, lineEnding: [UInt8]) {
        self.menuKey = menuKey
        self.lineEnding = lineEnding
    }

    /// What `bytes` mean, in order; consecutive board bytes are one `send`.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [KeyInput] {
        var inputs: [KeyInput] = []
        var outgoing: [UInt8] = []
        func flush() {
            if !outgoing.isEmpty { inputs.append(.send(outgoing)); outgoing.removeAll() }
        }
        for byte in bytes {
            if armed {
                armed = false
                if byte == menuKey.byte {
                    outgoing.append(byte)
                    continue
                }
                flush()
                if byte == Self.exitKey {  // Ctrl-] ends the session, armed or not
                    inputs.append(.exit)
                    return inputs
                }
                let key = Character(UnicodeScalar(byte))
                inputs.append(ConsoleCommand(rawValue: key).map(KeyInput.command) ?? .unknown(byte))
            } else if byte == menuKey.byte {
                armed = true
            } else if byte == Self.exitKey {
                flush()
                inputs.append(.exit)
                return inputs
            } else if byte == 0x0D || byte == 0x0A {
                outgoing += lineEnding
            } else {
                outgoing.append(byte)
            }
        }
        flush()
        return inputs
    }
}
